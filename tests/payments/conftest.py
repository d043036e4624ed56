"""Fixtures for payment tests: the dossier tests' small province with a richer fee schedule, a
citizen's online dossier, and the mock payment gateway on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.payments.conf import DEMO_SECRETS
from chinhquyenso.payments.gateway import SIGNATURE_HEADER, sign
from chinhquyenso.payments.mock_gateway import MockGateway
from chinhquyenso.procedures.models import FeeStage, ProcedureFee
from tests.dossiers.conftest import applicant, components_for, receive, to_last_step, to_processing, vn
from tests.dossiers.factories import Province, build_province

__all__ = ["applicant", "components_for", "receive", "to_last_step", "to_processing", "vn"]


@pytest.fixture
def world(db: Any) -> Province:
    """Khai sinh: 8.000 đ at receipt (from the factory) + 1.250.000 đ at receipt that businesses are
    exempt from + 20.000 đ at supplement + 35.000 đ at result."""
    w = build_province()
    ProcedureFee.objects.create(procedure=w.procedure, code="PTD", name="Phí thẩm định hồ sơ", amount=1_250_000,
                                stage=FeeStage.AT_RECEIPT, exempt_applicant_types=["business"],
                                exemption_text="Doanh nghiệp được miễn theo Nghị quyết HĐND tỉnh")
    ProcedureFee.objects.create(procedure=w.procedure, code="PBS", name="Phí thẩm định hồ sơ bổ sung", amount=20_000,
                                stage=FeeStage.AT_SUPPLEMENT)
    ProcedureFee.objects.create(procedure=w.procedure, code="PKQ", name="Phí cấp bản sao kết quả", amount=35_000,
                                stage=FeeStage.AT_RESULT)
    return w


def online_dossier(world: Province, *, citizen: Any = None) -> Dossier:
    """Submitted online by the world's citizen and accepted at the counter (status 2)."""
    owner = citizen or world.citizen
    d = dossier_services.dossier_submit_online(actor=owner, procedure=world.procedure, agency=world.ubnd_a,
                                               applicant=applicant(), components=components_for(world),
                                               at=vn(2026, 2, 12, 9))
    return dossier_services.dossier_accept_online(dossier=d, actor=world.counter_a, at=vn(2026, 2, 12, 10))


def require_payment(world: Province, dossier: Dossier, amount: int = 500_000) -> Dossier:
    """4 → 6: an obligation found while processing (e.g. tiền sử dụng đất)."""
    d = to_processing(world, dossier)
    return dossier_services.dossier_require_payment(
        dossier=d, actor=world.processor_a, fees=[dossier_services.FeeInput(name="Lệ phí trước bạ", amount=amount,
                                                                            code="LPTB")])


def notification(*, transaction_id: str, order_id: str, amount: int, status: str = "paid", merchant: str = "local",
                 paid_at: str = "2026-02-12T10:30:00+07:00", seq: int = 2) -> bytes:
    return json.dumps({"merchant": merchant, "transaction_id": transaction_id, "order_id": order_id,
                       "amount": amount, "currency": "VND", "status": status,
                       "paid_at": paid_at if status == "paid" else None, "channel": "card", "seq": seq}).encode()


def signed_headers(body: bytes, *, merchant: str = "local", secret: str | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(secret or DEMO_SECRETS[merchant], body)}


def post_callback(client: Any, body: bytes, *, gateway: str = "local", signature: str | None = None) -> Any:
    sig = signature if signature is not None else sign(DEMO_SECRETS[gateway], body)
    return client.post(f"/api/v1/payments/callbacks/{gateway}", data=body, content_type="application/json",
                       headers={SIGNATURE_HEADER: sig})


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockGateway]:
    """The mock gateway on a free loopback port; both our gateways point at it."""
    mock = MockGateway(port=0).start()
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_LOCAL_URL", mock.url)
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_NATIONAL_URL", mock.url)
    try:
        yield mock
    finally:
        mock.stop()

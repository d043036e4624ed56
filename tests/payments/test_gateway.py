"""The mock gateway on loopback calling our live callback endpoint, in every fault mode."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from chinhquyenso.core.errors import DomainError
from chinhquyenso.dossiers.models import OnlinePayment
from chinhquyenso.payments import services
from chinhquyenso.payments.conf import gateway_configs
from chinhquyenso.payments.gateway import GatewayUnavailable, HttpGateway, SignatureInvalid
from chinhquyenso.payments.mock_gateway import MockGateway, ensure_loopback
from chinhquyenso.payments.models import Bill, BillStatus, GatewayNotification, Payment
from tests.dossiers.factories import Province
from tests.payments.conftest import online_dossier

pytestmark = pytest.mark.django_db(transaction=True)


def checkout(world: Province, live_server: Any, gateway: str = "local") -> tuple[Bill, str]:
    bill = Bill.objects.get(dossier=online_dossier(world))
    started = services.bill_checkout(
        bill=bill, actor=world.citizen, gateway_name=gateway, return_url=f"{live_server.url}/thanh-toan/",
        callback_url=f"{live_server.url}/api/v1/payments/callbacks/{gateway}",
    )
    return bill, started.transaction_id


def wait_for(predicate: Any, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def outcomes() -> list[str]:
    return list(GatewayNotification.objects.order_by("id").values_list("outcome", flat=True))


def test_checkout_then_pay_on_the_gateway(world: Province, gateway: MockGateway, live_server: Any) -> None:
    bill, tx = checkout(world, live_server)
    mock_tx = gateway.transaction(tx)
    assert mock_tx is not None and mock_tx.amount == bill.total and mock_tx.order_id == bill.reference
    assert bill.checkouts.get().redirect_url == f"{gateway.url}/pay/{tx}"
    page = httpx.get(f"{gateway.url}/pay/{tx}")
    assert page.status_code == 200 and "1.258.000 đ" in page.text and "<script" not in page.text
    gateway.pay(tx)
    deliveries = gateway.state.deliveries
    assert [(d.seq, d.status, d.http_status) for d in deliveries] == [(2, "paid", 200)], (deliveries, outcomes())
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    d = bill.dossier
    d.refresh_from_db()
    assert d.paid_online == OnlinePayment.LOCAL_GATEWAY


def test_fault_twice_records_one_payment(world: Province, gateway: MockGateway, live_server: Any) -> None:
    gateway.set_faults(mode="twice")
    bill, tx = checkout(world, live_server)
    gateway.pay(tx)
    assert [d.http_status for d in gateway.state.deliveries] == [200, 200]
    assert Payment.objects.filter(bill=bill).count() == 1 and outcomes() == ["accepted", "duplicate"]


def test_fault_late_pays_after_the_citizen_is_back(world: Province, gateway: MockGateway, live_server: Any) -> None:
    gateway.set_faults(mode="late", late_seconds=2)
    bill, tx = checkout(world, live_server)
    gateway.pay(tx)
    assert gateway.state.deliveries == []  # the gateway has not told us yet
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.OPEN
    assert len(gateway.state.wait_deliveries(1, timeout=20)) == 1
    assert wait_for(lambda: Bill.objects.get(pk=bill.pk).status == BillStatus.PAID)


def test_fault_out_of_order_keeps_the_bill_paid(world: Province, gateway: MockGateway, live_server: Any) -> None:
    gateway.set_faults(mode="out_of_order")
    bill, tx = checkout(world, live_server)
    gateway.pay(tx)
    assert [(d.seq, d.status, d.http_status) for d in gateway.state.deliveries] == [(2, "paid", 200),
                                                                                    (1, "pending", 200)]
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.PAID and outcomes() == ["accepted", "duplicate"]


def test_fault_wrong_amount_is_refused(world: Province, gateway: MockGateway, live_server: Any) -> None:
    gateway.set_faults(mode="wrong_amount", wrong_amount_delta=-8000)
    bill, tx = checkout(world, live_server)
    gateway.pay(tx)
    assert [d.http_status for d in gateway.state.deliveries] == [400]
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.OPEN and not Payment.objects.exists()
    row = GatewayNotification.objects.get()
    assert (row.outcome, row.reason, row.amount) == ("rejected", "amount_mismatch", 1_250_000)


def test_national_gateway_uses_its_own_secret(world: Province, gateway: MockGateway, live_server: Any) -> None:
    bill, tx = checkout(world, live_server, gateway="national")
    gateway.pay(tx)
    d = Bill.objects.get(pk=bill.pk).dossier
    assert d.paid_online == OnlinePayment.NATIONAL_PORTAL


def test_the_gateway_refuses_an_unsigned_start(world: Province, gateway: MockGateway,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_LOCAL_SECRET", "not-the-shared-secret")
    with pytest.raises(GatewayUnavailable):
        services.bill_checkout(bill=bill, actor=world.citizen, gateway_name="local",
                               return_url="http://127.0.0.1/", callback_url="http://127.0.0.1/cb")
    assert not bill.checkouts.exists()


def test_the_gateway_only_calls_back_on_loopback(world: Province, gateway: MockGateway) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    with pytest.raises(GatewayUnavailable):
        services.bill_checkout(bill=bill, actor=world.citizen, gateway_name="local",
                               return_url="http://127.0.0.1/", callback_url="http://192.0.2.10/cb")
    with pytest.raises(ValueError):
        ensure_loopback("192.0.2.10")
    with pytest.raises(ValueError):
        MockGateway(host="192.0.2.10")


def test_a_stopped_gateway_is_a_clear_error(world: Province, monkeypatch: pytest.MonkeyPatch) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_LOCAL_URL", "http://127.0.0.1:9")
    with pytest.raises(GatewayUnavailable) as err:
        services.bill_checkout(bill=bill, actor=world.citizen, gateway_name="local",
                               return_url="http://127.0.0.1/", callback_url="http://127.0.0.1/cb")
    assert "thử lại" in err.value.message


def test_only_the_owner_may_start_a_payment(world: Province, gateway: MockGateway) -> None:
    from tests.dossiers.factories import UserFactory

    bill = Bill.objects.get(dossier=online_dossier(world))
    stranger = UserFactory(username="nguoikhac", is_citizen=True)
    for actor in (stranger, world.counter_b):
        with pytest.raises(DomainError):
            services.bill_checkout(bill=bill, actor=actor, gateway_name="local", return_url="http://127.0.0.1/",
                                   callback_url="http://127.0.0.1/cb")
    assert gateway.state.transactions == {}


def test_transactions_list_is_signed(world: Province, gateway: MockGateway) -> None:
    config = gateway_configs()["local"]
    client = HttpGateway(config)
    assert client.list_transactions(date(2026, 2, 12)) == []
    forged = HttpGateway(replace(config, secret="wrong"))
    with pytest.raises((GatewayUnavailable, SignatureInvalid)):
        forged.list_transactions(date(2026, 2, 12))


def test_vietqr_transfer_with_the_reference_pays_the_bill(world: Province, gateway: MockGateway,
                                                          live_server: Any) -> None:
    """A bank app scanned our VietQR: the transfer content is the bill reference."""
    bill = Bill.objects.get(dossier=online_dossier(world))
    gateway.server.transfer({"merchant": "local", "content": bill.reference, "amount": bill.total,
                             "callback_url": f"{live_server.url}/api/v1/payments/callbacks/local"})
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and Payment.objects.get(bill=bill).channel == "vietqr"


def test_concurrent_copies_of_one_notification_make_one_payment(world: Province) -> None:
    import threading

    from django.db import connection

    from chinhquyenso.payments.conf import DEMO_SECRETS
    from chinhquyenso.payments.gateway import SIGNATURE_HEADER, sign
    from tests.payments.conftest import notification

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers with IMMEDIATE transactions; the shared in-memory test "
                    "database answers 'table is locked' instead of waiting")
    bill = Bill.objects.get(dossier=online_dossier(world))
    body = notification(transaction_id="GD-RACE", order_id=bill.reference, amount=bill.total)
    headers = {SIGNATURE_HEADER: sign(DEMO_SECRETS["local"], body)}
    results: list[str] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            result = services.payment_notification_receive(gateway_name="local", headers=headers, body=body)
            results.append(result.outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert Payment.objects.filter(bill=bill).count() == 1
    assert Bill.objects.get(pk=bill.pk).receipt is not None

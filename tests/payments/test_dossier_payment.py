"""``dossiers.services.dossier_record_payment``: the dossier side of a payment that does not change the
status, as one transaction with its event, audit row and projectors; payments uses it."""

from __future__ import annotations

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed
from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.dossiers.models import DossierEvent, DossierFee, OnlinePayment, Status
from chinhquyenso.integration.models import TOPIC_NATIONAL_PORTAL, OutboxMessage
from chinhquyenso.payments import services
from chinhquyenso.payments.models import Bill
from tests.dossiers.conftest import snapshot
from tests.dossiers.factories import Province
from tests.payments.conftest import receive, vn

pytestmark = pytest.mark.django_db
PAID_AT = vn(2026, 2, 12, 10, 30)


def _record(world: Province, d: object, **overrides: object) -> object:
    fees = list(DossierFee.objects.filter(dossier=d, stage="at_receipt").values_list("pk", flat=True))
    kwargs: dict[str, object] = {
        "dossier": d, "actor": None, "bill_reference": "HS H0112260212 0001 T", "stage": "at_receipt",
        "amount": 1_258_000, "method": "local_gateway", "paid_at": PAID_AT, "fee_ids": fees,
        "paid_online": OnlinePayment.LOCAL_GATEWAY, "reference": "GD-1", "at": vn(2026, 2, 12, 10, 31),
    }
    kwargs.update(overrides)
    return dossier_services.dossier_record_payment(**kwargs)  # type: ignore[arg-type]


def test_records_fees_paid_online_event_audit_and_sync_in_one_go(world: Province) -> None:
    d = receive(world)
    version = d.version
    outbox_before = OutboxMessage.objects.filter(dossier=d, topic=TOPIC_NATIONAL_PORTAL).count()
    out = _record(world, d)
    d.refresh_from_db()
    assert d.paid_online == OnlinePayment.LOCAL_GATEWAY and d.status == Status.RECEIVED
    assert d.version == version + 1 and out.version == d.version  # type: ignore[attr-defined]
    assert set(d.fees.filter(stage="at_receipt").values_list("paid_at", flat=True)) == {PAID_AT}
    assert set(d.fees.exclude(stage="at_receipt").values_list("paid_at", flat=True)) == {None}
    event = DossierEvent.objects.get(dossier=d, seq=2)
    assert event.kind == "payment_recorded" and event.from_status == Status.RECEIVED and event.to_status is None
    assert event.payload == {"bill": "HS H0112260212 0001 T", "stage": "at_receipt", "amount": 1_258_000,
                             "method": "local_gateway", "paid_online": OnlinePayment.LOCAL_GATEWAY,
                             "reference": "GD-1"}
    assert AuditEvent.objects.filter(action="dossier.payment_recorded", object_id=str(d.pk)).count() == 1
    synced = OutboxMessage.objects.filter(dossier=d, topic=TOPIC_NATIONAL_PORTAL).order_by("-seq").first()
    assert synced is not None and synced.seq == 2 and outbox_before == 1
    assert synced.payload["DuocThanhToanTrucTuyen"] == OnlinePayment.LOCAL_GATEWAY


def test_bad_input_changes_nothing(world: Province) -> None:
    d = receive(world)
    other = receive(world, at=vn(2026, 2, 12, 11))
    foreign = list(DossierFee.objects.filter(dossier=other).values_list("pk", flat=True))
    before = snapshot(d)
    cases = [
        ({"fee_ids": foreign}, ValidationFailed, "fee_foreign"),
        ({"paid_online": 9}, ValidationFailed, "paid_online_invalid"),
        ({"amount": -1}, ValidationFailed, "amount_invalid"),
        ({"bill_reference": " "}, ValidationFailed, "required"),
        ({"paid_at": PAID_AT.replace(tzinfo=None)}, ValidationFailed, "naive_datetime"),
        ({"actor": world.counter_b}, PermissionDenied, "out_of_scope"),
        ({"actor": world.counter_a, "expected_version": d.version + 5}, Conflict, "stale_version"),
    ]
    for overrides, error, code in cases:
        with pytest.raises(error) as caught:
            _record(world, d, **overrides)
        assert caught.value.code == code, overrides
    assert snapshot(d) == before
    assert not DossierFee.objects.filter(dossier=other, paid_at__isnull=False).exists()


def test_cash_payment_goes_through_the_dossier_service(world: Province, monkeypatch: pytest.MonkeyPatch) -> None:
    """payments no longer writes the dossier itself: the public service is what records the event."""
    calls: list[dict[str, object]] = []
    real = dossier_services.dossier_record_payment

    def spy(**kwargs: object) -> object:
        calls.append(kwargs)
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dossier_services, "dossier_record_payment", spy)
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="0001", at=PAID_AT)
    assert len(calls) == 1
    assert calls[0]["actor"] == world.counter_a and calls[0]["bill_reference"] == bill.reference
    assert calls[0]["paid_online"] is None and calls[0]["reference"] == "0001"
    assert DossierEvent.objects.filter(dossier=d, kind="payment_recorded", actor=world.counter_a).count() == 1

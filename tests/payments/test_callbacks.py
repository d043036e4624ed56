"""The gateway callback endpoint: signature, amount, bill, idempotency, out-of-order, rejections."""

from __future__ import annotations

from typing import Any

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.dossiers.models import DossierEvent, OnlinePayment, Status
from chinhquyenso.payments.conf import DEMO_SECRETS
from chinhquyenso.payments.gateway import sign
from chinhquyenso.payments.models import (
    Bill,
    BillStage,
    BillStatus,
    GatewayNotification,
    NotificationOutcome,
    Payment,
    PaymentMethod,
    Receipt,
)
from tests.dossiers.factories import Province
from tests.payments.conftest import notification, online_dossier, post_callback, receive, require_payment, vn

pytestmark = pytest.mark.django_db


def state(bill: Bill) -> dict[str, Any]:
    """Everything a refused callback must leave untouched."""
    bill.refresh_from_db()
    d = bill.dossier
    d.refresh_from_db()
    return {"bill": (bill.status, bill.paid_at), "payments": Payment.objects.count(),
            "receipts": Receipt.objects.count(), "dossier": (d.status, d.paid_online, d.version),
            "events": DossierEvent.objects.filter(dossier=d).count()}


@pytest.fixture
def bill(world: Province) -> Bill:
    return Bill.objects.get(dossier=online_dossier(world))


def test_a_signed_paid_notification_pays_the_bill(client: Any, bill: Bill) -> None:
    body = notification(transaction_id="GD1", order_id=bill.reference, amount=bill.total)
    response = post_callback(client, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"outcome": "accepted", "code": "ok"}
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.paid_at == vn(2026, 2, 12, 10, 30)
    payment = Payment.objects.get()
    assert (payment.method, payment.gateway, payment.transaction_id, payment.amount, payment.channel) == (
        PaymentMethod.LOCAL_GATEWAY, "local", "GD1", 1_258_000, "card")
    d = bill.dossier
    d.refresh_from_db()
    assert d.paid_online == OnlinePayment.LOCAL_GATEWAY and d.status == Status.RECEIVED
    assert Receipt.objects.get(bill=bill).owner == d.citizen
    assert DossierEvent.objects.filter(dossier=d, kind="payment_recorded").count() == 1
    assert GatewayNotification.objects.get().outcome == NotificationOutcome.ACCEPTED


def test_national_portal_payment_is_recorded_as_such(client: Any, bill: Bill) -> None:
    body = notification(transaction_id="DVCQG-1", order_id=bill.reference, amount=bill.total, merchant="national")
    assert post_callback(client, body, gateway="national").status_code == 200
    d = bill.dossier
    d.refresh_from_db()
    assert d.paid_online == OnlinePayment.NATIONAL_PORTAL
    assert Payment.objects.get().method == PaymentMethod.NATIONAL_PORTAL


def test_the_same_transaction_twice_is_one_payment(client: Any, bill: Bill) -> None:
    body = notification(transaction_id="GD2", order_id=bill.reference, amount=bill.total)
    first, second = post_callback(client, body), post_callback(client, body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"outcome": "duplicate", "code": "duplicate"}
    assert Payment.objects.count() == 1 and Receipt.objects.count() == 1
    assert list(GatewayNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted", "duplicate"]
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 1


def test_a_stale_notification_after_paid_changes_nothing(client: Any, bill: Bill) -> None:
    paid = notification(transaction_id="GD3", order_id=bill.reference, amount=bill.total, seq=2)
    pending = notification(transaction_id="GD3", order_id=bill.reference, amount=bill.total, status="pending", seq=1)
    assert post_callback(client, paid).status_code == 200
    before = state(bill)
    response = post_callback(client, pending)
    assert response.status_code == 200 and response.json()["outcome"] == "duplicate"
    assert state(bill) == before


def test_pending_before_paid_is_ignored_then_paid_counts(client: Any, bill: Bill) -> None:
    pending = notification(transaction_id="GD4", order_id=bill.reference, amount=bill.total, status="pending", seq=1)
    response = post_callback(client, pending)
    assert response.status_code == 200 and response.json() == {"outcome": "ignored", "code": "status_pending"}
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    assert post_callback(client, notification(transaction_id="GD4", order_id=bill.reference,
                                              amount=bill.total)).json()["outcome"] == "accepted"


@pytest.mark.parametrize("case", ["wrong_signature", "no_signature", "other_gateways_secret", "tampered_amount"])
def test_forged_callbacks_are_refused_logged_and_audited(client: Any, bill: Bill, case: str) -> None:
    before = state(bill)
    body = notification(transaction_id="GD5", order_id=bill.reference, amount=bill.total)
    if case == "wrong_signature":
        response = post_callback(client, body, signature="0" * 64)
    elif case == "no_signature":
        response = post_callback(client, body, signature="")
    elif case == "other_gateways_secret":
        response = post_callback(client, body, signature=sign(DEMO_SECRETS["national"], body))
    else:
        signed = sign(DEMO_SECRETS["local"], body)
        forged = body.replace(str(bill.total).encode(), b"1000")
        response = post_callback(client, forged, signature=signed)
    assert response.status_code == 401 and response.json()["code"] == "signature_invalid"
    assert state(bill) == before
    row = GatewayNotification.objects.get()
    assert row.outcome == NotificationOutcome.REJECTED and row.reason == "signature_invalid"
    assert not row.signature_valid and row.transaction_id == ""  # nothing unsigned is trusted
    assert AuditEvent.objects.filter(action="payment.callback_rejected").count() == 1


def test_wrong_amount_is_refused(client: Any, bill: Bill) -> None:
    before = state(bill)
    response = post_callback(client, notification(transaction_id="GD6", order_id=bill.reference,
                                                  amount=bill.total - 1000))
    assert response.status_code == 400 and response.json()["code"] == "amount_mismatch"
    assert response.json()["details"] == {"expected": 1_258_000, "received": 1_257_000}
    assert state(bill) == before
    row = GatewayNotification.objects.get()
    assert (row.outcome, row.reason, row.signature_valid, row.amount) == ("rejected", "amount_mismatch", True,
                                                                          1_257_000)
    audit = AuditEvent.objects.get(action="payment.callback_rejected")
    assert audit.summary["reason"] == "amount_mismatch" and audit.summary["transaction_id"] == "GD6"


def test_unknown_bill_is_refused(client: Any, bill: Bill) -> None:
    before = state(bill)
    response = post_callback(client, notification(transaction_id="GD7", order_id="HS KHONG CO", amount=8000))
    assert response.status_code == 404 and response.json()["code"] == "bill_unknown"
    assert state(bill) == before and GatewayNotification.objects.get().reason == "bill_unknown"


def test_a_second_transaction_for_a_paid_bill_is_refused(client: Any, bill: Bill) -> None:
    post_callback(client, notification(transaction_id="GD8", order_id=bill.reference, amount=bill.total))
    before = state(bill)
    response = post_callback(client, notification(transaction_id="GD9", order_id=bill.reference, amount=bill.total))
    assert response.status_code == 409 and response.json()["code"] == "bill_already_paid"
    assert state(bill) == before and Payment.objects.get().transaction_id == "GD8"


def test_a_cancelled_bill_is_not_paid_by_a_late_callback(client: Any, world: Province, bill: Bill) -> None:
    from chinhquyenso.payments import services

    services.bill_cancel(bill=bill, actor=world.counter_a, reason="Lập lại")
    before = state(bill)
    response = post_callback(client, notification(transaction_id="GD10", order_id=bill.reference, amount=bill.total))
    assert response.status_code == 409 and response.json()["code"] == "bill_not_payable"
    assert state(bill) == before


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"transaction_id": "x"}',
                                  b'{"transaction_id":"x","order_id":"y","amount":"1000","status":"paid"}'])
def test_malformed_but_signed_bodies_are_refused(client: Any, bill: Bill, body: bytes) -> None:
    response = post_callback(client, body)
    assert response.status_code == 400 and response.json()["code"] == "notification_malformed"
    assert Payment.objects.count() == 0
    assert GatewayNotification.objects.get().signature_valid


def test_unknown_gateway_is_404(client: Any, bill: Bill) -> None:
    body = notification(transaction_id="GD11", order_id=bill.reference, amount=bill.total)
    assert post_callback(client, body, gateway="local").status_code == 200
    response = client.post("/api/v1/payments/callbacks/paypal", data=body, content_type="application/json")
    assert response.status_code == 404


def test_paying_the_obligation_moves_a_waiting_dossier_on(client: Any, world: Province) -> None:
    d = receive(world)
    at_receipt = Bill.objects.get(dossier=d, stage=BillStage.AT_RECEIPT)
    post_callback(client, notification(transaction_id="R1", order_id=at_receipt.reference, amount=at_receipt.total))
    d = require_payment(world, d, amount=300_000)
    bill = Bill.objects.get(dossier=d, stage=BillStage.OBLIGATION)
    response = post_callback(client, notification(transaction_id="O1", order_id=bill.reference, amount=300_000))
    assert response.status_code == 200
    d.refresh_from_db()
    assert d.status == Status.PROCESSING and d.paid_online == OnlinePayment.LOCAL_GATEWAY
    event = DossierEvent.objects.filter(dossier=d).order_by("-seq").first()
    assert event is not None and event.kind == "payment_fulfilled" and event.actor is None
    assert event.payload["paid_online"] == OnlinePayment.LOCAL_GATEWAY and event.payload["reference"] == "O1"


def test_an_open_receipt_bill_keeps_the_dossier_waiting(client: Any, world: Province) -> None:
    """Status 6 moves on only when nothing is left to pay: here the at-receipt bill is still open."""
    d = require_payment(world, receive(world), amount=300_000)
    bill = Bill.objects.get(dossier=d, stage=BillStage.OBLIGATION)
    assert post_callback(client, notification(transaction_id="O2", order_id=bill.reference,
                                              amount=300_000)).status_code == 200
    d.refresh_from_db()
    assert d.status == Status.PAYMENT_REQUIRED and d.paid_online == OnlinePayment.LOCAL_GATEWAY
    receipt_bill = Bill.objects.get(dossier=d, stage=BillStage.AT_RECEIPT)
    post_callback(client, notification(transaction_id="R2", order_id=receipt_bill.reference,
                                       amount=receipt_bill.total))
    d.refresh_from_db()
    assert d.status == Status.PROCESSING

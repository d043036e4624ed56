"""Reconciliation (đối soát) against the mock gateway's transaction list, and resolving each difference."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed
from chinhquyenso.dossiers.models import OnlinePayment
from chinhquyenso.payments import selectors, services
from chinhquyenso.payments.mock_gateway import MockGateway
from chinhquyenso.payments.models import (
    Bill,
    BillStatus,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyStatus,
    Payment,
    PaymentSource,
)
from tests.dossiers.factories import Province, UserFactory
from tests.payments.conftest import notification, online_dossier, post_callback

pytestmark = pytest.mark.django_db
DAY = date(2026, 2, 12)
PAID_AT = "2026-02-12T10:30:00+07:00"


@pytest.fixture
def admin(world: Province) -> Any:
    user = UserFactory(username="qt_tinh")
    RoleAssignment.objects.create(user=user, role=Role.PROVINCE_ADMIN, unit=world.province)
    return user


def start(gateway: MockGateway, world: Province, *, citizen: Any = None) -> tuple[Bill, str]:
    """A bill and a gateway transaction for it; callbacks go nowhere (mode ``drop``)."""
    bill = Bill.objects.get(dossier=online_dossier(world, citizen=citizen))
    started = services.bill_checkout(bill=bill, actor=bill.dossier.citizen, gateway_name="local",
                                     return_url="http://127.0.0.1/", callback_url="http://127.0.0.1:9/cb")
    return bill, started.transaction_id


def kinds(run: Any) -> list[str]:
    return sorted(run.items.values_list("kind", flat=True))


def test_the_three_kinds_of_difference(client: Any, world: Province, gateway: MockGateway, admin: Any) -> None:
    gateway.set_faults(mode="drop")
    # 1. matched: the gateway has it and we recorded it (the callback came through)
    matched, tx1 = start(gateway, world)
    gateway.pay(tx1, paid_at=PAID_AT)
    post_callback(client, notification(transaction_id=tx1, order_id=matched.reference, amount=matched.total))
    # 2. paid but unrecorded: the notification never arrived
    second = UserFactory(username="congdan_2", is_citizen=True)
    unrecorded, tx2 = start(gateway, world, citizen=second)
    gateway.pay(tx2, paid_at=PAID_AT)
    # 3. amount mismatch: the gateway charged another amount
    third = UserFactory(username="congdan_3", is_citizen=True)
    mismatch, tx3 = start(gateway, world, citizen=third)
    gateway.set_faults(mode="wrong_amount", wrong_amount_delta=5000)
    gateway.pay(tx3, paid_at=PAID_AT)  # its callback fails to reach the closed port 9: nothing recorded
    # 4. recorded but unpaid: a payment we hold that the gateway does not know
    fourth = UserFactory(username="congdan_4", is_citizen=True)
    phantom = Bill.objects.get(dossier=online_dossier(world, citizen=fourth))
    post_callback(client, notification(transaction_id="GD-KHONG-CO", order_id=phantom.reference,
                                       amount=phantom.total))

    run = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin)
    assert (run.gateway_count, run.matched_count) == (3, 1)
    assert kinds(run) == [DiscrepancyKind.AMOUNT_MISMATCH, DiscrepancyKind.PAID_UNRECORDED,
                          DiscrepancyKind.RECORDED_UNPAID]
    by_kind = {i.kind: i for i in run.items.all()}
    assert by_kind[DiscrepancyKind.PAID_UNRECORDED].bill == unrecorded
    assert by_kind[DiscrepancyKind.PAID_UNRECORDED].transaction_id == tx2
    assert (by_kind[DiscrepancyKind.AMOUNT_MISMATCH].gateway_amount,
            by_kind[DiscrepancyKind.AMOUNT_MISMATCH].our_amount) == (mismatch.total + 5000, mismatch.total)
    assert by_kind[DiscrepancyKind.RECORDED_UNPAID].payment.transaction_id == "GD-KHONG-CO"
    assert AuditEvent.objects.get(action="payment.reconciled").summary["matched"] == 1
    # another day has none of these
    other = services.reconciliation_run(day=date(2026, 2, 13), gateway_name="local", actor=admin)
    assert (other.gateway_count, other.items.count()) == (0, 0)


def test_record_a_payment_the_gateway_has(world: Province, gateway: MockGateway, admin: Any) -> None:
    gateway.set_faults(mode="drop")
    bill, tx = start(gateway, world)
    gateway.pay(tx, paid_at=PAID_AT)
    run = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin)
    item = run.items.get()
    resolved = services.discrepancy_resolve(item=item, actor=world.counter_a, action="record", note="")
    assert resolved.status == DiscrepancyStatus.RECORDED and resolved.resolved_by == world.counter_a
    bill.refresh_from_db()
    payment = Payment.objects.get(bill=bill)
    assert bill.status == BillStatus.PAID and payment.source == PaymentSource.RECONCILIATION
    assert payment.transaction_id == tx and payment.recorded_by == world.counter_a
    assert bill.dossier.paid_online == OnlinePayment.LOCAL_GATEWAY
    assert AuditEvent.objects.filter(action="payment.discrepancy_resolved").count() == 1
    with pytest.raises(Conflict):
        services.discrepancy_resolve(item=item, actor=world.counter_a, action="flag", note="lần hai")
    # a second run finds everything matched
    again = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin)
    assert (again.matched_count, again.items.count()) == (1, 0)


def test_flag_needs_a_note_and_record_only_fits_unrecorded_payments(world: Province, gateway: MockGateway,
                                                                    admin: Any) -> None:
    gateway.set_faults(mode="wrong_amount", wrong_amount_delta=1)
    _bill, tx = start(gateway, world)
    gateway.pay(tx, paid_at=PAID_AT)
    item = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin).items.get()
    assert item.kind == DiscrepancyKind.AMOUNT_MISMATCH
    with pytest.raises(ValidationFailed):
        services.discrepancy_resolve(item=item, actor=world.counter_a, action="record")
    with pytest.raises(ValidationFailed):
        services.discrepancy_resolve(item=item, actor=world.counter_a, action="flag", note=" ")
    with pytest.raises(ValidationFailed):
        services.discrepancy_resolve(item=item, actor=world.counter_a, action="delete", note="x")
    flagged = services.discrepancy_resolve(item=item, actor=world.counter_a, action="flag",
                                           note="Hoàn 1 đ thu thừa cho công dân")
    assert flagged.status == DiscrepancyStatus.FLAGGED and not Payment.objects.exists()


def test_scope_of_reconciliation(world: Province, gateway: MockGateway, admin: Any) -> None:
    gateway.set_faults(mode="drop")
    _bill, tx = start(gateway, world)
    gateway.pay(tx, paid_at=PAID_AT)
    with pytest.raises(PermissionDenied):
        services.reconciliation_run(day=DAY, gateway_name="local", actor=world.counter_a)
    item = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin).items.get()
    assert list(selectors.discrepancies_for_officer(world.counter_b)) == []
    assert list(selectors.discrepancies_for_officer(world.counter_a)) == [item]
    with pytest.raises(PermissionDenied):
        services.discrepancy_resolve(item=item, actor=world.counter_b, action="flag", note="không phải của tôi")
    item.refresh_from_db()
    assert item.status == DiscrepancyStatus.OPEN


def test_unknown_order_needs_the_province(world: Province, gateway: MockGateway, admin: Any) -> None:
    gateway.state.set_faults(mode="drop")
    gateway.server.transfer({"merchant": "local", "content": "TIEN NHAM", "amount": 50_000,
                             "callback_url": "http://127.0.0.1:9/cb", "paid_at": PAID_AT})
    item = services.reconciliation_run(day=DAY, gateway_name="local", actor=admin).items.get()
    assert item.kind == DiscrepancyKind.PAID_UNRECORDED and item.bill is None
    assert list(selectors.discrepancies_for_officer(world.counter_a)) == []
    assert list(selectors.discrepancies_for_officer(admin)) == [item]
    with pytest.raises(PermissionDenied):
        services.discrepancy_resolve(item=item, actor=world.counter_a, action="flag", note="x")
    with pytest.raises(ValidationFailed):
        services.discrepancy_resolve(item=item, actor=admin, action="record")
    assert services.discrepancy_resolve(item=item, actor=admin, action="flag",
                                        note="Chuyển nhầm, hoàn tiền").status == DiscrepancyStatus.FLAGGED


def test_command(world: Province, gateway: MockGateway) -> None:
    gateway.set_faults(mode="drop")
    _bill, tx = start(gateway, world)
    gateway.pay(tx, paid_at=PAID_AT)
    out = StringIO()
    call_command("reconcile_payments", "--date", "2026-02-12", "--gateway", "local", stdout=out)
    assert "1 giao dịch" in out.getvalue() and "[paid_unrecorded]" in out.getvalue() and tx in out.getvalue()
    assert Discrepancy.objects.filter(kind=DiscrepancyKind.PAID_UNRECORDED).count() == 1
    with pytest.raises(CommandError):
        call_command("reconcile_payments", "--date", "2026-02-12", "--gateway", "local", "--fail-on-discrepancy",
                     stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("reconcile_payments", "--date", "12/02/2026", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("reconcile_payments", "--date", "2026-02-12", "--gateway", "paypal", stdout=StringIO())

"""Bills: raised from the procedure's fees at each stage, exemptions, idempotency, cancel, cash."""

from __future__ import annotations

from typing import Any

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed
from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.dossiers.models import ApplicantKind, DossierEvent, OnlinePayment, Status
from chinhquyenso.files.selectors import file_read
from chinhquyenso.payments import services
from chinhquyenso.payments.models import Bill, BillStage, BillStatus, Payment, PaymentMethod, Receipt
from tests.dossiers.conftest import TINY_PDF
from tests.dossiers.factories import Province
from tests.payments.conftest import applicant, online_dossier, receive, require_payment, to_last_step, vn

pytestmark = pytest.mark.django_db


def lines(bill: Bill) -> list[tuple[str, int, int, bool]]:
    return [(li.code, li.unit_amount, li.amount, li.exempt) for li in bill.lines.all()]


def test_receipt_raises_the_at_receipt_bill_by_itself(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    assert bill.stage == BillStage.AT_RECEIPT and bill.status == BillStatus.OPEN
    assert lines(bill) == [("LP", 8000, 8000, False), ("PTD", 1_250_000, 1_250_000, False)]
    assert bill.total == 1_258_000 and bill.payer_name == "Nguyễn Văn An"
    assert bill.reference == "HS H0112260212 0001 T" and len(bill.reference) <= 25
    # each line settles the dossier's fee snapshot row (DanhSachLePhi)
    assert {li.dossier_fee.code for li in bill.lines.all()} == {"LP", "PTD"}
    assert AuditEvent.objects.filter(action="payment.bill_raised", object_id=str(bill.pk)).count() == 1


def test_exemption_by_applicant_type_keeps_the_fee_at_zero(world: Province) -> None:
    d = receive(world, applicant=applicant(kind=ApplicantKind.BUSINESS, name="Công ty TNHH An Phú",
                                           id_number="1601234567"))
    bill = Bill.objects.get(dossier=d)
    assert lines(bill) == [("LP", 8000, 8000, False), ("PTD", 1_250_000, 0, True)]
    assert bill.total == 8000
    assert "Doanh nghiệp được miễn" in bill.lines.get(code="PTD").exemption_note


def test_everything_exempt_gives_a_waived_bill(world: Province) -> None:
    world.fee.exempt_applicant_types = ["business"]
    world.fee.save()
    d = receive(world, applicant=applicant(kind=ApplicantKind.BUSINESS, name="Công ty TNHH An Phú",
                                           id_number="1601234567"))
    bill = Bill.objects.get(dossier=d)
    assert bill.total == 0 and bill.status == BillStatus.WAIVED and not bill.is_payable


def test_bill_raise_is_idempotent_per_dossier_and_stage(world: Province) -> None:
    d = receive(world)
    first = Bill.objects.get(dossier=d)
    again = services.bill_raise(dossier=d, stage=BillStage.AT_RECEIPT, actor=world.counter_a)
    assert again.pk == first.pk and Bill.objects.filter(dossier=d).count() == 1
    assert AuditEvent.objects.filter(action="payment.bill_raised").count() == 1


def test_supplement_stage(world: Province) -> None:
    d = receive(world)
    d = dossier_services.dossier_request_supplement(dossier=d, actor=world.counter_a, reason="Thiếu giấy tờ",
                                                    items=["Giấy chứng sinh bản chính"], at=vn(2026, 2, 12, 11))
    assert not Bill.objects.filter(dossier=d, stage=BillStage.AT_SUPPLEMENT).exists()
    dossier_services.dossier_receive_supplement(dossier=d, actor=world.counter_a, at=vn(2026, 2, 13, 9))
    bill = Bill.objects.get(dossier=d, stage=BillStage.AT_SUPPLEMENT)
    assert lines(bill) == [("PBS", 20_000, 20_000, False)] and bill.reference.endswith(" B")


def test_result_stage(world: Province) -> None:
    d = to_last_step(world, receive(world))
    assert not Bill.objects.filter(dossier=d, stage=BillStage.AT_RESULT).exists()
    dossier_services.dossier_finish(dossier=d, actor=world.processor_a, at=vn(2026, 2, 23, 9), results=[
        dossier_services.ResultInput(procedure_result=world.result, code="KS-01", upload=dossier_services.UploadInput(
            TINY_PDF, "ks.pdf"), signed=True)])
    bill = Bill.objects.get(dossier=d, stage=BillStage.AT_RESULT)
    assert lines(bill) == [("PKQ", 35_000, 35_000, False)] and bill.reference.endswith(" K")


def test_obligation_stage_bills_what_processing_found(world: Province) -> None:
    d = require_payment(world, receive(world), amount=500_000)
    assert d.status == Status.PAYMENT_REQUIRED
    bill = Bill.objects.get(dossier=d, stage=BillStage.OBLIGATION)
    assert lines(bill) == [("LPTB", 500_000, 500_000, False)] and bill.reference.endswith(" N")
    # asking again bills nothing new
    assert services.bill_raise(dossier=d, stage=BillStage.OBLIGATION, actor=world.processor_a).pk == bill.pk


def test_a_stage_without_fees_is_refused(world: Province) -> None:
    world.procedure.fees.filter(stage="at_supplement").delete()
    d = receive(world)
    with pytest.raises(ValidationFailed) as err:
        services.bill_raise(dossier=d, stage=BillStage.AT_SUPPLEMENT, actor=world.counter_a)
    assert err.value.code == "no_fees"
    with pytest.raises(ValidationFailed):
        services.bill_raise(dossier=d, stage="later", actor=world.counter_a)


def test_officer_of_another_commune_cannot_raise_or_cancel(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    with pytest.raises(PermissionDenied):
        services.bill_raise(dossier=d, stage=BillStage.AT_RESULT, actor=world.counter_b)
    with pytest.raises(PermissionDenied):
        services.bill_cancel(bill=bill, actor=world.counter_b, reason="Nhầm")
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN


def test_cancel_then_raise_again_gets_a_new_reference(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    with pytest.raises(ValidationFailed):
        services.bill_cancel(bill=bill, actor=world.counter_a, reason=" ")
    services.bill_cancel(bill=bill, actor=world.counter_a, reason="Lập nhầm mức thu")
    bill.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED and bill.cancelled_by == world.counter_a
    again = services.bill_raise(dossier=d, stage=BillStage.AT_RECEIPT, actor=world.counter_a)
    assert again.pk != bill.pk and again.reference == "HS H0112260212 0001 T2"


def test_closing_the_dossier_cancels_its_open_bills(world: Province) -> None:
    d = receive(world)
    dossier_services.dossier_withdraw(dossier=d, actor=world.counter_a, reason="Công dân xin rút")
    assert Bill.objects.get(dossier=d).status == BillStatus.CANCELLED
    with pytest.raises(Conflict):
        services.bill_raise(dossier=d, stage=BillStage.AT_RESULT, actor=world.counter_a)


def test_reference_stays_within_25_ascii_characters_for_long_codes() -> None:
    ref = services.bill_reference_for("000.12.30.H01-260212-0001", BillStage.AT_RECEIPT, 12)
    assert len(ref) <= 25 and ref.isascii() and ref.endswith("0001 T12")
    assert services.bill_reference_for("H01.12-261125-0001", BillStage.AT_RECEIPT) == "HS H0112261125 0001 T"


# --- cash at the counter ---------------------------------------------------------------------------


def test_cash_payment_marks_paid_issues_a_receipt_and_leaves_paid_online(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    payment = services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="0001234",
                                           at=vn(2026, 2, 12, 10, 30))
    bill.refresh_from_db()
    d.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.paid_at == vn(2026, 2, 12, 10, 30)
    assert payment.method == PaymentMethod.CASH and payment.amount == 1_258_000
    assert payment.counter_receipt_no == "0001234" and payment.recorded_by == world.counter_a
    assert d.paid_online == OnlinePayment.NO and d.status == Status.RECEIVED
    assert set(d.fees.filter(stage="at_receipt").values_list("paid_at", flat=True)) == {vn(2026, 2, 12, 10, 30)}
    assert set(d.fees.exclude(stage="at_receipt").values_list("paid_at", flat=True)) == {None}
    receipt = Receipt.objects.get(bill=bill)
    assert file_read(receipt.file).startswith(b"%PDF") and receipt.number == 1
    event = DossierEvent.objects.filter(dossier=d).order_by("-seq").first()
    assert event is not None and event.kind == "payment_recorded" and event.actor == world.counter_a


def test_cash_needs_the_counter_role_and_a_receipt_number_and_is_not_taken_twice(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    for actor, number in ((world.processor_a, "1"), (world.counter_b, "1"), (world.counter_a, "")):
        with pytest.raises((PermissionDenied, ValidationFailed)):
            services.bill_mark_paid_cash(bill=bill, actor=actor, receipt_no=number)
    assert not Payment.objects.exists()
    services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="7")
    with pytest.raises(Conflict) as err:
        services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="8")
    assert err.value.code == "bill_already_paid" and Payment.objects.count() == 1
    with pytest.raises(Conflict):
        services.bill_cancel(bill=bill, actor=world.counter_a, reason="Muộn")


def test_cash_for_the_obligation_moves_the_dossier_on(world: Province) -> None:
    d = receive(world)
    services.bill_mark_paid_cash(bill=Bill.objects.get(dossier=d), actor=world.counter_a, receipt_no="1")
    d = require_payment(world, d)
    bill = Bill.objects.get(dossier=d, stage=BillStage.OBLIGATION)
    services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="2")
    d.refresh_from_db()
    assert d.status == Status.PROCESSING
    assert d.fees.get(code="LPTB").paid_at is not None
    assert DossierEvent.objects.filter(dossier=d, kind="payment_fulfilled").count() == 1


def test_receipts_are_numbered_in_sequence(world: Province) -> None:
    numbers: list[Any] = []
    for _ in range(3):
        d = receive(world)
        services.bill_mark_paid_cash(bill=Bill.objects.get(dossier=d), actor=world.counter_a, receipt_no="x")
        numbers.append(Receipt.objects.get(bill__dossier=d).number)
    assert numbers == [1, 2, 3]


def test_online_dossier_bill_belongs_to_the_citizen(world: Province) -> None:
    d = online_dossier(world)
    bill = Bill.objects.get(dossier=d)
    assert d.citizen == world.citizen and bill.status == BillStatus.OPEN

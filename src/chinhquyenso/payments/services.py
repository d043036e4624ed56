"""Every write of the payments app: bills, payments (gateway, cash, reconciliation), e-receipts.

Each service is one transaction with its audit row. Calls to a gateway (HTTP) happen before or
after the transaction, never inside it. A payment, however it arrives, goes through
:func:`_record_payment`: bill paid, receipt issued, dossier told (``paid_online`` set; a dossier
waiting for payment, status 6, moves on through ``dossier_payment_fulfilled``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.audit.services import audit_record
from chinhquyenso.core import projectors
from chinhquyenso.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.core.text import fold, nfc
from chinhquyenso.dossiers.models import ApplicantKind, Dossier, DossierFee, DossierFeeStage, OnlinePayment, Status
from chinhquyenso.payments.conf import gateway_configs, receipt_series
from chinhquyenso.payments.gateway import (
    PAID,
    CheckoutStart,
    GatewayTransaction,
    Notification,
    PaymentGateway,
    SignatureInvalid,
    get_gateway,
)
from chinhquyenso.payments.models import (
    ACTIVE_BILL_STATUSES,
    STAGE_LETTER,
    Bill,
    BillLine,
    BillStage,
    BillStatus,
    Checkout,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyStatus,
    GatewayNotification,
    NotificationOutcome,
    Payment,
    PaymentMethod,
    PaymentSource,
    Receipt,
    ReceiptCounter,
    ReconciliationRun,
)
from chinhquyenso.workdays.calendar import TIMEZONE

logger = logging.getLogger("chinhquyenso.payments")

#: Who may raise or cancel a bill, at the dossier's handling or receiving agency.
BILLING_ROLES = (Role.ONE_STOP_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER)
#: Who takes cash at the counter.
CASH_ROLES = (Role.ONE_STOP_OFFICER,)
#: Who resolves reconciliation differences.
RECONCILE_ROLES = (Role.ONE_STOP_OFFICER, Role.UNIT_ADMIN, Role.PROVINCE_ADMIN)
#: A dossier in one of these statuses is over: nothing more is billed.
_CLOSED_FOR_BILLING = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED)
#: Projector stream dispatched when a receipt is issued (the citizen document store subscribes).
RECEIPT_STREAM = "payment_receipt"

METHOD_FOR_PAID_ONLINE = {
    OnlinePayment.NATIONAL_PORTAL: PaymentMethod.NATIONAL_PORTAL,
    OnlinePayment.LOCAL_GATEWAY: PaymentMethod.LOCAL_GATEWAY,
}
PAID_ONLINE_FOR_METHOD = {method: paid for paid, method in METHOD_FOR_PAID_ONLINE.items()}


# --- helpers -----------------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed("Thời điểm phải có múi giờ.", code="naive_datetime")
    return at


def _actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _text(value: str | None, *, label: str, required: bool = False, max_length: int = 500) -> str:
    cleaned = nfc((value or "").strip())
    if required and not cleaned:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code="required", details={"field": label})
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{label.capitalize()} quá dài (tối đa {max_length} ký tự).", code="too_long",
                               details={"field": label})
    return cleaned


def officer_may_act(actor: Any, dossier: Dossier, roles: Sequence[str]) -> bool:
    """One of ``roles`` at the dossier's handling or receiving agency."""
    return has_role(actor, *roles, agency=dossier.agency_id) or has_role(
        actor, *roles, agency=dossier.receiving_agency_id
    )


def _ensure_officer(actor: Any, dossier: Dossier, roles: Sequence[str]) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Vui lòng đăng nhập.", code="login_required")
    if not officer_may_act(actor, dossier, roles):
        raise PermissionDenied("Bạn không có quyền thực hiện thao tác thu phí với hồ sơ này.", code="out_of_scope")


def _lock_dossier(dossier: Dossier | int) -> Dossier:
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    locked = Dossier.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    return locked


def _lock_bill(bill: Bill | int) -> Bill:
    pk = bill.pk if isinstance(bill, Bill) else bill
    locked = Bill.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound("Không tìm thấy thông báo phí, lệ phí.", code="bill_not_found")
    return locked


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of ``day`` in Vietnam time."""
    start = datetime.combine(day, time.min, tzinfo=TIMEZONE)
    return start, start + timedelta(days=1)


# --- bills ---------------------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def _compact(value: str) -> str:
    return _NOT_ALNUM.sub("", fold(value).upper())


def bill_reference_for(code: str, stage: str, round_no: int = 1) -> str:
    """Short ASCII reference, ≤ 25 characters: ``H01.12-261125-0001`` at receipt → ``HS H0112261125 0001 T``.

    It is the VietQR transfer content and the gateway's order id, so it must survive banks that
    strip anything but letters, digits and spaces."""
    head, _, seq = code.rpartition("-")
    head, seq = (_compact(head), _compact(seq)) if head else (_compact(code), "")
    suffix = STAGE_LETTER[BillStage(stage)] + (str(round_no) if round_no > 1 else "")
    tail = f"{seq} {suffix}" if seq else suffix
    candidate = f"HS {head} {tail}"
    if len(candidate) > 25:
        room = 25 - len(tail) - 1
        candidate = f"{head[-room:]} {tail}"
    return candidate


def _fees_day(dossier: Dossier) -> date:
    """Fees are those in force when the dossier was received (the DanhSachLePhi snapshot day)."""
    moment = dossier.received_at or timezone.now()
    return moment.astimezone(TIMEZONE).date()


def _catalog_lines(dossier: Dossier, stage: str) -> list[BillLine]:
    from chinhquyenso.dossiers.services import APPLICANT_TYPE_FOR_FEES, dossier_children
    from chinhquyenso.procedures.models import ApplicantType
    from chinhquyenso.procedures.selectors import procedure_fees_on

    day = _fees_day(dossier)
    applicant_type = APPLICANT_TYPE_FOR_FEES.get(ApplicantKind(dossier.applicant_type), ApplicantType.CITIZEN.value)
    in_force = procedure_fees_on(dossier.procedure, day)
    # One read: the payable subset is procedure_fees_on's own rule (the applicant type is not exempt).
    payable = {fee.pk for fee in in_force if applicant_type not in (fee.exempt_applicant_types or [])}
    snapshot = {(f.code, f.name): f for f in dossier_children(dossier, "fees") if f.stage == stage}
    lines: list[BillLine] = []
    for fee in in_force:
        if fee.stage != stage:
            continue
        exempt = fee.pk not in payable
        lines.append(BillLine(
            name=fee.name, code=fee.code, unit_amount=fee.amount, amount=0 if exempt else fee.amount, exempt=exempt,
            exemption_note=(fee.exemption_text or "Đối tượng được miễn")[:500] if exempt else "",
            procedure_fee=fee, dossier_fee=snapshot.get((fee.code, fee.name)),
        ))
    return lines


def _obligation_lines(dossier: Dossier) -> list[BillLine]:
    billed = BillLine.objects.filter(
        bill__dossier=dossier, bill__status__in=[BillStatus.OPEN, BillStatus.PAID], dossier_fee__isnull=False
    ).values("dossier_fee_id")
    fees = DossierFee.objects.filter(
        dossier=dossier, stage=DossierFeeStage.OBLIGATION, paid_at__isnull=True
    ).exclude(pk__in=billed).order_by("id")
    return [BillLine(name=f.name, code=f.code, unit_amount=f.amount, amount=f.amount, dossier_fee=f) for f in fees]


def _unique_reference(dossier: Dossier, stage: str, *, earlier_bills: int) -> str:
    """``earlier_bills``: how many bills of this stage the dossier already has (any status)."""
    round_no = earlier_bills + 1
    for _ in range(100):
        reference = bill_reference_for(dossier.code, stage, round_no)
        if not Bill.objects.filter(reference=reference).exists():
            return reference
        round_no += 1
    raise Conflict("Không tạo được mã thanh toán, vui lòng thử lại.", code="reference_exhausted")


@transaction.atomic
def bill_raise(*, dossier: Dossier, stage: str, actor: Any, at: datetime | None = None) -> Bill:
    """Thông báo nộp phí, lệ phí for one stage of a dossier, from the procedure's fees with the
    exemptions of the applicant's type (exempt fees stay on the bill at 0 đ).

    Idempotent per (dossier, stage): while a bill of that stage is open, paid or waived it is
    returned as is. Obligations (status 6) are billed for whatever is not billed yet.
    ``actor=None`` is the system (the projector on dossier events)."""
    _now(at)
    if stage not in BillStage.values:
        raise ValidationFailed("Giai đoạn thu phí không hợp lệ.", code="stage_invalid")
    d = _lock_dossier(dossier)
    if actor is not None:
        _ensure_officer(actor, d, BILLING_ROLES)
    return _bill_raise_locked(d, stage=stage, actor=actor)


def _bill_raise_locked(d: Dossier, *, stage: str, actor: Any) -> Bill:
    """:func:`bill_raise` for a dossier row the caller's transaction already holds locked (the projector
    runs inside the dossier service, which locked or created the row). Writes nothing before it may
    still refuse, so a refusal leaves the caller's transaction clean."""
    if d.status in _CLOSED_FOR_BILLING:
        raise Conflict("Hồ sơ đã kết thúc, không lập thông báo phí.", code="dossier_closed")
    stage_bills = list(Bill.objects.filter(dossier=d, stage=stage))  # newest first (Meta.ordering)
    existing = next((b for b in stage_bills if b.status in ACTIVE_BILL_STATUSES), None)
    if stage == BillStage.OBLIGATION:
        lines = _obligation_lines(d)
        if not lines and existing is not None:
            return existing
    else:
        if existing is not None:
            return existing
        lines = _catalog_lines(d, stage)
    if not lines:
        raise ValidationFailed("Không có khoản phí, lệ phí nào phải thu ở giai đoạn này.", code="no_fees")
    total = sum(line.amount for line in lines)
    bill = Bill.objects.create(
        dossier=d, stage=stage, status=BillStatus.OPEN if total > 0 else BillStatus.WAIVED,
        reference=_unique_reference(d, stage, earlier_bills=len(stage_bills)), total=total, payer_name=d.applicant_name,
        created_by=_actor_or_none(actor),
    )
    for line in lines:
        line.bill = bill
    BillLine.objects.bulk_create(lines)
    audit_record(action="payment.bill_raised", actor=actor, obj=bill, summary={
        "dossier": d.code, "stage": stage, "reference": bill.reference, "total": total, "status": bill.status,
        "lines": [{"name": li.name, "amount": li.amount, "exempt": li.exempt} for li in lines],
    })
    return bill


@transaction.atomic
def bill_cancel(*, bill: Bill, actor: Any, reason: str) -> Bill:
    """Hủy thông báo phí (an error, or the dossier ended). A paid bill is refunded, not cancelled."""
    b = _lock_bill(bill)
    if actor is not None:
        _ensure_officer(actor, b.dossier, BILLING_ROLES)
    text = _text(reason, label="lý do hủy", required=True)
    if b.status == BillStatus.CANCELLED:
        return b
    if b.status == BillStatus.PAID:
        raise Conflict("Thông báo phí đã được thanh toán, không thể hủy.", code="bill_already_paid")
    before = b.status
    b.status = BillStatus.CANCELLED
    b.cancelled_at = timezone.now()
    b.cancelled_by = _actor_or_none(actor)
    b.cancel_reason = text
    b.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    audit_record(action="payment.bill_cancelled", actor=actor, obj=b,
                 summary={"reference": b.reference, "from_status": before, "reason": text})
    return b


# --- recording a payment ------------------------------------------------------------------------


def _settled_obligations(dossier: Dossier) -> bool:
    """Every obligation fee of the dossier is paid or on a paid bill, and no bill is still open."""
    if Bill.objects.filter(dossier=dossier, status=BillStatus.OPEN).exists():
        return False
    unpaid = set(DossierFee.objects.filter(dossier=dossier, stage=DossierFeeStage.OBLIGATION,
                                           paid_at__isnull=True).values_list("pk", flat=True))
    covered = set(BillLine.objects.filter(dossier_fee_id__in=unpaid, bill__status=BillStatus.PAID)
                  .values_list("dossier_fee_id", flat=True))
    return unpaid <= covered


def _dossier_note_payment(*, dossier: Dossier, bill: Bill, payment: Payment, paid_online: int | None,
                          actor: Any, at: datetime) -> None:
    """Tell the dossier, through its services: status 6 → 4 (``dossier_payment_fulfilled``) when nothing
    is left to pay; otherwise ``dossier_record_payment`` (settled fee rows, ``paid_online``, the
    ``payment_recorded`` event for the national-portal sync and the audit log)."""
    from chinhquyenso.dossiers import services as dossier_services

    reference = payment.transaction_id or payment.counter_receipt_no or bill.reference
    fee_ids = [fid for fid in bill.lines.values_list("dossier_fee_id", flat=True) if fid]
    d = _lock_dossier(dossier)
    if d.status == Status.PAYMENT_REQUIRED and _settled_obligations(d):
        DossierFee.objects.filter(pk__in=fee_ids, paid_at__isnull=True).update(paid_at=payment.paid_at)
        dossier_services.dossier_payment_fulfilled(
            dossier=d, actor=actor, paid_online=paid_online or OnlinePayment.NO, reference=reference, at=at,
        )
        return
    dossier_services.dossier_record_payment(
        dossier=d, actor=actor, bill_reference=bill.reference, stage=bill.stage, amount=payment.amount,
        method=payment.method, paid_at=payment.paid_at, fee_ids=fee_ids, paid_online=paid_online,
        reference=reference, at=at,
    )


def _next_receipt_number(series: str) -> int:
    counter, _ = ReceiptCounter.objects.get_or_create(series=series)
    counter = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def receipt_data(*, bill: Bill, payment: Payment, series: str, number: int,
                 issued_at: datetime) -> Any:
    from chinhquyenso.dossiers.forms import agency_info
    from chinhquyenso.payments.receipts import ReceiptData, ReceiptLine

    dossier = bill.dossier
    collector = payment.recorded_by
    return ReceiptData(
        agency=agency_info(dossier.receiving_agency), series=series, number=number, issued_at=issued_at,
        payer_name=bill.payer_name, payer_address=dossier.applicant_address, dossier_code=dossier.code,
        procedure_name=dossier.procedure.name, bill_reference=bill.reference,
        method_label=PaymentMethod(payment.method).label, paid_at=payment.paid_at,
        lines=[ReceiptLine(name=li.name, unit_amount=li.unit_amount, amount=li.amount, exempt=li.exempt,
                           exemption_note=li.exemption_note) for li in bill.lines.all()],
        total=bill.total, transaction_id=payment.transaction_id, counter_receipt_no=payment.counter_receipt_no,
        collector_name=(getattr(collector, "display_name", "") or getattr(collector, "username", ""))
        if collector else "",
    )


def _issue_receipt(*, bill: Bill, payment: Payment, actor: Any) -> Receipt:
    """Biên lai điện tử: numbered in its yearly series, rendered, stored in the file store."""
    from chinhquyenso.files.services import file_store
    from chinhquyenso.payments.receipts import render_receipt

    issued_at = timezone.now()
    series = receipt_series(issued_at.astimezone(TIMEZONE).year)
    number = _next_receipt_number(series)
    pdf = render_receipt(receipt_data(bill=bill, payment=payment, series=series, number=number,
                                      issued_at=issued_at))
    stored = file_store(content=pdf, filename=f"bien-lai-{series}-{number:07d}.pdf", allowed=frozenset({"pdf"}),
                        actor=actor)
    receipt = Receipt.objects.create(bill=bill, payment=payment, series=series, number=number, issued_at=issued_at,
                                     file=stored, owner=bill.dossier.citizen)
    audit_record(action="payment.receipt_issued", actor=actor, obj=receipt,
                 summary={"receipt": receipt.label, "bill": bill.reference, "amount": bill.total,
                          "sha256": stored.sha256})
    projectors.dispatch(RECEIPT_STREAM, receipt)
    return receipt


def _record_payment(*, bill: Bill, method: str, source: str, amount: int, paid_at: datetime, actor: Any,
                    gateway: str = "", transaction_id: str = "", channel: str = "", counter_receipt_no: str = "",
                    dossier_actor: Any = None) -> Payment:
    """Bill (locked, open) → paid, with its payment, receipt and dossier side; in the caller's transaction."""
    payment = Payment.objects.create(
        bill=bill, method=method, source=source, gateway=gateway, transaction_id=transaction_id, channel=channel,
        counter_receipt_no=counter_receipt_no, amount=amount, paid_at=paid_at, recorded_by=_actor_or_none(actor),
    )
    bill.status = BillStatus.PAID
    bill.paid_at = paid_at
    bill.save(update_fields=["status", "paid_at"])
    audit_record(action="payment.recorded", actor=actor, obj=payment, summary={
        "bill": bill.reference, "dossier": bill.dossier.code, "method": method, "source": source, "amount": amount,
        "gateway": gateway, "transaction_id": transaction_id, "counter_receipt_no": counter_receipt_no,
    })
    _issue_receipt(bill=bill, payment=payment, actor=actor)
    _dossier_note_payment(dossier=bill.dossier, bill=bill, payment=payment,
                          paid_online=PAID_ONLINE_FOR_METHOD.get(PaymentMethod(method)), actor=dossier_actor,
                          at=timezone.now())
    return payment


@transaction.atomic
def bill_mark_paid_cash(*, bill: Bill, actor: Any, receipt_no: str, at: datetime | None = None) -> Payment:
    """Thu tiền mặt tại Bộ phận Một cửa: ``receipt_no`` is the number of the paper receipt handed over."""
    moment = _now(at)
    b = _lock_bill(bill)
    _ensure_officer(actor, b.dossier, CASH_ROLES)
    number = _text(receipt_no, label="số biên lai", required=True, max_length=40)
    if b.status == BillStatus.PAID:
        raise Conflict("Thông báo phí đã được thanh toán.", code="bill_already_paid")
    if not b.is_payable:
        raise Conflict("Thông báo phí không ở trạng thái chờ thanh toán.", code="bill_not_payable")
    return _record_payment(bill=b, method=PaymentMethod.CASH, source=PaymentSource.COUNTER, amount=b.total,
                           paid_at=moment, actor=actor, counter_receipt_no=number, dossier_actor=actor)


# --- gateway: starting a payment -------------------------------------------------------------


def may_pay(actor: Any, bill: Bill) -> bool:
    """The dossier's online owner, or an officer who may bill it (paying on the citizen's behalf)."""
    from chinhquyenso.dossiers.workflow import is_owner

    return is_owner(actor, bill.dossier) or (
        actor is not None and getattr(actor, "is_authenticated", False)
        and officer_may_act(actor, bill.dossier, BILLING_ROLES)
    )


def checkout_start(*, bill: Bill, actor: Any, gateway_name: str, return_url: str,
                   callback_url: str) -> tuple[Bill, PaymentGateway, CheckoutStart]:
    """Check who pays what, then ask the gateway for a payment page. Writes nothing: the HTTP call
    must not sit inside a transaction (on SQLite that would hold the write lock)."""
    gateway = get_gateway(gateway_name)
    b = Bill.objects.select_related("dossier").filter(pk=bill.pk).first()
    if b is None:
        raise NotFound("Không tìm thấy thông báo phí, lệ phí.", code="bill_not_found")
    if not may_pay(actor, b):
        raise PermissionDenied("Bạn không có quyền thanh toán thông báo phí này.", code="not_owner")
    if not b.is_payable:
        raise Conflict("Thông báo phí không ở trạng thái chờ thanh toán.", code="bill_not_payable")
    return b, gateway, gateway.create_payment(b, return_url=return_url, callback_url=callback_url)


@transaction.atomic
def checkout_record(*, bill: Bill, gateway: PaymentGateway, started: CheckoutStart, actor: Any) -> Checkout:
    """Remember the payment the gateway opened (its transaction id leads back to the bill)."""
    checkout = Checkout.objects.create(bill=bill, gateway=gateway.name, transaction_id=started.transaction_id,
                                       redirect_url=started.redirect_url, amount=bill.total,
                                       created_by=_actor_or_none(actor))
    audit_record(action="payment.checkout_started", actor=actor, obj=bill, summary={
        "reference": bill.reference, "gateway": gateway.name, "transaction_id": started.transaction_id,
        "amount": bill.total,
    })
    return checkout


def bill_checkout(*, bill: Bill, actor: Any, gateway_name: str, return_url: str, callback_url: str) -> Checkout:
    """Thanh toán trực tuyến: start a payment at a gateway, then record it; the caller redirects the
    citizen to ``checkout.redirect_url``."""
    b, gateway, started = checkout_start(bill=bill, actor=actor, gateway_name=gateway_name, return_url=return_url,
                                         callback_url=callback_url)
    return checkout_record(bill=b, gateway=gateway, started=started, actor=actor)


# --- gateway: callbacks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    outcome: str
    reason: str
    notification: GatewayNotification
    payment: Payment | None = None


class _Rejected(Exception):
    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


def _log_notification(*, gateway: str, outcome: str, reason: str, body: bytes, signature_valid: bool,
                      note: Notification | None, payment: Payment | None = None) -> GatewayNotification:
    return GatewayNotification.objects.create(
        gateway=gateway[:20], outcome=outcome, reason=reason[:40], signature_valid=signature_valid,
        transaction_id=(note.transaction_id if note else "")[:80],
        bill_reference=(note.bill_reference if note else "")[:80], amount=note.amount if note else None,
        status=(note.status if note else "")[:20], body=body[:4000].decode("utf-8", "replace"), payment=payment,
    )


def _reject(*, gateway: str, body: bytes, error: DomainError, signature_valid: bool,
            note: Notification | None) -> GatewayNotification:
    """A refused callback: logged, audited, and nothing else changes."""
    with transaction.atomic():
        row = _log_notification(gateway=gateway, outcome=NotificationOutcome.REJECTED, reason=error.code, body=body,
                                signature_valid=signature_valid, note=note)
        audit_record(action="payment.callback_rejected", actor=None, obj=row, summary={
            "gateway": gateway, "reason": error.code, "signature_valid": signature_valid,
            "transaction_id": row.transaction_id, "bill": row.bill_reference, "amount": row.amount,
        })
    logger.warning("payment callback rejected: gateway=%s reason=%s transaction=%s bill=%s", gateway, error.code,
                   row.transaction_id or "-", row.bill_reference or "-")
    return row


def _accept(gateway: PaymentGateway, note: Notification, body: bytes) -> CallbackResult:
    with transaction.atomic():
        bill: Bill | None = None
        existing = Payment.objects.filter(gateway=gateway.name, transaction_id=note.transaction_id).first()
        if existing is None and note.status == PAID:
            bill = Bill.objects.select_for_update().filter(reference=note.bill_reference).first()
            # Re-read under the bill's lock: a concurrent copy of this notification may have won.
            existing = Payment.objects.filter(gateway=gateway.name, transaction_id=note.transaction_id).first()
        if existing is not None:
            row = _log_notification(gateway=gateway.name, outcome=NotificationOutcome.DUPLICATE, reason="duplicate",
                                    body=body, signature_valid=True, note=note, payment=existing)
            return CallbackResult(NotificationOutcome.DUPLICATE, "duplicate", row, existing)
        if note.status != PAID:
            # Not money (pending, failed, cancelled), or a stale message arriving out of order.
            row = _log_notification(gateway=gateway.name, outcome=NotificationOutcome.IGNORED,
                                    reason=f"status_{note.status}"[:40], body=body, signature_valid=True, note=note)
            return CallbackResult(NotificationOutcome.IGNORED, row.reason, row)
        if bill is None:
            raise _Rejected(NotFound("Không tìm thấy thông báo phí có mã thanh toán này.", code="bill_unknown"))
        if bill.status == BillStatus.PAID:
            raise _Rejected(Conflict("Thông báo phí đã được thanh toán bằng giao dịch khác.", code="bill_already_paid"))
        if not bill.is_payable:
            raise _Rejected(Conflict("Thông báo phí không ở trạng thái chờ thanh toán.", code="bill_not_payable"))
        if note.amount != bill.total:
            raise _Rejected(ValidationFailed("Số tiền thanh toán không khớp với thông báo phí.",
                                             code="amount_mismatch",
                                             details={"expected": bill.total, "received": note.amount}))
        payment = _record_payment(
            bill=bill, method=METHOD_FOR_PAID_ONLINE[OnlinePayment(gateway.paid_online)],
            source=PaymentSource.CALLBACK, amount=note.amount, paid_at=note.paid_at or timezone.now(), actor=None,
            gateway=gateway.name, transaction_id=note.transaction_id, channel=note.channel,
        )
        row = _log_notification(gateway=gateway.name, outcome=NotificationOutcome.ACCEPTED, reason="", body=body,
                                signature_valid=True, note=note, payment=payment)
        return CallbackResult(NotificationOutcome.ACCEPTED, "", row, payment)


def payment_notification_receive(*, gateway_name: str, headers: Mapping[str, str], body: bytes) -> CallbackResult:
    """A gateway's callback (IPN). Verified first (signature, then bill, state and amount); the same
    transaction twice records one payment; anything refused is logged and audited, and raised as
    a DomainError after that record commits, with nothing else changed."""
    gateway = get_gateway(gateway_name)
    try:
        note = gateway.verify_callback(headers, body)
    except DomainError as exc:
        _reject(gateway=gateway.name, body=body, error=exc, signature_valid=not isinstance(exc, SignatureInvalid),
                note=None)
        raise
    try:
        return _accept(gateway, note, body)
    except _Rejected as rejected:
        _reject(gateway=gateway.name, body=body, error=rejected.error, signature_valid=True, note=note)
        raise rejected.error from None
    except IntegrityError:
        # Lost a race on the (gateway, transaction) unique key: the other copy recorded it.
        existing = Payment.objects.filter(gateway=gateway.name, transaction_id=note.transaction_id).first()
        if existing is None:
            raise
        with transaction.atomic():
            row = _log_notification(gateway=gateway.name, outcome=NotificationOutcome.DUPLICATE, reason="duplicate",
                                    body=body, signature_valid=True, note=note, payment=existing)
        return CallbackResult(NotificationOutcome.DUPLICATE, "duplicate", row, existing)


# --- reconciliation -------------------------------------------------------------------------------


def _ensure_may_run_reconciliation(actor: Any) -> None:
    if actor is None:
        return  # the CLI / scheduled job
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PermissionDenied("Chỉ quản trị cấp tỉnh được chạy đối soát thanh toán.", code="role_required")


def reconciliation_run(*, day: date, gateway_name: str, actor: Any) -> ReconciliationRun:
    """Đối soát: the gateway's paid transactions of ``day`` against our gateway payments of that day."""
    _ensure_may_run_reconciliation(actor)
    gateway = get_gateway(gateway_name)
    rows = gateway.list_transactions(day)  # HTTP, before the transaction
    return _reconcile(day=day, gateway=gateway.name, rows=rows, actor=actor)


@transaction.atomic
def _reconcile(*, day: date, gateway: str, rows: Sequence[GatewayTransaction], actor: Any) -> ReconciliationRun:
    start, end = local_day_bounds(day)
    ours = {p.transaction_id: p for p in Payment.objects.filter(gateway=gateway, paid_at__gte=start, paid_at__lt=end)
            .exclude(transaction_id="").select_related("bill")}
    paid_rows = [r for r in rows if r.status == PAID]
    run = ReconciliationRun.objects.create(gateway=gateway, day=day, started_by=_actor_or_none(actor),
                                           gateway_count=len(paid_rows))
    items: list[Discrepancy] = []
    matched = 0
    seen: set[str] = set()
    for row in paid_rows:
        seen.add(row.transaction_id)
        payment = ours.get(row.transaction_id) or Payment.objects.filter(
            gateway=gateway, transaction_id=row.transaction_id).select_related("bill").first()
        common = {"run": run, "transaction_id": row.transaction_id, "bill_reference": row.bill_reference,
                  "gateway_amount": row.amount, "gateway_paid_at": row.paid_at}
        if payment is not None:
            if payment.amount != row.amount:
                items.append(Discrepancy(kind=DiscrepancyKind.AMOUNT_MISMATCH, bill=payment.bill, payment=payment,
                                         our_amount=payment.amount, **common))
            else:
                matched += 1
            continue
        bill = Bill.objects.filter(reference=row.bill_reference).first()
        if bill is not None and bill.total != row.amount:
            items.append(Discrepancy(kind=DiscrepancyKind.AMOUNT_MISMATCH, bill=bill, our_amount=bill.total,
                                     **common))
        else:
            items.append(Discrepancy(kind=DiscrepancyKind.PAID_UNRECORDED, bill=bill,
                                     our_amount=bill.total if bill else None, **common))
    for transaction_id, payment in ours.items():
        if transaction_id not in seen:
            items.append(Discrepancy(run=run, kind=DiscrepancyKind.RECORDED_UNPAID, transaction_id=transaction_id,
                                     bill_reference=payment.bill.reference, bill=payment.bill, payment=payment,
                                     our_amount=payment.amount))
    Discrepancy.objects.bulk_create(items)
    run.matched_count = matched
    run.save(update_fields=["matched_count"])
    counts = {kind: sum(1 for i in items if i.kind == kind) for kind in DiscrepancyKind.values}
    audit_record(action="payment.reconciled", actor=actor, obj=run, summary={
        "gateway": gateway, "day": day.isoformat(), "gateway_transactions": len(paid_rows), "matched": matched,
        **counts,
    })
    return run


#: How often the worker looks whether yesterday still needs reconciling (the work itself runs once a day).
RECONCILE_JOB_EVERY_SECONDS = 3600


def reconciliation_daily_job(*, day: date | None = None) -> list[ReconciliationRun]:
    """``reconcile-payments`` worker job: reconcile yesterday (Vietnam time) for every enabled gateway.

    The worker calls it hourly; a (gateway, day) that already has a run (from this job or from
    ``chinhquyenso reconcile-payments``) is skipped, so the work happens once a day and a restarted
    worker does not repeat it. A gateway that cannot be reached is logged and tried again next hour;
    the other gateways still run."""
    from chinhquyenso.payments.gateway import gateway_names

    target = day or (timezone.localdate() - timedelta(days=1))
    runs: list[ReconciliationRun] = []
    for name in gateway_names():
        if ReconciliationRun.objects.filter(gateway=name, day=target).exists():
            continue
        try:
            runs.append(reconciliation_run(day=target, gateway_name=name, actor=None))
        except DomainError as exc:
            logger.warning("payment reconciliation %s %s failed: %s", name, target.isoformat(), exc.message)
    return runs


def _ensure_may_resolve(actor: Any, item: Discrepancy) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Vui lòng đăng nhập.", code="login_required")
    if item.bill is not None:
        if officer_may_act(actor, item.bill.dossier, RECONCILE_ROLES):
            return
    elif has_role(actor, Role.PROVINCE_ADMIN):
        return
    raise PermissionDenied("Bạn không có quyền xử lý chênh lệch đối soát này.", code="out_of_scope")


RESOLVE_ACTIONS = ("record", "flag")


@transaction.atomic
def discrepancy_resolve(*, item: Discrepancy, actor: Any, action: str, note: str = "") -> Discrepancy:
    """Xử lý chênh lệch: ``record`` a payment the gateway has and we missed (its bill must still be
    open, at that amount), or ``flag`` it for follow-up (refund, bank inquiry) with a note."""
    it = (Discrepancy.objects.select_for_update(of=("self",)).select_related("run", "bill__dossier")
          .filter(pk=item.pk).first())
    if it is None:
        raise NotFound("Không tìm thấy chênh lệch đối soát.", code="discrepancy_not_found")
    _ensure_may_resolve(actor, it)
    if action not in RESOLVE_ACTIONS:
        raise ValidationFailed("Cách xử lý phải là 'record' (ghi nhận) hoặc 'flag' (đánh dấu).",
                               code="action_invalid")
    text = _text(note, label="ghi chú", required=action == "flag")
    if it.status != DiscrepancyStatus.OPEN:
        raise Conflict("Chênh lệch này đã được xử lý.", code="already_resolved")
    if action == "record":
        if it.kind != DiscrepancyKind.PAID_UNRECORDED:
            raise ValidationFailed("Chỉ ghi nhận được giao dịch cổng đã thu mà hệ thống chưa ghi nhận; "
                                   "trường hợp khác hãy đánh dấu để xử lý.", code="cannot_record")
        if it.bill is None:
            raise ValidationFailed("Giao dịch không gắn với thông báo phí nào; hãy đánh dấu để hoàn tiền.",
                                   code="bill_unknown")
        bill = _lock_bill(it.bill)
        if bill.status == BillStatus.PAID:
            raise Conflict("Thông báo phí đã được thanh toán bằng giao dịch khác; hãy đánh dấu để hoàn tiền.",
                           code="bill_already_paid")
        if not bill.is_payable or it.gateway_amount != bill.total:
            raise Conflict("Thông báo phí không còn chờ thanh toán số tiền này.", code="bill_not_payable")
        config = gateway_configs()[it.run.gateway]
        it.payment = _record_payment(
            bill=bill, method=METHOD_FOR_PAID_ONLINE[OnlinePayment(config.paid_online)],
            source=PaymentSource.RECONCILIATION, amount=bill.total, paid_at=it.gateway_paid_at or timezone.now(),
            actor=actor, gateway=it.run.gateway, transaction_id=it.transaction_id, dossier_actor=None,
        )
        it.status = DiscrepancyStatus.RECORDED
    else:
        it.status = DiscrepancyStatus.FLAGGED
    it.resolved_at = timezone.now()
    it.resolved_by = _actor_or_none(actor)
    it.note = text
    it.save(update_fields=["payment", "status", "resolved_at", "resolved_by", "note"])
    audit_record(action="payment.discrepancy_resolved", actor=actor, obj=it, summary={
        "kind": it.kind, "action": action, "transaction_id": it.transaction_id, "bill": it.bill_reference,
        "note": text,
    })
    return it


# --- projector: bills follow the dossier -------------------------------------------------------

#: Dossier event → the stage whose fees fall due then.
EVENT_STAGE = {
    "received": BillStage.AT_RECEIPT,
    "accepted": BillStage.AT_RECEIPT,
    "supplement_received": BillStage.AT_SUPPLEMENT,
    "finished": BillStage.AT_RESULT,
    "payment_required": BillStage.OBLIGATION,
}
#: Dossier events after which nothing more is collected: open bills are cancelled.
CLOSING_EVENTS = {"refused": "Từ chối tiếp nhận hồ sơ", "withdrawn": "Công dân rút hồ sơ",
                  "stopped": "Dừng xử lý hồ sơ"}


def project_dossier_event(event: Any) -> None:
    """Registered on the ``dossier`` stream: raise the bill a stage calls for, cancel open bills of
    a dossier that ended. Runs inside the dossier's transaction (a failure rolls it all back)."""
    kind = getattr(event, "kind", "")
    dossier = event.dossier
    if kind in CLOSING_EVENTS:
        for bill in Bill.objects.filter(dossier_id=dossier.pk, status=BillStatus.OPEN):
            bill_cancel(bill=bill, actor=None, reason=CLOSING_EVENTS[kind])
        return
    stage = EVENT_STAGE.get(kind)
    if stage is None:
        return
    try:
        # The dossier service holds the row (locked or just created) and its in-memory state is current.
        _bill_raise_locked(dossier, stage=stage, actor=None)
    except ValidationFailed as exc:
        if exc.code != "no_fees":
            raise


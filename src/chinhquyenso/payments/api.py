"""REST API for payments under ``/api/v1/payments/``.

Thin: parse, look the bill up through the scope (unknown or out of scope → 404), call one
service. Citizen POSTs (checkout) and officer POSTs accept ``Idempotency-Key``. The gateway
callback is the one unauthenticated POST: its HMAC signature is the credential.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from chinhquyenso.accounts.auth import officer_session_or_token, session_or_token
from chinhquyenso.accounts.scope import is_officer
from chinhquyenso.core.errors import Conflict, NotFound
from chinhquyenso.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from chinhquyenso.core.idempotency import idempotent, request_identity
from chinhquyenso.core.models import IdempotencyRecord
from chinhquyenso.dossiers.selectors import dossier_get_for_user
from chinhquyenso.files.responses import file_response
from chinhquyenso.payments import selectors, services
from chinhquyenso.payments.gateway import SIGNATURE_HEADER
from chinhquyenso.payments.links import callback_url, return_url
from chinhquyenso.payments.models import (
    Bill,
    BillStage,
    BillStatus,
    Checkout,
    Discrepancy,
    ReconciliationRun,
    reference_for,
)
from chinhquyenso.printing import format_vnd

router = Router(tags=["Thanh toán"], auth=session_or_token)
MAX_PAGE = 200


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut}


class BillLineOut(Schema):
    name: str
    code: str
    unit_amount: int = Field(..., description="Mức thu (đồng)")
    amount: int = Field(..., description="Phải nộp (đồng); 0 khi được miễn")
    exempt: bool
    exemption_note: str


class ReceiptOut(Schema):
    label: str = Field(..., description="Ký hiệu-số biên lai")
    issued_at: datetime
    url: str


class BillOut(Schema):
    reference: str = Field(..., description="Mã thanh toán (nội dung chuyển khoản VietQR)")
    slug: str = Field(..., description="Mã thanh toán dùng trong đường dẫn")
    dossier_code: str
    procedure_name: str
    stage: str
    stage_label: str
    status: str
    status_label: str
    total: int = Field(..., description="Số tiền phải nộp (đồng)")
    total_display: str = Field(..., description="Ví dụ 1.250.000 đ")
    payer_name: str
    created_at: datetime
    paid_at: datetime | None
    lines: list[BillLineOut]
    vietqr: str | None = Field(None, description="Chuỗi VietQR động (khi còn chờ thanh toán)")
    receipt: ReceiptOut | None = None

    @staticmethod
    def of(bill: Bill) -> BillOut:
        receipt = getattr(bill, "receipt", None) if bill.status == BillStatus.PAID else None
        return BillOut(
            reference=bill.reference, slug=bill.slug, dossier_code=bill.dossier.code,
            procedure_name=bill.dossier.procedure.name, stage=bill.stage, stage_label=BillStage(bill.stage).label,
            status=bill.status, status_label=BillStatus(bill.status).label, total=bill.total,
            total_display=format_vnd(bill.total), payer_name=bill.payer_name, created_at=bill.created_at,
            paid_at=bill.paid_at,
            lines=[BillLineOut(name=li.name, code=li.code, unit_amount=li.unit_amount, amount=li.amount,
                               exempt=li.exempt, exemption_note=li.exemption_note) for li in bill.lines.all()],
            vietqr=selectors.vietqr_payload(bill) if bill.is_payable else None,
            receipt=ReceiptOut(label=receipt.label, issued_at=receipt.issued_at,
                               url=reverse("api:payments_receipt", kwargs={"slug": bill.slug}))
            if receipt is not None else None,
        )


class BillListOut(Schema):
    count: int
    items: list[BillOut]


class RaiseIn(Schema):
    dossier_code: str = Field(..., max_length=60)
    stage: str = Field(..., description="at_receipt | at_supplement | at_result | obligation")


class CancelIn(Schema):
    reason: str = Field(..., max_length=500)


class CashIn(Schema):
    receipt_no: str = Field(..., max_length=40, description="Số biên lai thu tiền mặt giao cho người nộp")


class CheckoutIn(Schema):
    gateway: str = Field("local", description="local (cổng thanh toán của tỉnh) | national (Cổng DVCQG)")


class CheckoutOut(Schema):
    gateway: str
    transaction_id: str
    redirect_url: str = Field(..., description="Chuyển người nộp đến trang thanh toán này")

    @staticmethod
    def of(checkout: Checkout) -> CheckoutOut:
        return CheckoutOut(gateway=checkout.gateway, transaction_id=checkout.transaction_id,
                           redirect_url=checkout.redirect_url)


class NotificationIn(Schema):
    merchant: str
    transaction_id: str
    order_id: str = Field(..., description="Mã thanh toán của thông báo phí")
    amount: int
    currency: str = "VND"
    status: str = Field(..., description="paid | pending | failed | cancelled")
    paid_at: datetime | None = None
    channel: str = ""
    seq: int = 0


class CallbackOut(Schema):
    outcome: str = Field(..., description="accepted | duplicate | ignored")
    code: str


class ReconcileIn(Schema):
    date: date
    gateway: str = "local"


class DiscrepancyOut(Schema):
    id: int
    run_id: int
    kind: str
    status: str
    transaction_id: str
    bill_reference: str
    gateway_amount: int | None
    our_amount: int | None
    note: str

    @staticmethod
    def of(item: Discrepancy) -> DiscrepancyOut:
        return DiscrepancyOut(id=item.pk, run_id=item.run_id, kind=item.kind, status=item.status,
                              transaction_id=item.transaction_id, bill_reference=item.bill_reference,
                              gateway_amount=item.gateway_amount, our_amount=item.our_amount, note=item.note)


class RunOut(Schema):
    id: int
    gateway: str
    day: date
    gateway_count: int
    matched_count: int
    items: list[DiscrepancyOut]

    @staticmethod
    def of(run: ReconciliationRun) -> RunOut:
        return RunOut(id=run.pk, gateway=run.gateway, day=run.day, gateway_count=run.gateway_count,
                      matched_count=run.matched_count, items=[DiscrepancyOut.of(i) for i in run.items.all()])


class ResolveIn(Schema):
    action: str = Field(..., description="record (ghi nhận thanh toán) | flag (đánh dấu để xử lý)")
    note: str = Field("", max_length=500)


class BillFilter(Schema):
    status: str | None = Field(None, description="open | paid | waived | cancelled")
    dossier_code: str | None = Field(None, max_length=60)


# --- helpers -------------------------------------------------------------------------------------


def _bill(request: HttpRequest, slug: str) -> Bill:
    return selectors.bill_get_for_user(request.user, reference_for(slug))


def _key(request: HttpRequest) -> str | None:
    return request.headers.get(IDEMPOTENCY_HEADER)


def _replay_only() -> Any:
    raise Conflict("Yêu cầu trước với khóa này vừa hết hạn lưu, vui lòng gửi lại.", code="idempotency_expired")


_IDEMPOTENCY_DOC = {"parameters": [{"in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
                                    "schema": {"type": "string", "maxLength": 200},
                                    "description": "Gửi lại cùng khóa: nhận lại kết quả lần đầu, không thực hiện lại"}]}


# --- bills ---------------------------------------------------------------------------------------


@router.get("/payments/bills", response={200: BillListOut, **ERRORS}, summary="Danh sách thông báo phí, lệ phí")
def bill_list(request: HttpRequest, filters: Query[BillFilter]) -> Any:
    """Officers: bills of dossiers in their scope. Citizens: bills of their own dossiers."""
    user = request.user
    qs = selectors.bills_for_officer(user) if is_officer(user) else selectors.bills_for_citizen(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.dossier_code:
        qs = qs.filter(dossier__code=filters.dossier_code)
    qs = qs.prefetch_related("lines").select_related("receipt").order_by("-created_at", "-id")
    return Status(200, BillListOut(count=qs.count(), items=[BillOut.of(b) for b in qs[:MAX_PAGE]]))


@router.get("/payments/bills/{slug}", response={200: BillOut, **ERRORS}, summary="Chi tiết thông báo phí")
def bill_detail(request: HttpRequest, slug: str) -> Any:
    return Status(200, BillOut.of(_bill(request, slug)))


@router.post("/payments/bills", response={201: BillOut, **ERRORS}, auth=officer_session_or_token,
             summary="Lập thông báo phí, lệ phí cho một giai đoạn", openapi_extra=_IDEMPOTENCY_DOC)
def bill_raise(request: HttpRequest, payload: RaiseIn) -> Any:
    def run() -> tuple[int, BillOut]:
        dossier = dossier_get_for_user(request.user, payload.dossier_code)
        bill = services.bill_raise(dossier=dossier, stage=payload.stage, actor=request.user)
        return 201, BillOut.of(bill)

    return idempotent(request, _key(request), run)


@router.post("/payments/bills/{slug}/cancel", response={200: BillOut, **ERRORS}, auth=officer_session_or_token,
             summary="Hủy thông báo phí", openapi_extra=_IDEMPOTENCY_DOC)
def bill_cancel(request: HttpRequest, slug: str, payload: CancelIn) -> Any:
    def run() -> tuple[int, BillOut]:
        bill = services.bill_cancel(bill=_bill(request, slug), actor=request.user, reason=payload.reason)
        return 200, BillOut.of(bill)

    return idempotent(request, _key(request), run)


@router.post("/payments/bills/{slug}/cash", response={200: BillOut, **ERRORS}, auth=officer_session_or_token,
             summary="Ghi nhận nộp tiền mặt tại quầy", openapi_extra=_IDEMPOTENCY_DOC)
def bill_cash(request: HttpRequest, slug: str, payload: CashIn) -> Any:
    def run() -> tuple[int, BillOut]:
        payment = services.bill_mark_paid_cash(bill=_bill(request, slug), actor=request.user,
                                               receipt_no=payload.receipt_no)
        return 200, BillOut.of(Bill.objects.get(pk=payment.bill_id))

    return idempotent(request, _key(request), run)


@router.post("/payments/bills/{slug}/checkout", response={201: CheckoutOut, **ERRORS},
             summary="Thanh toán trực tuyến qua cổng thanh toán", openapi_extra=_IDEMPOTENCY_DOC)
def bill_checkout(request: HttpRequest, slug: str, payload: CheckoutIn) -> Any:
    """Opens a payment at the gateway and answers the URL to send the payer to. The gateway is
    called before the idempotency record is written (never inside a transaction); a retried key
    replays the first answer without calling the gateway again."""
    key = _key(request)
    if key and IdempotencyRecord.objects.filter(identity=request_identity(request), key=key).exists():
        return idempotent(request, key, _replay_only)  # replays (or 409 for another body)
    bill, gateway, started = services.checkout_start(
        bill=_bill(request, slug), actor=request.user, gateway_name=payload.gateway,
        return_url=return_url(request, slug), callback_url=callback_url(request, payload.gateway),
    )
    return idempotent(request, key, lambda: (201, CheckoutOut.of(
        services.checkout_record(bill=bill, gateway=gateway, started=started, actor=request.user))))


@router.get("/payments/bills/{slug}/receipt", response={200: None, **ERRORS}, url_name="payments_receipt",
            summary="Tải biên lai điện tử (PDF)", openapi_extra={
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}}})
def bill_receipt(request: HttpRequest, slug: str) -> HttpResponseBase:
    bill = _bill(request, slug)
    receipt = getattr(bill, "receipt", None) if bill.status == BillStatus.PAID else None
    if receipt is None:
        raise NotFound("Thông báo phí chưa có biên lai.", code="receipt_not_found")
    return file_response(receipt.file, download_name=f"bien-lai-{receipt.label}.pdf")


# --- gateway callback ------------------------------------------------------------------------------


@router.post("/payments/callbacks/{gateway}", response={200: CallbackOut, **ERRORS}, auth=None,
             url_name="payments_callback", summary="Thông báo kết quả thanh toán từ cổng thanh toán (IPN)",
             openapi_extra={
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": NotificationIn.model_json_schema()}}},
                 "parameters": [{"in": "header", "name": SIGNATURE_HEADER, "required": True,
                                 "schema": {"type": "string"},
                                 "description": "HMAC-SHA256 (hex) của thân yêu cầu với khóa bí mật dùng chung"}],
             })
def callback(request: HttpRequest, gateway: str) -> Any:
    """Signed JSON from the gateway. Accepted, duplicate and ignored notifications answer 200 so the
    gateway stops resending; a refused one answers an error and changes nothing."""
    result = services.payment_notification_receive(gateway_name=gateway, headers=request.headers,
                                                   body=request.body)
    return Status(200, CallbackOut(outcome=result.outcome, code=result.reason or "ok"))


# --- reconciliation --------------------------------------------------------------------------------


@router.post("/payments/reconciliations", response={201: RunOut, **ERRORS}, auth=officer_session_or_token,
             summary="Đối soát giao dịch một ngày với cổng thanh toán")
def reconciliation_run(request: HttpRequest, payload: ReconcileIn) -> Any:
    run = services.reconciliation_run(day=payload.date, gateway_name=payload.gateway, actor=request.user)
    return Status(201, RunOut.of(run))


@router.get("/payments/discrepancies", response={200: list[DiscrepancyOut], **ERRORS},
            auth=officer_session_or_token, summary="Chênh lệch đối soát trong phạm vi")
def discrepancy_list(request: HttpRequest, open_only: bool = False) -> Any:
    items = selectors.discrepancies_for_officer(request.user, open_only=open_only)[:MAX_PAGE]
    return Status(200, [DiscrepancyOut.of(i) for i in items])


@router.post("/payments/discrepancies/{item_id}/resolve", response={200: DiscrepancyOut, **ERRORS},
             auth=officer_session_or_token, summary="Xử lý chênh lệch đối soát", openapi_extra=_IDEMPOTENCY_DOC)
def discrepancy_resolve(request: HttpRequest, item_id: int, payload: ResolveIn) -> Any:
    def run() -> tuple[int, DiscrepancyOut]:
        item = selectors.discrepancy_get_for_user(request.user, item_id)
        resolved = services.discrepancy_resolve(item=item, actor=request.user, action=payload.action,
                                                note=payload.note)
        return 200, DiscrepancyOut.of(resolved)

    return idempotent(request, _key(request), run)

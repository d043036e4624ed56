"""REST API for officers: receive at the counter, the inbox, one dossier, actions, events, forms.

Thin: parse, look the dossier up through the scope (unknown or out of scope → 404, so the
existence of a dossier is never revealed), call one service, answer. Every POST accepts an
``Idempotency-Key`` header. Errors are ``{"code", "message"}`` with a Vietnamese message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from chinhquyenso.accounts.auth import officer_session_or_token
from chinhquyenso.accounts.models import OFFICER_ROLES, User
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from chinhquyenso.core.idempotency import idempotent
from chinhquyenso.dossiers import selectors, services
from chinhquyenso.dossiers.models import Dossier, DossierConsultation, DossierResult, Status
from chinhquyenso.dossiers.workflow import TRANSITIONS, Action
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import Procedure, ProcedureComponent, ProcedureResult, ProcessStep
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays.calendar import TIMEZONE

router = Router(tags=["Hồ sơ"], auth=officer_session_or_token)
OFFICER_ROLE_VALUES = sorted(str(r) for r in OFFICER_ROLES)


# --- Schemas -------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


class UploadIn(Schema):
    filename: str = Field(..., max_length=200)
    content_base64: str = Field(..., description="Nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class ApplicantIn(Schema):
    name: str = Field(..., min_length=1, max_length=255, description="Họ tên chủ hồ sơ")
    id_number: str = Field("", max_length=20, description="Số định danh cá nhân / mã số doanh nghiệp")
    kind: int = Field(0, ge=0, le=2, description="LoaiDoiTuong: 0 công dân, 1 doanh nghiệp, 2 hộ kinh doanh")
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)


class ComponentIn(Schema):
    procedure_component_code: str | None = Field(None, max_length=40, description="MaThanhPhanHoSo")
    name: str = Field("", max_length=500)
    copy_type: str = Field("original", description="original | copy | electronic")
    count: int = Field(1, ge=1, le=100)
    file_id: int | None = Field(None, ge=1, description="Tệp đã tải lên trước (id)")
    upload: UploadIn | None = None
    digitized: bool = Field(False, description="Bản giấy đã được số hóa tại quầy")
    reused: bool = False
    from_national_store: bool = False


class ReceiveIn(Schema):
    procedure_code: str = Field(..., max_length=40)
    agency_code: str = Field(..., max_length=40, description="Cơ quan giải quyết (mã định danh)")
    receiving_agency_code: str | None = Field(
        None, max_length=40, description="Nơi tiếp nhận, mặc định = cơ quan giải quyết")
    applicant: ApplicantIn
    components: list[ComponentIn] = Field(default_factory=list, max_length=100)
    summary: str = Field("", max_length=4000)
    channel: int = Field(1, ge=1, le=3, description="1 trực tiếp, 3 bưu chính công ích")
    vneid_verified: bool = False


class Ref(Schema):
    code: str
    name: str


class StepOut(Schema):
    order: int
    code: str
    name: str
    role: str
    allowed_actions: list[str]


class ComponentOut(Schema):
    id: int
    name: str
    copy_type: str
    count: int
    file_id: int | None
    digitized: bool
    digitized_at: datetime | None
    reused: bool
    from_national_store: bool


class ResultOut(Schema):
    id: int
    name: str
    code: str
    file_id: int | None
    issued_at: datetime | None
    signed: bool


class FeeOut(Schema):
    name: str
    code: str
    amount: int
    stage: str
    paid_at: datetime | None


class ConsultationOut(Schema):
    id: int
    agency: Ref
    question: str
    requested_at: datetime
    due_at: datetime | None
    answer: str
    answered_at: datetime | None


class SupplementOut(Schema):
    id: int
    requested_at: datetime
    reason: str
    items: list[str]
    received_at: datetime | None
    due_before: datetime | None
    due_after: datetime | None


class DossierListItem(Schema):
    code: str
    status: int
    status_label: str
    version: int
    channel: int
    procedure: Ref
    agency: Ref
    applicant_name: str
    applicant_id_masked: str
    received_at: datetime | None
    due_at: datetime | None
    clock_paused: bool
    current_step: str | None
    assignee: str | None


class DossierOut(DossierListItem):
    receiving_agency: Ref
    applicant_type: int
    applicant_id_number: str = Field(..., description="Chỉ hiển thị đầy đủ trên trang chi tiết hồ sơ")
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    summary: str
    submitted_at: datetime | None
    original_due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    refused_at: datetime | None
    stopped_at: datetime | None
    withdrawn_at: datetime | None
    supplement_count: int
    extension_count: int
    paid_online: int
    vneid_verified: bool
    has_digitized: bool
    step: StepOut | None
    step_due_at: datetime | None
    remaining_working_hours: float | None
    allowed_actions: list[str]
    components: list[ComponentOut]
    results: list[ResultOut]
    fees: list[FeeOut]
    consultations: list[ConsultationOut]
    supplements: list[SupplementOut]


class InboxOut(Schema):
    items: list[DossierListItem]
    next_cursor: str | None


class EventOut(Schema):
    seq: int
    kind: str
    label: str
    occurred_at: datetime
    actor_label: str
    from_status: int | None
    to_status: int | None
    status_label: str
    step_name: str
    payload: dict[str, Any]


class InboxQuery(Schema):
    status: list[int] = Field(default_factory=list, description="Lọc theo trạng thái (lặp lại tham số)")
    due: str | None = Field(None, description="overdue | today | soon | paused | open")
    q: str = Field("", max_length=200, description="Tìm theo mã, chủ hồ sơ, tên thủ tục (không dấu cũng được)")
    assigned_to_me: bool = False
    waiting_for_me: bool = Field(False, description="Chỉ hồ sơ đang chờ tôi xử lý (như hộp công việc trên web)")
    agency_code: str | None = Field(None, max_length=40)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class ActionIn(Schema):
    expected_version: int | None = Field(None, ge=1, description="Phiên bản hồ sơ đã đọc; khác → 409")


class ReasonIn(ActionIn):
    reason: str = Field(..., max_length=4000)


class NoteIn(ActionIn):
    note: str = Field("", max_length=4000)


class SupplementRequestIn(ReasonIn):
    items: list[str] = Field(..., max_length=50, description="Giấy tờ cần bổ sung, hoàn thiện")


class SupplementReceiveIn(NoteIn):
    components: list[ComponentIn] = Field(default_factory=list, max_length=100)


class ForwardIn(NoteIn):
    to_step_order: int | None = Field(None, ge=0, description="Mặc định: bước kế tiếp")
    assignee: str | None = Field(None, max_length=150, description="Tên đăng nhập người được giao")


class ReworkIn(ReasonIn):
    to_step_order: int | None = Field(None, ge=0, description="Mặc định: bước liền trước")
    assignee: str | None = Field(None, max_length=150)


class ConsultIn(ActionIn):
    agency_code: str = Field(..., max_length=40)
    question: str = Field(..., max_length=4000)
    due_at: datetime | None = None


class AnswerIn(ActionIn):
    consultation_id: int = Field(..., ge=1)
    answer: str = Field(..., max_length=4000)


class FeeIn(Schema):
    name: str = Field(..., max_length=300)
    amount: int = Field(..., gt=0, le=10**13)
    code: str = Field("", max_length=40)


class RequirePaymentIn(ActionIn):
    fees: list[FeeIn] = Field(..., max_length=50)
    reason: str = Field("", max_length=4000)


class PaymentFulfilledIn(ActionIn):
    paid_online: int = Field(0, ge=0, le=2)
    reference: str = Field("", max_length=200)


class ResultIn(Schema):
    procedure_result_code: str | None = Field(None, max_length=40)
    name: str = Field("", max_length=300)
    code: str = Field("", max_length=100, description="MaGiayToKetQua")
    file_id: int | None = Field(None, ge=1)
    upload: UploadIn | None = None
    signed: bool = False


class FinishIn(NoteIn):
    results: list[ResultIn] = Field(..., max_length=50)


class ExtendIn(ReasonIn):
    new_due_at: datetime


class DigitizeIn(ActionIn):
    component_id: int = Field(..., ge=1)
    file_id: int | None = Field(None, ge=1)
    upload: UploadIn | None = None


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- Converters ----------------------------------------------------------------------------------


def _ref(obj: Any) -> Ref:
    return Ref(code=obj.code, name=obj.name)


def _list_item(d: Dossier) -> dict[str, Any]:
    return {
        "code": d.code, "status": d.status, "status_label": Status(d.status).label, "version": d.version,
        "channel": d.channel, "procedure": _ref(d.procedure), "agency": _ref(d.agency),
        "applicant_name": d.applicant_name, "applicant_id_masked": d.masked_id_number, "received_at": d.received_at,
        "due_at": d.due_at, "clock_paused": d.clock_paused_at is not None,
        "current_step": d.current_step.name if d.current_step else None,
        "assignee": d.assignee.display_name if d.assignee else None,
    }


def dossier_out(d: Dossier, user: Any) -> DossierOut:
    step = d.current_step
    consultations: list[DossierConsultation] = list(d.consultations.select_related("agency"))
    results: list[DossierResult] = list(d.results.all())
    return DossierOut(
        **_list_item(d),
        receiving_agency=_ref(d.receiving_agency), applicant_type=d.applicant_type,
        applicant_id_number=d.applicant_id_number, applicant_phone=d.applicant_phone,
        applicant_email=d.applicant_email, applicant_address=d.applicant_address, summary=d.summary,
        submitted_at=d.submitted_at, original_due_at=d.original_due_at, finished_at=d.finished_at,
        returned_at=d.returned_at, refused_at=d.refused_at, stopped_at=d.stopped_at, withdrawn_at=d.withdrawn_at,
        supplement_count=d.supplement_count, extension_count=d.extension_count, paid_online=d.paid_online,
        vneid_verified=d.vneid_verified, has_digitized=d.has_digitized,
        step=StepOut(order=step.order, code=step.code, name=step.name, role=step.role,
                     allowed_actions=list(step.allowed_actions or [])) if step else None,
        step_due_at=d.step_due_at,
        remaining_working_hours=selectors.dossier_remaining_working_hours(d),
        allowed_actions=selectors.dossier_allowed_actions(user, d),
        components=[ComponentOut(id=c.pk, name=c.name, copy_type=c.copy_type, count=c.count, file_id=c.file_id,
                                 digitized=c.digitized, digitized_at=c.digitized_at, reused=c.reused,
                                 from_national_store=c.from_national_store) for c in d.components.all()],
        results=[ResultOut(id=r.pk, name=r.name, code=r.code, file_id=r.file_id, issued_at=r.issued_at,
                           signed=r.signed) for r in results],
        fees=[FeeOut(name=f.name, code=f.code, amount=f.amount, stage=f.stage, paid_at=f.paid_at)
              for f in d.fees.all()],
        consultations=[ConsultationOut(id=c.pk, agency=_ref(c.agency), question=c.question,
                                       requested_at=c.requested_at, due_at=c.due_at, answer=c.answer,
                                       answered_at=c.answered_at) for c in consultations],
        supplements=[SupplementOut(id=s.pk, requested_at=s.requested_at, reason=s.reason, items=list(s.items),
                                   received_at=s.received_at, due_before=s.due_before, due_after=s.due_after)
                     for s in d.supplements.all()],
    )


def _fresh_out(code: str, user: Any) -> DossierOut:
    return dossier_out(Dossier.objects.select_related(
        "procedure", "agency", "receiving_agency", "current_step", "assignee").get(code=code), user)


def _key(request: HttpRequest) -> str | None:
    return request.headers.get(IDEMPOTENCY_HEADER)


def _agency(code: str, *, label: str = "cơ quan") -> Agency:
    agency = Agency.objects.select_related("unit").filter(code=code).first()
    if agency is None:
        raise ValidationFailed(f"Không tìm thấy {label} có mã “{code}”.", code="agency_unknown")
    return agency


def _user_by_username(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(f"Không tìm thấy cán bộ “{username}”.", code="assignee_unknown")
    return user


def _file(user: Any, file_id: int | None) -> StoredFile | None:
    """A previously uploaded file, unless it belongs to a dossier this user may not see."""
    if file_id is None:
        return None
    stored = StoredFile.objects.filter(pk=file_id).first()
    if stored is None:
        raise ValidationFailed("Không tìm thấy tệp đính kèm.", code="file_unknown")
    used_by = Dossier.objects.filter(Q(components__file_id=file_id) | Q(results__file_id=file_id))
    if used_by.exclude(pk__in=selectors.dossier_visible_queryset(user).values("pk")).exists():
        raise ValidationFailed("Không tìm thấy tệp đính kèm.", code="file_unknown")
    return stored


def _upload(upload: UploadIn | None) -> services.UploadInput | None:
    if upload is None:
        return None
    try:
        content = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("Nội dung tệp không phải base64 hợp lệ.", code="upload_invalid") from None
    return services.UploadInput(content=content, filename=upload.filename)


def _components(user: Any, procedure: Procedure, items: list[ComponentIn]) -> list[services.ComponentInput]:
    out = []
    for item in items:
        pc = None
        if item.procedure_component_code:
            pc = ProcedureComponent.objects.filter(procedure=procedure, code=item.procedure_component_code).first()
            if pc is None:
                raise ValidationFailed(f"Thủ tục không có thành phần mã “{item.procedure_component_code}”.",
                                       code="component_unknown")
        out.append(services.ComponentInput(
            procedure_component=pc, name=item.name, copy_type=item.copy_type, count=item.count,
            file=_file(user, item.file_id), upload=_upload(item.upload), digitized=item.digitized,
            reused=item.reused, from_national_store=item.from_national_store,
        ))
    return out


def _step(dossier: Dossier, order: int | None) -> ProcessStep | None:
    if order is None:
        return None
    step = ProcessStep.objects.filter(process_id=dossier.process_version_id, order=order).first()
    if step is None:
        raise ValidationFailed(f"Quy trình của hồ sơ không có bước số {order}.", code="step_invalid")
    return step


# --- Endpoints -----------------------------------------------------------------------------------


@router.post("/dossiers", response={201: DossierOut, **ERRORS}, summary="Tiếp nhận hồ sơ tại quầy (Mẫu 01)")
def dossier_receive(request: HttpRequest, payload: ReceiveIn) -> HttpResponse:
    user = request.user

    def run() -> tuple[int, DossierOut]:
        procedure = Procedure.objects.filter(code=payload.procedure_code).first()
        if procedure is None:
            raise ValidationFailed(f"Không tìm thấy thủ tục mã “{payload.procedure_code}”.", code="procedure_unknown")
        dossier = services.dossier_receive(
            actor=user, procedure=procedure, agency=_agency(payload.agency_code),
            receiving_agency=_agency(payload.receiving_agency_code, label="nơi tiếp nhận")
            if payload.receiving_agency_code else None,
            applicant=services.ApplicantInput(**payload.applicant.model_dump()),
            components=_components(user, procedure, payload.components), summary=payload.summary,
            channel=payload.channel, vneid_verified=payload.vneid_verified,
        )
        return 201, _fresh_out(dossier.code, user)

    return idempotent(request, _key(request), run)


@router.get("/dossiers", response={200: InboxOut, **ERRORS}, summary="Danh sách hồ sơ (hộp công việc)")
def dossier_list(request: HttpRequest, params: Query[InboxQuery]) -> InboxOut:
    agency_id = None
    if params.agency_code:
        agency_id = Agency.objects.filter(code=params.agency_code).values_list("pk", flat=True).first() or -1
    page = selectors.dossier_inbox(
        request.user,
        filters=selectors.InboxFilters(statuses=params.status, due=params.due, q=params.q,
                                       assigned_to_me=params.assigned_to_me, agency_id=agency_id,
                                       waiting_for_me=params.waiting_for_me),
        cursor=params.cursor, limit=params.limit,
    )
    return InboxOut(items=[DossierListItem(**_list_item(d)) for d in page.items], next_cursor=page.next_cursor)


@router.get("/dossiers/{code}", response={200: DossierOut, **ERRORS}, summary="Chi tiết hồ sơ")
def dossier_detail(request: HttpRequest, code: str) -> DossierOut:
    return dossier_out(selectors.dossier_get_for_user(request.user, code), request.user)


@router.get("/dossiers/{code}/events", response={200: list[EventOut], **ERRORS}, summary="Nhật ký xử lý hồ sơ")
def dossier_events(request: HttpRequest, code: str) -> list[EventOut]:
    dossier = selectors.dossier_get_for_user(request.user, code)
    return [EventOut(**entry.__dict__) for entry in selectors.dossier_timeline(dossier)]


@router.get("/dossiers/{code}/forms/{number}", response={200: None, **ERRORS}, summary="In biểu mẫu 01–07",
            description="PDF; mẫu 06, 07 cũng có dạng XLSX với `?format=xlsx`.")
def dossier_form(request: HttpRequest, code: str, number: str, format: str = "pdf") -> HttpResponse:
    from chinhquyenso.dossiers.forms import dossier_form_render, public_lookup_url

    dossier = selectors.dossier_get_for_user(request.user, code)
    content, content_type, filename = dossier_form_render(
        dossier, number, fmt=format, lookup_url=public_lookup_url(request, code), user=request.user)
    return _file_response(content, content_type, filename)


class RegisterQuery(Schema):
    agency_code: str = Field(..., max_length=40, description="Nơi tiếp nhận (mã định danh)")
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    format: str = Field("pdf", description="pdf | xlsx")


@router.get("/dossier-register", response={200: None, **ERRORS}, summary="Sổ theo dõi hồ sơ (Mẫu 07)",
            description="Hồ sơ tiếp nhận tại một nơi tiếp nhận trong khoảng ngày [from, to].")
def dossier_register(request: HttpRequest, params: Query[RegisterQuery]) -> HttpResponse:
    from chinhquyenso.dossiers.forms import dossier_register_render

    agency = Agency.objects.filter(code=params.agency_code).first()
    if agency is None or not has_role(request.user, *OFFICER_ROLE_VALUES, agency=agency):
        raise NotFound("Không tìm thấy nơi tiếp nhận.", code="agency_not_found")
    if params.date_to < params.date_from or (params.date_to - params.date_from).days > 366:
        raise ValidationFailed("Khoảng ngày không hợp lệ (tối đa một năm).", code="period_invalid")
    start = datetime.combine(params.date_from, time.min, tzinfo=TIMEZONE)
    end = datetime.combine(params.date_to + timedelta(days=1), time.min, tzinfo=TIMEZONE)
    rows = (selectors.dossier_visible_queryset(request.user)
            .filter(receiving_agency=agency, received_at__gte=start, received_at__lt=end)
            .select_related("procedure", "agency").order_by("received_at", "id"))
    label = f"Từ ngày {params.date_from:%d/%m/%Y} đến ngày {params.date_to:%d/%m/%Y}"
    content, content_type, filename = dossier_register_render(list(rows[:5000]), agency=agency, period_label=label,
                                                              fmt=params.format)
    return _file_response(content, content_type, filename)


def _file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Actions -------------------------------------------------------------------------------------


def _act(request: HttpRequest, code: str, fn: Callable[[Dossier, Any], object]) -> HttpResponse:
    user = request.user
    dossier = selectors.dossier_get_for_user(user, code)

    def run() -> tuple[int, DossierOut]:
        fn(dossier, user)
        return 200, _fresh_out(code, user)

    return idempotent(request, _key(request), run)


_ACTION_RESPONSES = {200: DossierOut, **ERRORS}


def _summary(action: Action) -> str:
    t = TRANSITIONS[action]
    return t.label + (f" (Mẫu {t.form})" if t.form else "")


@router.post("/dossiers/{code}/actions/accept", response=_ACTION_RESPONSES, summary=_summary(Action.ACCEPT))
def action_accept(request: HttpRequest, code: str, payload: ActionIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_accept_online(
        dossier=d, actor=u, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/refuse", response=_ACTION_RESPONSES, summary=_summary(Action.REFUSE))
def action_refuse(request: HttpRequest, code: str, payload: ReasonIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_refuse(
        dossier=d, actor=u, reason=payload.reason, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/request_supplement", response=_ACTION_RESPONSES,
             summary=_summary(Action.REQUEST_SUPPLEMENT))
def action_request_supplement(request: HttpRequest, code: str, payload: SupplementRequestIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_request_supplement(
        dossier=d, actor=u, reason=payload.reason, items=payload.items, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/receive_supplement", response=_ACTION_RESPONSES,
             summary=_summary(Action.RECEIVE_SUPPLEMENT))
def action_receive_supplement(request: HttpRequest, code: str, payload: SupplementReceiveIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_receive_supplement(
        dossier=d, actor=u, components=_components(u, d.procedure, payload.components), note=payload.note,
        expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/forward", response=_ACTION_RESPONSES, summary=_summary(Action.FORWARD))
def action_forward(request: HttpRequest, code: str, payload: ForwardIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_forward(
        dossier=d, actor=u, to_step=_step(d, payload.to_step_order), assignee=_user_by_username(payload.assignee),
        note=payload.note, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/return_for_rework", response=_ACTION_RESPONSES,
             summary=_summary(Action.RETURN_FOR_REWORK))
def action_return_for_rework(request: HttpRequest, code: str, payload: ReworkIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_return_for_rework(
        dossier=d, actor=u, reason=payload.reason, to_step=_step(d, payload.to_step_order),
        assignee=_user_by_username(payload.assignee), expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/consult", response=_ACTION_RESPONSES, summary=_summary(Action.CONSULT))
def action_consult(request: HttpRequest, code: str, payload: ConsultIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_consult(
        dossier=d, actor=u, agency=_agency(payload.agency_code), question=payload.question, due_at=payload.due_at,
        expected_version=payload.expected_version))


def _consultation(dossier: Dossier, pk: int) -> DossierConsultation:
    row = DossierConsultation.objects.filter(pk=pk, dossier_id=dossier.pk).first()
    if row is None:
        raise NotFound("Không tìm thấy yêu cầu xin ý kiến này.", code="consultation_not_found")
    return row


@router.post("/dossiers/{code}/actions/answer_consultation", response=_ACTION_RESPONSES,
             summary=_summary(Action.ANSWER_CONSULTATION))
def action_answer_consultation(request: HttpRequest, code: str, payload: AnswerIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_consultation_answer(
        consultation=_consultation(d, payload.consultation_id), actor=u, answer=payload.answer,
        expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/require_payment", response=_ACTION_RESPONSES,
             summary=_summary(Action.REQUIRE_PAYMENT))
def action_require_payment(request: HttpRequest, code: str, payload: RequirePaymentIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_require_payment(
        dossier=d, actor=u, fees=[services.FeeInput(name=f.name, amount=f.amount, code=f.code) for f in payload.fees],
        reason=payload.reason, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/payment_fulfilled", response=_ACTION_RESPONSES,
             summary=_summary(Action.PAYMENT_FULFILLED))
def action_payment_fulfilled(request: HttpRequest, code: str, payload: PaymentFulfilledIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_payment_fulfilled(
        dossier=d, actor=u, paid_online=payload.paid_online, reference=payload.reference,
        expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/stop", response=_ACTION_RESPONSES, summary=_summary(Action.STOP))
def action_stop(request: HttpRequest, code: str, payload: ReasonIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_stop(
        dossier=d, actor=u, reason=payload.reason, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/withdraw", response=_ACTION_RESPONSES, summary=_summary(Action.WITHDRAW))
def action_withdraw(request: HttpRequest, code: str, payload: ReasonIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_withdraw(
        dossier=d, actor=u, reason=payload.reason, expected_version=payload.expected_version))


def _results(user: Any, dossier: Dossier, items: list[ResultIn]) -> list[services.ResultInput]:
    out = []
    for item in items:
        pr = None
        if item.procedure_result_code:
            pr = ProcedureResult.objects.filter(procedure_id=dossier.procedure_id,
                                                code=item.procedure_result_code).first()
            if pr is None:
                raise ValidationFailed(f"Thủ tục không có kết quả mã “{item.procedure_result_code}”.",
                                       code="result_unknown")
        out.append(services.ResultInput(procedure_result=pr, name=item.name, code=item.code,
                                        file=_file(user, item.file_id), upload=_upload(item.upload),
                                        signed=item.signed))
    return out


@router.post("/dossiers/{code}/actions/finish", response=_ACTION_RESPONSES, summary=_summary(Action.FINISH))
def action_finish(request: HttpRequest, code: str, payload: FinishIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_finish(
        dossier=d, actor=u, results=_results(u, d, payload.results), note=payload.note,
        expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/return_result", response=_ACTION_RESPONSES,
             summary=_summary(Action.RETURN_RESULT))
def action_return_result(request: HttpRequest, code: str, payload: NoteIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_return_result(
        dossier=d, actor=u, note=payload.note, expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/apologize_extend", response=_ACTION_RESPONSES,
             summary=_summary(Action.APOLOGIZE_EXTEND))
def action_apologize_extend(request: HttpRequest, code: str, payload: ExtendIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_apologize_extend(
        dossier=d, actor=u, new_due_at=payload.new_due_at, reason=payload.reason,
        expected_version=payload.expected_version))


def _component(dossier: Dossier, pk: int) -> Any:
    row = dossier.components.filter(pk=pk).first()
    if row is None:
        raise NotFound("Không tìm thấy thành phần hồ sơ này.", code="component_not_found")
    return row


@router.post("/dossiers/{code}/actions/mark_digitized", response=_ACTION_RESPONSES,
             summary=_summary(Action.MARK_DIGITIZED))
def action_mark_digitized(request: HttpRequest, code: str, payload: DigitizeIn) -> HttpResponse:
    return _act(request, code, lambda d, u: services.dossier_mark_digitized(
        dossier=d, actor=u, component=_component(d, payload.component_id), file=_file(u, payload.file_id),
        upload=_upload(payload.upload), expected_version=payload.expected_version))


@router.post("/dossiers/{code}/actions/{action}", response={404: ErrorOut}, include_in_schema=False)
def action_unknown(request: HttpRequest, code: str, action: str) -> HttpResponse:
    selectors.dossier_get_for_user(request.user, code)
    raise NotFound(f"Không có thao tác “{action[:50]}” đối với hồ sơ.", code="unknown_action")

"""REST API for PAKN (``/api/v1/petitions``).

* ``POST /petitions``: a citizen (session or token) or anyone without an account submits; accepts
  ``Idempotency-Key`` (a retried request gets the first answer, not a second petition).
* ``GET /petitions``: an officer's inbox (scope-filtered), or a citizen's own petitions.
* ``GET /petitions/{code}``, ``/events``: an officer in scope or the submitter; others get 404.
* ``POST /petitions/{code}/<action>``: one service each; every POST accepts ``Idempotency-Key``.
* ``GET /petitions/published`` and ``/petitions/track/{code}``: public, no personal data.

Thin: parse, look up through the scope, call one service, answer. Errors are ``{"code", "message"}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from chinhquyenso.accounts.auth import BearerTokenAuth, VerifiedSessionAuth, session_or_token
from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.scope import is_officer
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.idempotency import idempotent
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.feedback import selectors, services
from chinhquyenso.feedback.models import Petition, PetitionStatus, RatingValue, Topic
from chinhquyenso.feedback.workflow import allowed_actions, is_submitter
from chinhquyenso.procedures.models import Procedure
from chinhquyenso.units.models import Agency

router = Router(tags=["Phản ánh, kiến nghị"])
BASE = "/petitions"
IDEMPOTENCY = "Idempotency-Key"


class _Anonymous:
    """``request.auth`` for a caller without an account (truthy, so ninja lets the request in)."""

    is_authenticated = False

    def __bool__(self) -> bool:
        return True


class CitizenOrAnonymous(VerifiedSessionAuth):
    """A signed-in session (CSRF-checked, OTP rule applied) or nobody at all. Without a session
    cookie there is no ambient credential to forge, so no CSRF check is needed."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return _Anonymous()
        return super().__call__(request)


submit_auth = [BearerTokenAuth(), CitizenOrAnonymous()]


# --- Schemas -------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
                                   429: ErrorOut}


class UploadIn(Schema):
    filename: str = Field(..., max_length=200)
    content_base64: str = Field(..., description="Nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class ContactIn(Schema):
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)


class SubmitIn(Schema):
    topic: Topic = Field(..., description="regulation | staff_conduct | other")
    title: str = Field(..., max_length=300)
    content: str = Field(..., max_length=8000)
    agency_code: str | None = Field(None, max_length=40, description="Cơ quan tiếp nhận (mã định danh)")
    procedure_code: str | None = Field(None, max_length=40)
    dossier_code: str | None = Field(None, max_length=60, description="Chỉ hồ sơ của chính tài khoản gửi")
    contact: ContactIn | None = Field(None, description="Bắt buộc khi gửi không đăng nhập")
    attachments: list[UploadIn] = Field(default_factory=list, max_length=services.MAX_UPLOADS)


class Ref(Schema):
    code: str
    name: str


class AttachmentOut(Schema):
    id: int
    name: str
    purpose: str


class PetitionOut(Schema):
    code: str
    version: int
    status: PetitionStatus
    status_label: str
    topic: Topic
    classification: str
    title: str
    content: str
    agency: Ref
    procedure: Ref | None
    dossier_code: str | None
    anonymous: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    received_at: datetime
    transferred_at: datetime | None
    refuse_due_at: datetime | None
    info_request_due_at: datetime | None
    reply_due_at: datetime | None
    publish_due_at: datetime | None
    first_info_request_at: datetime | None
    info_request_message: str
    refused_at: datetime | None
    refusal_reason: str
    answered_at: datetime | None
    answer: str
    published_at: datetime | None
    assignee: str | None
    like_count: int
    dislike_count: int
    raised_again_at: datetime | None
    follow_up_of: str | None
    due_state: str
    allowed_actions: list[str]
    attachments: list[AttachmentOut]


class ReceiptOut(Schema):
    """What a caller without access to the petition gets back: the code to track it by."""

    code: str
    status: PetitionStatus
    status_label: str
    agency_name: str
    reply_due_at: datetime | None


class PetitionListItem(Schema):
    code: str
    version: int
    status: PetitionStatus
    status_label: str
    topic: Topic
    classification: str
    title: str
    agency: Ref
    received_at: datetime
    reply_due_at: datetime | None
    answered_at: datetime | None
    assignee: str | None
    due_state: str


class PetitionListOut(Schema):
    count: int
    items: list[PetitionListItem]


class ListQuery(Schema):
    status: PetitionStatus | None = None
    topic: Topic | None = None
    due: str | None = Field(None, description="late | soon | open (cán bộ)")
    q: str = Field("", max_length=200, description="Tìm theo mã, tiêu đề, nội dung (không dấu cũng được)")
    assigned_to_me: bool = False
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=200)


class EventOut(Schema):
    seq: int
    kind: str
    label: str
    occurred_at: datetime
    actor_label: str
    agency: str
    from_status: str
    to_status: str
    payload: dict[str, Any]


class PublicOut(Schema):
    code: str
    agency: Ref
    topic: Topic
    procedure: Ref | None
    question: str
    answer: str
    received_at: datetime
    answered_at: datetime | None
    published_at: datetime | None


class PublicListOut(Schema):
    count: int
    items: list[PublicOut]


class TrackOut(Schema):
    code: str
    status: PetitionStatus
    status_label: str
    agency_name: str
    received_at: datetime
    reply_due_at: datetime | None
    answered_at: datetime | None
    refused_at: datetime | None
    published: bool


class ActionIn(Schema):
    expected_version: int | None = Field(None, ge=1, description="Phiên bản đã đọc; khác → 409")


class ClassifyIn(ActionIn):
    classification: Topic
    procedure_code: str | None = Field(None, max_length=40)
    dossier_code: str | None = Field(None, max_length=60)


class AssignIn(ActionIn):
    assignee: str = Field(..., max_length=150, description="Tên đăng nhập của cán bộ")
    note: str = Field("", max_length=1000)


class TransferIn(ActionIn):
    to_agency_code: str = Field(..., max_length=40)
    reason: str = Field(..., max_length=2000)


class RequestInfoIn(ActionIn):
    message: str = Field(..., max_length=2000)


class SupplyInfoIn(ActionIn):
    content: str = Field(..., max_length=8000)
    attachments: list[UploadIn] = Field(default_factory=list, max_length=services.MAX_UPLOADS)


class RefuseIn(ActionIn):
    reason: str = Field(..., max_length=4000)


class AnswerIn(ActionIn):
    answer: str = Field(..., max_length=8000)
    publish: bool = True
    attachments: list[UploadIn] = Field(default_factory=list, max_length=services.MAX_UPLOADS)


class PublishIn(ActionIn):
    public_question: str = Field("", max_length=8000, description="Mặc định: tiêu đề")
    public_answer: str = Field("", max_length=8000, description="Mặc định: nội dung trả lời")


class RateIn(Schema):
    value: RatingValue
    comment: str = Field("", max_length=2000)


class RateOut(Schema):
    code: str
    value: RatingValue
    like_count: int
    dislike_count: int


class ReopenIn(Schema):
    content: str = Field(..., max_length=8000)
    title: str = Field("", max_length=300)
    attachments: list[UploadIn] = Field(default_factory=list, max_length=services.MAX_UPLOADS)


# --- Converters and lookups ----------------------------------------------------------------------


def _ref(obj: Any) -> Ref | None:
    return Ref(code=obj.code, name=obj.name) if obj is not None else None


def _uploads(items: list[UploadIn]) -> list[services.UploadInput]:
    result = []
    for item in items:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(f"Tệp «{item.filename}» không phải base64 hợp lệ.", code="base64_invalid") from None
        result.append(services.UploadInput(content=content, filename=item.filename))
    return result


def petition_out(p: Petition, user: Any) -> PetitionOut:
    return PetitionOut(
        code=p.code, version=p.version, status=PetitionStatus(p.status), status_label=str(p.get_status_display()),
        topic=Topic(p.topic), classification=p.classification, title=p.title, content=p.content,
        agency=Ref(code=p.agency.code, name=p.agency.name), procedure=_ref(p.procedure),
        dossier_code=p.dossier.code if p.dossier else None, anonymous=p.anonymous,
        contact_name=p.contact_name, contact_phone=p.contact_phone, contact_email=p.contact_email,
        received_at=p.received_at, transferred_at=p.transferred_at, refuse_due_at=p.refuse_due_at,
        info_request_due_at=p.info_request_due_at, reply_due_at=p.reply_due_at, publish_due_at=p.publish_due_at,
        first_info_request_at=p.first_info_request_at, info_request_message=p.info_request_message,
        refused_at=p.refused_at, refusal_reason=p.refusal_reason, answered_at=p.answered_at, answer=p.answer,
        published_at=p.published_at, assignee=p.assignee.username if p.assignee else None,
        like_count=p.like_count, dislike_count=p.dislike_count, raised_again_at=p.raised_again_at,
        follow_up_of=p.follow_up_of.code if p.follow_up_of else None, due_state=selectors.due_state(p),
        allowed_actions=allowed_actions(user, p),
        attachments=[AttachmentOut(id=a.pk, name=a.name, purpose=a.purpose) for a in p.attachments.all()],
    )


def _list_item(p: Petition) -> PetitionListItem:
    return PetitionListItem(
        code=p.code, version=p.version, status=PetitionStatus(p.status), status_label=str(p.get_status_display()),
        topic=Topic(p.topic), classification=p.classification, title=p.title,
        agency=Ref(code=p.agency.code, name=p.agency.name), received_at=p.received_at, reply_due_at=p.reply_due_at,
        answered_at=p.answered_at, assignee=p.assignee.username if p.assignee else None,
        due_state=selectors.due_state(p),
    )


def _public(p: Petition) -> PublicOut:
    return PublicOut(
        code=p.code, agency=Ref(code=p.agency.code, name=p.agency.name), topic=Topic(p.effective_topic),
        procedure=_ref(p.procedure), question=p.public_question, answer=p.public_answer, received_at=p.received_at,
        answered_at=p.answered_at, published_at=p.published_at,
    )


def _receipt(code: str) -> ReceiptOut:
    t = selectors.petition_track(code)
    return ReceiptOut(code=t.code, status=PetitionStatus(t.status), status_label=t.status_label,
                      agency_name=t.agency_name, reply_due_at=t.reply_due_at)


def _agency(code: str | None) -> Agency | None:
    if not code:
        return None
    agency = Agency.objects.filter(code=code.strip()).first()
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan với mã này.", code="agency_not_found")
    return agency


def _procedure(code: str | None) -> Procedure | None:
    if not code:
        return None
    from chinhquyenso.procedures.selectors import procedure_get

    return procedure_get(code.strip())


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _fresh(code: str, user: Any) -> PetitionOut:
    return petition_out(selectors.petition_get_for_user(user, code), user)


def _act(request: HttpRequest, code: str, fn: Callable[[Petition, Any], Any]) -> Any:
    """Look the petition up through the scope (404 outside it), run one service, answer the new state."""
    user = _user(request)

    def run() -> tuple[int, Any]:
        petition = selectors.petition_get_for_user(user, code)
        result = fn(petition, user)
        target = result.code if isinstance(result, Petition) else code
        return 200, _fresh(target, user)

    return idempotent(request, request.headers.get(IDEMPOTENCY), run)


# --- Public endpoints ----------------------------------------------------------------------------


@router.get(f"{BASE}/published", response={200: PublicListOut, **ERRORS}, auth=None,
            summary="Kết quả trả lời PAKN đã công khai")
def published(request: HttpRequest, q: str = "", topic: Topic | None = None, offset: int = 0,
              limit: int = 20) -> PublicListOut:
    if offset < 0 or not 1 <= limit <= 100:
        raise ValidationFailed("offset ≥ 0 và 1 ≤ limit ≤ 100.", code="paging_invalid")
    rows = selectors.petitions_published(q=q[:200], topic=topic.value if topic else None)
    return PublicListOut(count=rows.count(), items=[_public(p) for p in rows[offset:offset + limit]])


@router.get(f"{BASE}/published/{{code}}", response={200: PublicOut, **ERRORS}, auth=None,
            summary="Một kết quả trả lời đã công khai")
def published_one(request: HttpRequest, code: str) -> PublicOut:
    return _public(selectors.petition_published_get(code))


@router.get(f"{BASE}/track/{{code}}", response={200: TrackOut, **ERRORS}, auth=None,
            summary="Tra cứu tình trạng theo mã (không có nội dung, không có thông tin cá nhân)")
def track(request: HttpRequest, code: str) -> TrackOut:
    t = selectors.petition_track(code)
    return TrackOut(code=t.code, status=PetitionStatus(t.status), status_label=t.status_label,
                    agency_name=t.agency_name, received_at=t.received_at, reply_due_at=t.reply_due_at,
                    answered_at=t.answered_at, refused_at=t.refused_at, published=t.published)


# --- Submission ----------------------------------------------------------------------------------


@router.post(BASE, response={201: PetitionOut | ReceiptOut, **ERRORS}, auth=submit_auth,
             summary="Gửi phản ánh, kiến nghị (công dân hoặc không đăng nhập)")
def submit(request: HttpRequest, payload: SubmitIn) -> Any:
    user = _user(request)

    def run() -> tuple[int, Any]:
        dossier = None
        if payload.dossier_code:
            dossier = Dossier.objects.filter(code=payload.dossier_code.strip()).first()
            if dossier is None:
                raise NotFound("Không tìm thấy hồ sơ với mã này.", code="dossier_not_found")
        contact = payload.contact
        petition = services.petition_submit(
            actor=user, title=payload.title, content=payload.content, topic=payload.topic.value,
            agency=_agency(payload.agency_code), procedure=_procedure(payload.procedure_code), dossier=dossier,
            contact=services.ContactInput(**contact.model_dump()) if contact else None,
            uploads=_uploads(payload.attachments),
        )
        if user is None:
            return 201, _receipt(petition.code)  # without an account: tracking data only, content stays private
        return 201, _fresh(petition.code, user)

    return idempotent(request, request.headers.get(IDEMPOTENCY), run)


# --- Reads ---------------------------------------------------------------------------------------


@router.get(BASE, response={200: PetitionListOut, **ERRORS}, auth=session_or_token,
            summary="Hộp PAKN của cán bộ (theo phạm vi) hoặc phản ánh của công dân")
def list_petitions(request: HttpRequest, filters: Query[ListQuery]) -> PetitionListOut:
    user = _user(request)
    if is_officer(user):
        rows = selectors.petition_inbox(
            user, status=filters.status.value if filters.status else None,
            topic=filters.topic.value if filters.topic else None, due=filters.due, q=filters.q,
            assigned_to_me=filters.assigned_to_me,
        )
    else:
        rows = selectors.petitions_of_submitter(user)
        if filters.status:
            rows = rows.filter(status=filters.status.value)
    rows = rows.select_related("agency", "assignee")
    window = list(rows[filters.offset:filters.offset + filters.limit])
    return PetitionListOut(count=rows.count(), items=[_list_item(p) for p in window])


@router.get(f"{BASE}/{{code}}", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
            summary="Một phản ánh (cán bộ trong phạm vi hoặc người gửi)")
def detail(request: HttpRequest, code: str) -> PetitionOut:
    return _fresh(code, _user(request))


@router.get(f"{BASE}/{{code}}/events", response={200: list[EventOut], **ERRORS}, auth=session_or_token,
            summary="Quá trình xử lý")
def events(request: HttpRequest, code: str) -> list[EventOut]:
    user = _user(request)
    petition = selectors.petition_get_for_user(user, code)
    internal = not is_submitter(user, petition)
    return [
        EventOut(seq=e.seq, kind=e.kind, label=selectors.event_label(e.kind), occurred_at=e.occurred_at,
                 actor_label=e.actor_label if internal else "", agency=e.agency.name, from_status=e.from_status,
                 to_status=e.to_status, payload=e.payload if internal else {})
        for e in selectors.petition_events(petition) if internal or e.kind in selectors.SUBMITTER_EVENTS
    ]


# --- Actions -------------------------------------------------------------------------------------


@router.post(f"{BASE}/{{code}}/classify", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Phân loại")
def classify(request: HttpRequest, code: str, payload: ClassifyIn) -> Any:
    def fn(p: Petition, user: Any) -> Petition:
        dossier = None
        if payload.dossier_code:
            dossier = Dossier.objects.filter(code=payload.dossier_code.strip()).first()
            if dossier is None:
                raise NotFound("Không tìm thấy hồ sơ với mã này.", code="dossier_not_found")
        return services.petition_classify(petition=p, actor=user, classification=payload.classification.value,
                                          procedure=_procedure(payload.procedure_code), dossier=dossier,
                                          expected_version=payload.expected_version)
    return _act(request, code, fn)


@router.post(f"{BASE}/{{code}}/assign", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Phân công xử lý")
def assign(request: HttpRequest, code: str, payload: AssignIn) -> Any:
    def fn(p: Petition, user: Any) -> Petition:
        assignee = User.objects.filter(username=payload.assignee.strip()).first()
        return services.petition_assign(petition=p, actor=user, assignee=assignee, note=payload.note,
                                        expected_version=payload.expected_version)
    return _act(request, code, fn)


@router.post(f"{BASE}/{{code}}/transfer", response={200: PetitionOut | ReceiptOut, **ERRORS},
             auth=session_or_token, summary="Chuyển cơ quan có thẩm quyền")
def transfer(request: HttpRequest, code: str, payload: TransferIn) -> Any:
    user = _user(request)

    def run() -> tuple[int, Any]:
        petition = selectors.petition_get_for_user(user, code)
        target = _agency(payload.to_agency_code)
        if target is None:
            raise ValidationFailed("Vui lòng chọn cơ quan nhận.", code="agency_required")
        services.petition_transfer(petition=petition, actor=user, to_agency=target, reason=payload.reason,
                                   expected_version=payload.expected_version)
        try:
            return 200, _fresh(code, user)
        except NotFound:  # it left the caller's scope: answer with what anyone holding the code may see
            return 200, _receipt(code)

    return idempotent(request, request.headers.get(IDEMPOTENCY), run)


@router.post(f"{BASE}/{{code}}/request-info", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Yêu cầu bổ sung thông tin")
def request_info(request: HttpRequest, code: str, payload: RequestInfoIn) -> Any:
    return _act(request, code, lambda p, user: services.petition_request_info(
        petition=p, actor=user, message=payload.message, expected_version=payload.expected_version))


@router.post(f"{BASE}/{{code}}/supply-info", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Bổ sung thông tin (người gửi, hoặc cán bộ ghi nhận)")
def supply_info(request: HttpRequest, code: str, payload: SupplyInfoIn) -> Any:
    return _act(request, code, lambda p, user: services.petition_supply_info(
        petition=p, actor=user, content=payload.content, uploads=_uploads(payload.attachments),
        expected_version=payload.expected_version))


@router.post(f"{BASE}/{{code}}/refuse", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Từ chối tiếp nhận")
def refuse(request: HttpRequest, code: str, payload: RefuseIn) -> Any:
    return _act(request, code, lambda p, user: services.petition_refuse(
        petition=p, actor=user, reason=payload.reason, expected_version=payload.expected_version))


@router.post(f"{BASE}/{{code}}/answer", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Trả lời")
def answer(request: HttpRequest, code: str, payload: AnswerIn) -> Any:
    return _act(request, code, lambda p, user: services.petition_answer(
        petition=p, actor=user, answer=payload.answer, publish=payload.publish, uploads=_uploads(payload.attachments),
        expected_version=payload.expected_version))


@router.post(f"{BASE}/{{code}}/publish", response={200: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Công khai kết quả trả lời")
def publish(request: HttpRequest, code: str, payload: PublishIn) -> Any:
    return _act(request, code, lambda p, user: services.petition_publish(
        petition=p, actor=user, public_question=payload.public_question, public_answer=payload.public_answer,
        expected_version=payload.expected_version))


@router.post(f"{BASE}/{{code}}/rate", response={200: RateOut, **ERRORS}, auth=session_or_token,
             summary="Đánh giá kết quả trả lời (người gửi, một lần)")
def rate(request: HttpRequest, code: str, payload: RateIn) -> Any:
    user = _user(request)

    def run() -> tuple[int, Any]:
        petition = selectors.petition_get_for_user(user, code)
        rating = services.petition_rate(petition=petition, actor=user, value=payload.value.value,
                                        comment=payload.comment)
        petition.refresh_from_db(fields=["like_count", "dislike_count"])
        return 200, RateOut(code=petition.code, value=RatingValue(rating.value), like_count=petition.like_count,
                            dislike_count=petition.dislike_count)

    return idempotent(request, request.headers.get(IDEMPOTENCY), run)


@router.post(f"{BASE}/{{code}}/reopen", response={201: PetitionOut, **ERRORS}, auth=session_or_token,
             summary="Phản ánh lại (người gửi): tạo phản ánh mới gắn với phản ánh cũ")
def reopen(request: HttpRequest, code: str, payload: ReopenIn) -> Any:
    user = _user(request)

    def run() -> tuple[int, Any]:
        petition = selectors.petition_get_for_user(user, code)
        follow_up = services.petition_reopen(petition=petition, actor=user, content=payload.content,
                                             title=payload.title, uploads=_uploads(payload.attachments))
        return 201, _fresh(follow_up.code, user)

    return idempotent(request, request.headers.get(IDEMPOTENCY), run)

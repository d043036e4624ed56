"""REST API of the citizen side (tag "Công dân"), mounted under ``/api/v1/``.

* ``GET /public/dossiers/{code}`` — public lookup: no personal data, rate-limited per address,
  the same 404 for an unknown and a malformed code.
* ``/citizen/...`` — the signed-in citizen's own dossiers, documents and ratings; anyone else's
  code or id is 404. Every POST accepts ``Idempotency-Key``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja import Status as Reply

from chinhquyenso.accounts.auth import OtpRequired, session_or_token
from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.selectors import otp_verified, totp_device_confirmed
from chinhquyenso.citizens import ratelimit, selectors, services
from chinhquyenso.citizens.models import CitizenDocument, ComponentSource, DossierRating
from chinhquyenso.core.errors import NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from chinhquyenso.core.idempotency import idempotent
from chinhquyenso.dossiers.models import Dossier, Status

router = Router(tags=["Công dân"])


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


# --- Public lookup -------------------------------------------------------------------------------


class StatusChangeOut(Schema):
    label: str
    status_label: str
    occurred_at: datetime


class PublicDossierOut(Schema):
    code: str
    procedure_name: str
    agency_name: str
    status: int = Field(..., description="TrangThaiHoSo (1–10)")
    status_label: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None = Field(None, description="Ngày hẹn trả")
    finished_at: datetime | None
    returned_at: datetime | None
    timeline: list[StatusChangeOut]


@router.get("/public/dossiers/{code}", response={200: PublicDossierOut, 404: ErrorOut, 429: ErrorOut},
            auth=None, summary="Tra cứu hồ sơ công khai (không có dữ liệu cá nhân)")
def public_dossier(request: HttpRequest, code: str, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    if not ratelimit.lookup_allowed(request):
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
        return Reply(429, {"code": "rate_limited",
                           "message": "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. "
                                      "Vui lòng đợi một phút rồi thử lại."})
    view = selectors.public_dossier_lookup(code)
    if view is None:  # unknown and malformed codes: one answer
        return Reply(404, {"code": "dossier_not_found", "message": "Không tìm thấy hồ sơ."})
    return {
        "code": view.code, "procedure_name": view.procedure_name, "agency_name": view.agency_name,
        "status": view.status, "status_label": view.status_label, "submitted_at": view.submitted_at,
        "received_at": view.received_at, "due_at": view.due_at, "finished_at": view.finished_at,
        "returned_at": view.returned_at,
        "timeline": [{"label": t.label, "status_label": t.status_label, "occurred_at": t.occurred_at}
                     for t in view.timeline],
    }


# --- The citizen's own data ----------------------------------------------------------------------


def _citizen(request: HttpRequest) -> User:
    """The signed-in citizen; officers get 403, a session still owing its TOTP code 401."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User) or not user.is_citizen or not user.is_active:
        raise PermissionDenied("Chức năng này dành cho tài khoản công dân.", code="citizen_only")
    if getattr(request, "api_token", None) is None:
        from chinhquyenso.citizens.views import SESSION_EID_LOGIN

        if (not request.session.get(SESSION_EID_LOGIN) and totp_device_confirmed(user) is not None
                and not otp_verified(user)):
            raise OtpRequired("Vui lòng nhập mã xác thực hai lớp trước khi dùng chức năng này.")
    return user


class ComponentOut(Schema):
    id: int
    name: str
    copy_type: str
    has_file: bool
    reused: bool
    digitized: bool


class ResultOut(Schema):
    id: int
    name: str
    code: str
    has_file: bool


class FeeOut(Schema):
    name: str
    amount: int = Field(..., description="VND")
    paid: bool


class RatingOut(Schema):
    dossier_code: str
    satisfied: bool
    comment: str
    rated_at: datetime


class DossierSummaryOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    status: int
    status_label: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    vneid_verified: bool
    has_reused: bool


class DossierDetailOut(DossierSummaryOut):
    applicant_name: str
    finished_at: datetime | None
    returned_at: datetime | None
    components: list[ComponentOut]
    results: list[ResultOut]
    fees: list[FeeOut]
    timeline: list[StatusChangeOut]
    rating: RatingOut | None


def _summary(d: Dossier) -> dict[str, Any]:
    return {
        "code": d.code, "procedure_code": d.procedure.code, "procedure_name": d.procedure.name,
        "agency_name": d.agency.name, "status": d.status, "status_label": Status(d.status).label,
        "submitted_at": d.submitted_at, "received_at": d.received_at, "due_at": d.due_at,
        "vneid_verified": d.vneid_verified, "has_reused": d.has_reused,
    }


def _rating(r: DossierRating) -> dict[str, Any]:
    return {"dossier_code": r.dossier.code, "satisfied": r.satisfied, "comment": r.comment, "rated_at": r.rated_at}


def _detail(d: Dossier) -> dict[str, Any]:
    from chinhquyenso.dossiers.selectors import dossier_timeline

    rating = DossierRating.objects.select_related("dossier").filter(dossier=d).first()
    finished = d.status in services.RATABLE_STATUSES
    return {
        **_summary(d), "applicant_name": d.applicant_name, "finished_at": d.finished_at,
        "returned_at": d.returned_at,
        "components": [{"id": c.pk, "name": c.name, "copy_type": c.copy_type, "has_file": c.file_id is not None,
                        "reused": c.reused, "digitized": c.digitized} for c in d.components.order_by("id")],
        "results": [{"id": r.pk, "name": r.name, "code": r.code, "has_file": r.file_id is not None}
                    for r in d.results.order_by("id")] if finished else [],
        "fees": [{"name": f.name, "amount": f.amount, "paid": f.paid_at is not None} for f in d.fees.order_by("id")],
        "timeline": [{"label": e.label, "status_label": e.status_label, "occurred_at": e.occurred_at}
                     for e in dossier_timeline(d) if e.to_status is not None],
        "rating": _rating(rating) if rating else None,
    }


@router.get("/citizen/dossiers", response={200: list[DossierSummaryOut], 401: ErrorOut, 403: ErrorOut},
            auth=session_or_token, summary="Hồ sơ của tôi")
def my_dossiers(request: HttpRequest, limit: int = 50, offset: int = 0) -> Any:
    user = _citizen(request)
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    return [_summary(d) for d in selectors.citizen_dossiers(user)[offset: offset + limit]]


@router.get("/citizen/dossiers/{code}", response={200: DossierDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            auth=session_or_token, summary="Một hồ sơ của tôi")
def my_dossier(request: HttpRequest, code: str) -> Any:
    return _detail(selectors.citizen_dossier_get(_citizen(request), code))


class UploadIn(Schema):
    filename: str = Field(..., max_length=200)
    content_base64: str = Field(..., description="Nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class ComponentIn(Schema):
    component_code: str = Field(..., max_length=40, description="MaThanhPhanHoSo của thủ tục")
    upload: UploadIn | None = None
    document_id: int | None = Field(None, description="Giấy tờ trong kho của tôi (tái sử dụng)")
    paper: bool = Field(False, description="Nộp bản giấy khi nhận kết quả (không áp dụng cho DVC toàn trình)")


class ApplicantIn(Schema):
    name: str = Field("", max_length=255)
    id_number: str = Field("", max_length=20)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)


class SubmitIn(Schema):
    procedure_code: str = Field(..., max_length=40)
    agency_code: str = Field(..., max_length=40, description="Nơi tiếp nhận (mã định danh cơ quan)")
    applicant: ApplicantIn | None = Field(None, description="Mặc định: thông tin tài khoản")
    summary: str = Field("", max_length=4000)
    components: list[ComponentIn] = Field(..., max_length=50)


def _decode(upload: UploadIn) -> bytes:
    try:
        return base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("Nội dung tệp không phải base64 hợp lệ.", code="base64_invalid") from None


def _choices(user: User, payload: SubmitIn, procedure: Any) -> list[services.ComponentChoice]:
    from chinhquyenso.files.services import file_store

    by_code = {pc.code: pc for pc in procedure.components.all()}
    choices = []
    decoded: list[tuple[Any, UploadIn, bytes]] = []
    for item in payload.components:
        pc = by_code.get(item.component_code)
        if pc is None:
            raise ValidationFailed(f"Thủ tục không có thành phần mã “{item.component_code}”.",
                                   code="component_unknown")
        given = sum([item.upload is not None, item.document_id is not None, item.paper])
        if given != 1:
            raise ValidationFailed(f"Thành phần “{pc.name}”: chọn đúng một trong tải tệp, giấy tờ trong kho, bản giấy.",
                                   code="component_source_invalid")
        if item.upload is not None:
            decoded.append((pc, item.upload, _decode(item.upload)))
        elif item.document_id is not None:
            try:
                doc: CitizenDocument = selectors.citizen_document_get(user, item.document_id)
            except NotFound:
                raise NotFound("Không tìm thấy giấy tờ trong kho của bạn.", code="document_not_found") from None
            choices.append(services.ComponentChoice(procedure_component=pc, source=ComponentSource.STORE, document=doc))
        else:
            choices.append(services.ComponentChoice(procedure_component=pc, source=ComponentSource.PAPER))
    for pc, upload, content in decoded:  # stored only once every other input is known to be well-formed
        stored = file_store(content=content, filename=upload.filename, actor=user)
        choices.append(services.ComponentChoice(procedure_component=pc, source=ComponentSource.UPLOAD, file=stored,
                                                filename=upload.filename))
    return choices


@router.post("/citizen/dossiers", response={201: DossierDetailOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                            404: ErrorOut, 409: ErrorOut},
             auth=session_or_token, summary="Nộp hồ sơ trực tuyến",
             description=f"Nhận tiêu đề `{IDEMPOTENCY_HEADER}`: gửi lại cùng yêu cầu không tạo hồ sơ thứ hai.")
def submit(request: HttpRequest, payload: SubmitIn) -> Any:
    user = _citizen(request)

    def run() -> tuple[int, dict[str, Any]]:
        from chinhquyenso.units.models import Agency

        procedure = selectors.online_procedure_get(payload.procedure_code)
        agency = selectors.submission_agencies(procedure).filter(code=payload.agency_code).first()
        if agency is None and not Agency.objects.filter(code=payload.agency_code).exists():
            raise NotFound("Không tìm thấy cơ quan tiếp nhận.", code="agency_not_found")
        if agency is None:
            raise ValidationFailed("Cơ quan này không tiếp nhận hồ sơ của thủ tục.", code="agency_not_competent")
        a = payload.applicant
        applicant = services.ApplicantData(
            name=a.name if a and a.name else user.display_name, id_number=a.id_number if a else "",
            phone=a.phone if a and a.phone else user.phone, email=a.email if a and a.email else user.email,
            address=a.address if a else "",
        )
        dossier = services.citizen_submit(citizen=user, procedure=procedure, agency=agency, applicant=applicant,
                                          summary=payload.summary, choices=_choices(user, payload, procedure))
        return 201, _detail(dossier)

    return idempotent(request, request.headers.get(IDEMPOTENCY_HEADER), run)


class RatingIn(Schema):
    satisfied: bool = Field(..., description="true: hài lòng; false: không hài lòng")
    comment: str = Field("", max_length=2000)


@router.post("/citizen/dossiers/{code}/rating",
             response={201: RatingOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             auth=session_or_token, summary="Đánh giá mức độ hài lòng (một lần, sau khi có kết quả)")
def rate(request: HttpRequest, code: str, payload: RatingIn) -> Any:
    user = _citizen(request)

    def run() -> tuple[int, dict[str, Any]]:
        dossier = selectors.citizen_dossier_get(user, code)
        rating = services.dossier_rate(citizen=user, dossier=dossier, satisfied=payload.satisfied,
                                       comment=payload.comment)
        return 201, _rating(rating)

    return idempotent(request, request.headers.get(IDEMPOTENCY_HEADER), run)


class WithdrawIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


@router.post("/citizen/dossiers/{code}/withdraw",
             response={200: DossierDetailOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                       409: ErrorOut},
             auth=session_or_token, summary="Rút hồ sơ")
def withdraw(request: HttpRequest, code: str, payload: WithdrawIn) -> Any:
    from chinhquyenso.dossiers.services import dossier_withdraw

    user = _citizen(request)

    def run() -> tuple[int, dict[str, Any]]:
        dossier = selectors.citizen_dossier_get(user, code)
        return 200, _detail(dossier_withdraw(dossier=dossier, actor=user, reason=payload.reason))

    return idempotent(request, request.headers.get(IDEMPOTENCY_HEADER), run)


class DocumentOut(Schema):
    id: int
    name: str
    document_type: str
    origin: str
    source_dossier_code: str | None
    issued_at: datetime | None
    valid_until: date | None
    valid_today: bool


@router.get("/citizen/documents", response={200: list[DocumentOut], 401: ErrorOut, 403: ErrorOut},
            auth=session_or_token, summary="Kho giấy tờ của tôi")
def my_documents(request: HttpRequest, document_type: str = "") -> Any:
    user = _citizen(request)
    return [
        {"id": d.pk, "name": d.name, "document_type": d.document_type, "origin": d.origin,
         "source_dossier_code": d.source_dossier.code if d.source_dossier else None, "issued_at": d.issued_at,
         "valid_until": d.valid_until, "valid_today": d.is_valid_today}
        for d in selectors.citizen_documents(user, document_type=document_type or None)
    ]


@router.get("/citizen/ratings", response={200: list[RatingOut], 401: ErrorOut, 403: ErrorOut},
            auth=session_or_token, summary="Các đánh giá của tôi")
def my_ratings(request: HttpRequest) -> Any:
    return [_rating(r) for r in selectors.citizen_ratings(_citizen(request))]

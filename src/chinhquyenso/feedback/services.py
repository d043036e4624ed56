"""Every write to a petition. One transaction each: state + PetitionEvent + audit row + projectors.

Each service that acts on an existing petition:

1. locks the row (``select_for_update``; on SQLite the IMMEDIATE transaction serialises writers),
2. checks who may act (:func:`chinhquyenso.feedback.workflow.ensure_allowed`: role and scope for
   officers, ownership for the submitter), then ``expected_version`` (Conflict, HTTP 409),
3. validates the input (ValidationFailed) — all before writing anything,
4. changes the state, bumps ``version`` and calls :func:`_record`, which writes the
   :class:`PetitionEvent`, the audit row and runs the projectors registered for ``"petition"``.

Deadlines come from the :class:`FeedbackRuleSet` in force when the clock starts (receipt, or
transfer in) and the working calendar (:mod:`chinhquyenso.workdays.calendar`). ``at`` (default:
now) is when the action happened; importers and tests pass it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.core.middleware import current_client_ip
from chinhquyenso.core.projectors import dispatch
from chinhquyenso.core.text import mask_id_numbers_in, nfc
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.feedback import rules
from chinhquyenso.feedback.models import (
    AttachmentPurpose,
    FeedbackRuleSet,
    Petition,
    PetitionAttachment,
    PetitionCodeCounter,
    PetitionEvent,
    PetitionRating,
    PetitionStatus,
    RatingValue,
    Topic,
)
from chinhquyenso.feedback.selectors import rule_set_in_force
from chinhquyenso.feedback.workflow import HANDLER_ROLES, STARTS_WORK, Action, ensure_allowed
from chinhquyenso.files.services import file_store
from chinhquyenso.indicators.rollups import rollup_refresh
from chinhquyenso.procedures.models import Procedure
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays import calendar

LOCAL_TZ = calendar.TIMEZONE
MAX_TITLE = 300
MAX_CONTENT = 8000
MAX_UPLOADS = 5
#: Platform configuration (not law): submissions per hour, overridable in settings.CHINHQUYENSO.
DEFAULT_ANONYMOUS_PER_HOUR = 5
DEFAULT_CITIZEN_PER_HOUR = 10


class RateLimited(DomainError):
    """Too many petitions from one address or account in the last hour."""

    code = "rate_limited"
    status = 429


# --- Inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactInput:
    """Người phản ánh. Required without an account (name, and a phone number or an e-mail address)."""

    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class UploadInput:
    content: bytes
    filename: str


# --- Helpers -------------------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed("Thời điểm phải có múi giờ.", code="naive_datetime")
    return at


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _text(value: str | None, *, label: str, required: bool = False, max_length: int = MAX_CONTENT) -> str:
    cleaned = nfc((value or "").strip())
    if required and not cleaned:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code="required", details={"field": label})
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{label[:1].upper()}{label[1:]} quá dài (tối đa {max_length} ký tự).",
                               code="too_long", details={"field": label})
    return cleaned


def _authenticated(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _actor_label(actor: Any) -> str:
    if not _authenticated(actor):
        return "Người gửi không đăng nhập"
    return str(getattr(actor, "display_name", "") or getattr(actor, "username", ""))


def _scrub(payload: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe, with any personal ID number masked (free text may contain one)."""
    return dict(json.loads(mask_id_numbers_in(json.dumps(payload, ensure_ascii=False, default=str))))


def _short(payload: dict[str, Any]) -> dict[str, Any]:
    """The audit summary keeps the facts, not whole letters."""
    return {k: (v[:200] if isinstance(v, str) else v) for k, v in payload.items()}


def _record(
    petition: Petition,
    *,
    kind: str,
    actor: Any,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    payload: dict[str, Any] | None = None,
) -> PetitionEvent:
    """Append the event, write the audit row, run the projectors: all in the caller's transaction."""
    clean = _scrub(payload or {})
    seq = (PetitionEvent.objects.filter(petition_id=petition.pk).aggregate(m=Max("seq"))["m"] or 0) + 1
    event = PetitionEvent.objects.create(
        petition=petition, seq=seq, kind=kind, from_status=from_status, to_status=to_status,
        actor=actor if _authenticated(actor) else None, actor_label=_actor_label(actor),
        agency_id=petition.agency_id, occurred_at=at, payload=clean,
    )
    audit_record(
        action=f"petition.{kind}", actor=actor, obj=petition,
        summary={"code": petition.code, "from_status": from_status, "to_status": to_status,
                 "version": petition.version, **_short(clean)},
    )
    dispatch("petition", event)
    return event


def _lock(petition: Petition | int) -> Petition:
    pk = petition.pk if isinstance(petition, Petition) else petition
    try:
        # Lock the petition row only: the joined agency and rule set are shared by many petitions.
        locked = Petition.objects.select_for_update(of=("self",)).select_related("agency", "rule_set").get(pk=pk)
    except Petition.DoesNotExist:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.", code="petition_not_found") from None
    return locked


def _check_version(petition: Petition, expected_version: int | None) -> None:
    if expected_version is not None and petition.version != expected_version:
        raise Conflict(
            "Phản ánh vừa được người khác cập nhật. Vui lòng tải lại trang rồi thực hiện lại.",
            code="stale_version", details={"current_version": petition.version, "expected_version": expected_version},
        )


def _acting_on(petition: Petition | int, *, actor: Any, action: Action, expected_version: int | None) -> Petition:
    """Lock, check who may act and the status, then the version (nothing leaks to outsiders)."""
    locked = _lock(petition)
    ensure_allowed(actor, locked, action)
    _check_version(locked, expected_version)
    return locked


def _save(petition: Petition, fields: Sequence[str]) -> None:
    petition.version += 1
    petition.save(update_fields=[*fields, "version", "updated_at"])


def _start_clock(petition: Petition, start: datetime) -> list[str]:
    """Rule set in force on the start day, and the due moments it gives."""
    rule_set = rule_set_in_force(_local_day(start))
    limits = rules.PetitionRules.from_rule_set(rule_set)
    dues = rules.due_dates(start, limits, calendar.get_calendar(years=(start.year, start.year + 1)))
    petition.rule_set = rule_set
    petition.clock_started_at = start
    petition.refuse_due_at = dues.refuse
    petition.info_request_due_at = dues.first_info_request
    petition.reply_due_at = dues.reply
    return ["rule_set", "clock_started_at", "refuse_due_at", "info_request_due_at", "reply_due_at"]


def _fingerprint(ip: str) -> str:
    """A keyed hash: enough to count submissions from one address, useless to recover it."""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, "CHINHQUYENSO", {}).get(name, default))


def _rate_check(*, citizen: Any, fingerprint: str, at: datetime) -> None:
    since = at - timedelta(hours=1)
    if citizen is not None:
        limit = _limit("PETITION_CITIZEN_PER_HOUR", DEFAULT_CITIZEN_PER_HOUR)
        count = Petition.objects.filter(submitter_id=citizen.pk, received_at__gt=since, received_at__lte=at).count()
    elif fingerprint:
        limit = _limit("PETITION_ANONYMOUS_PER_HOUR", DEFAULT_ANONYMOUS_PER_HOUR)
        count = Petition.objects.filter(
            client_fingerprint=fingerprint, received_at__gt=since, received_at__lte=at
        ).count()
    else:
        return  # no client address: an import or the shell, not a web visitor
    if count >= limit:
        raise RateLimited(
            "Bạn đã gửi nhiều phản ánh trong một giờ qua. Vui lòng thử lại sau ít phút.",
            details={"limit_per_hour": limit},
        )


def _next_code(day: date) -> str:
    PetitionCodeCounter.objects.get_or_create(day=day)
    counter = PetitionCodeCounter.objects.select_for_update().get(day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"PAKN-{day:%y%m%d}-{counter.last:04d}"


def _check_uploads(uploads: Sequence[UploadInput]) -> None:
    if len(uploads) > MAX_UPLOADS:
        raise ValidationFailed(f"Chỉ đính kèm tối đa {MAX_UPLOADS} tệp.", code="too_many_files")


def _store_uploads(
    petition: Petition, uploads: Sequence[UploadInput], *, purpose: str, actor: Any, at: datetime
) -> list[str]:
    """Store each file (checked by type and content; a bad one rolls everything back)."""
    names: list[str] = []
    for upload in uploads:
        stored = file_store(content=upload.content, filename=upload.filename, actor=actor)
        name = (upload.filename or stored.original_name or "tep")[:255]
        PetitionAttachment.objects.create(
            petition=petition, file=stored, name=name, purpose=purpose,
            added_by=actor if _authenticated(actor) else None, added_at=at,
        )
        names.append(name)
    return names


def _agency_in_force(agency: Agency | None, on: date) -> Agency:
    if agency is None:
        raise ValidationFailed("Vui lòng chọn cơ quan tiếp nhận phản ánh.", code="agency_required")
    if agency.valid_from > on or (agency.valid_to is not None and agency.valid_to < on):
        raise ValidationFailed(f"Cơ quan «{agency.name}» không còn hoạt động.", code="agency_inactive")
    return agency


def _topic(value: str, *, label: str = "nội dung phản ánh về") -> str:
    if value not in Topic.values:
        raise ValidationFailed(f"Giá trị «{label}» không hợp lệ.", code="topic_invalid")
    return value


def _contact(actor: Any, contact: ContactInput | None) -> ContactInput:
    """Anonymous: name plus a phone or an e-mail. Citizens: their account fills what is missing."""
    given = contact or ContactInput()
    name = _text(given.name, label="họ tên", max_length=200)
    phone = "".join(ch for ch in (given.phone or "") if ch.isdigit() or ch == "+")
    email = (given.email or "").strip()
    address = _text(given.address, label="địa chỉ", max_length=500)
    if _authenticated(actor):
        name = name or _text(getattr(actor, "display_name", ""), label="họ tên", max_length=200)
        phone = phone or str(getattr(actor, "phone", "") or "")
        email = email or str(getattr(actor, "email", "") or "")
    else:
        if not name:
            raise ValidationFailed("Vui lòng nhập họ tên người phản ánh.", code="contact_required",
                                   details={"field": "name"})
        if not phone and not email:
            raise ValidationFailed("Vui lòng để lại số điện thoại hoặc thư điện tử để nhận trả lời.",
                                   code="contact_required", details={"field": "phone"})
    if phone and not (9 <= len(phone.lstrip("+")) <= 15):
        raise ValidationFailed("Số điện thoại không hợp lệ.", code="phone_invalid", details={"field": "phone"})
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed("Địa chỉ thư điện tử không hợp lệ.", code="email_invalid",
                                   details={"field": "email"}) from None
    return ContactInput(name=name, phone=phone, email=email[:254], address=address)


# --- Submission ----------------------------------------------------------------------------------


@transaction.atomic
def petition_submit(
    *,
    actor: Any,
    title: str,
    content: str,
    topic: str,
    agency: Agency | None = None,
    procedure: Procedure | None = None,
    dossier: Dossier | None = None,
    contact: ContactInput | None = None,
    uploads: Sequence[UploadInput] = (),
    client_ip: str | None = None,
    at: datetime | None = None,
) -> Petition:
    """Gửi phản ánh, kiến nghị: a citizen account (``actor``), or nobody (``actor=None``) with contact
    details. No captcha: submissions are rate-limited per account, or per (hashed) client address.

    A dossier may be named only by its owner's account; it also fixes the agency and procedure.
    """
    return _submit(actor=actor, title=title, content=content, topic=topic, agency=agency, procedure=procedure,
                   dossier=dossier, contact=contact, uploads=uploads, client_ip=client_ip, at=_now(at))


def _submit(
    *,
    actor: Any,
    title: str,
    content: str,
    topic: str,
    agency: Agency | None,
    procedure: Procedure | None,
    dossier: Dossier | None,
    contact: ContactInput | None,
    uploads: Sequence[UploadInput],
    client_ip: str | None,
    at: datetime,
    follow_up_of: Petition | None = None,
) -> Petition:
    citizen = actor if _authenticated(actor) else None
    if citizen is not None and not getattr(citizen, "is_citizen", False):
        raise PermissionDenied(
            "Phản ánh, kiến nghị được gửi bằng tài khoản công dân hoặc không cần đăng nhập.", code="citizen_only"
        )
    title = _text(title, label="tiêu đề", required=True, max_length=MAX_TITLE)
    content = _text(content, label="nội dung phản ánh", required=True, max_length=MAX_CONTENT)
    topic = _topic(topic)
    who = _contact(citizen, contact)
    if dossier is not None:
        if citizen is None or dossier.citizen_id != citizen.pk:
            raise ValidationFailed("Chỉ chủ tài khoản nộp hồ sơ mới gắn được phản ánh với hồ sơ đó.",
                                   code="dossier_not_owned")
        agency = agency or dossier.agency
        procedure = procedure or dossier.procedure
    agency = _agency_in_force(agency, _local_day(at))
    _check_uploads(uploads)
    ip = client_ip if client_ip is not None else current_client_ip()
    fingerprint = _fingerprint(ip) if ip and citizen is None else ""
    _rate_check(citizen=citizen, fingerprint=fingerprint, at=at)

    petition = Petition(
        code=_next_code(_local_day(at)), status=PetitionStatus.RECEIVED, topic=topic, procedure=procedure,
        dossier=dossier, agency=agency, unit_id=agency.unit_id, title=title, content=content, submitter=citizen,
        contact_name=who.name, contact_phone=who.phone, contact_email=who.email, contact_address=who.address,
        client_fingerprint=fingerprint, received_at=at, follow_up_of=follow_up_of,
    )
    _start_clock(petition, at)
    petition.save()
    files = _store_uploads(petition, uploads, purpose=AttachmentPurpose.QUESTION, actor=citizen, at=at)
    _record(
        petition, kind="submitted", actor=citizen, at=at, to_status=PetitionStatus.RECEIVED,
        payload={"agency": agency.code, "topic": topic, "procedure": procedure.code if procedure else None,
                 "dossier": dossier.code if dossier else None, "anonymous": citizen is None, "files": files,
                 "follow_up_of": follow_up_of.code if follow_up_of else None},
    )
    if dossier is not None:
        rollup_refresh(dossier_ids=[dossier.pk])  # 766 indicator 5.4 counts a dossier with a petition
    return petition


@transaction.atomic
def petition_reopen(
    *,
    petition: Petition,
    actor: Any,
    content: str,
    title: str = "",
    uploads: Sequence[UploadInput] = (),
    at: datetime | None = None,
) -> Petition:
    """Phản ánh lại: the submitter is not satisfied and raises the same matter again.

    A new petition (a follow-up, not counted as newly received by 766 5.3) goes to the same agency,
    and the earlier one is marked "raised again" (bị phản ánh lại), which 5.3 counts against it.
    """
    moment = _now(at)
    original = _acting_on(petition, actor=actor, action=Action.REOPEN, expected_version=None)
    if original.raised_again_at is not None:
        raise Conflict("Phản ánh này đã được phản ánh lại.", code="already_raised_again")
    follow_up = _submit(
        actor=actor, title=title or f"Phản ánh lại: {original.title}"[:MAX_TITLE], content=content,
        topic=original.effective_topic, agency=original.agency, procedure=original.procedure,
        dossier=original.dossier, contact=None, uploads=uploads, client_ip=None, at=moment, follow_up_of=original,
    )
    original.raised_again_at = moment
    _save(original, ["raised_again_at"])
    _record(original, kind="raised_again", actor=actor, at=moment, payload={"follow_up": follow_up.code})
    return follow_up


# --- Officer actions -----------------------------------------------------------------------------


def _work_started(petition: Petition, action: Action) -> tuple[str, str]:
    """Classifying or assigning a waiting petition puts it in progress."""
    before = petition.status
    if action in STARTS_WORK and before in (PetitionStatus.RECEIVED, PetitionStatus.TRANSFERRED):
        petition.status = PetitionStatus.IN_PROGRESS
    return before, petition.status if petition.status != before else ""


@transaction.atomic
def petition_classify(
    *,
    petition: Petition,
    actor: Any,
    classification: str,
    procedure: Procedure | None = None,
    dossier: Dossier | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Phân loại (766 5.1): about a regulation/procedure, about an officer's conduct, or other; an
    officer may also link the procedure or a dossier in their scope (``None`` leaves them)."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.CLASSIFY, expected_version=expected_version)
    classification = _topic(classification, label="phân loại")
    if dossier is not None:
        from chinhquyenso.dossiers.selectors import dossier_visible_queryset

        if not dossier_visible_queryset(actor).filter(pk=dossier.pk).exists():
            raise ValidationFailed("Không tìm thấy hồ sơ này trong phạm vi của bạn.", code="dossier_out_of_scope")
        locked.dossier = dossier
        locked.procedure = procedure or dossier.procedure
    elif procedure is not None:
        locked.procedure = procedure
    locked.classification = classification
    before, after = _work_started(locked, Action.CLASSIFY)
    _save(locked, ["classification", "procedure", "dossier", "status"])
    _record(locked, kind="classified", actor=actor, at=moment, from_status=before, to_status=after,
            payload={"classification": classification,
                     "procedure": locked.procedure.code if locked.procedure else None,
                     "dossier": locked.dossier.code if locked.dossier else None})
    return locked


@transaction.atomic
def petition_assign(
    *,
    petition: Petition,
    actor: Any,
    assignee: Any,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Phân công: the assignee must be an active officer handling PAKN for the petition's agency."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.ASSIGN, expected_version=expected_version)
    note = _text(note, label="ghi chú", max_length=1000)
    if assignee is None or not getattr(assignee, "is_active", False) or not has_role(
        assignee, *HANDLER_ROLES, agency=locked.agency_id
    ):
        raise ValidationFailed("Người được phân công phải là cán bộ xử lý của cơ quan này.",
                               code="assignee_invalid")
    locked.assignee = assignee
    before, after = _work_started(locked, Action.ASSIGN)
    _save(locked, ["assignee", "status"])
    _record(locked, kind="assigned", actor=actor, at=moment, from_status=before, to_status=after,
            payload={"assignee": assignee.username, "note": note})
    return locked


@transaction.atomic
def petition_transfer(
    *,
    petition: Petition,
    actor: Any,
    to_agency: Agency,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Chuyển cơ quan có thẩm quyền: the petition leaves the actor's agency and its clock restarts
    at the new one (766 5.2 counts "từ khi được chuyển đến")."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.TRANSFER, expected_version=expected_version)
    reason = _text(reason, label="lý do chuyển", required=True, max_length=2000)
    target = _agency_in_force(to_agency, _local_day(moment))
    if target.pk == locked.agency_id:
        raise ValidationFailed("Phản ánh đang ở chính cơ quan này.", code="same_agency")
    source = locked.agency
    before = locked.status
    locked.agency = target
    locked.unit_id = target.unit_id
    locked.transferred_at = moment
    locked.transfer_count += 1
    locked.assignee = None
    locked.status = PetitionStatus.TRANSFERRED
    clock_fields = _start_clock(locked, moment)
    _save(locked, ["agency", "unit", "transferred_at", "transfer_count", "assignee", "status", *clock_fields])
    _record(locked, kind="transferred", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"from_agency": source.code, "to_agency": target.code, "reason": reason})
    return locked


@transaction.atomic
def petition_request_info(
    *,
    petition: Petition,
    actor: Any,
    message: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Yêu cầu bổ sung thông tin. The first request (at this agency) is due within 5 working days."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.REQUEST_INFO, expected_version=expected_version)
    message = _text(message, label="nội dung cần bổ sung", required=True, max_length=2000)
    before = locked.status
    if locked.first_info_request_at is None or locked.first_info_request_at < locked.clock_started_at:
        locked.first_info_request_at = moment  # a request made before a transfer was the old agency's
    locked.info_request_count += 1
    locked.info_request_message = message
    locked.status = PetitionStatus.INFO_REQUESTED
    _save(locked, ["first_info_request_at", "info_request_count", "info_request_message", "status"])
    _record(locked, kind="info_requested", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"message": message, "count": locked.info_request_count})
    return locked


@transaction.atomic
def petition_supply_info(
    *,
    petition: Petition,
    actor: Any,
    content: str,
    uploads: Sequence[UploadInput] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Bổ sung thông tin: by the submitter, or by an officer recording what came by phone or letter."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.SUPPLY_INFO, expected_version=expected_version)
    content = _text(content, label="thông tin bổ sung", required=True, max_length=MAX_CONTENT)
    _check_uploads(uploads)
    before = locked.status
    locked.info_supplied_at = moment
    locked.status = PetitionStatus.IN_PROGRESS
    _save(locked, ["info_supplied_at", "status"])
    files = _store_uploads(locked, uploads, purpose=AttachmentPurpose.INFO, actor=actor, at=moment)
    _record(locked, kind="info_supplied", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"content": content, "files": files})
    return locked


@transaction.atomic
def petition_refuse(
    *,
    petition: Petition,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Từ chối tiếp nhận, with the reason the submitter will read (due within 2 working days)."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.REFUSE, expected_version=expected_version)
    reason = _text(reason, label="lý do từ chối", required=True, max_length=4000)
    before = locked.status
    locked.refused_at = moment
    locked.refusal_reason = reason
    locked.status = PetitionStatus.REFUSED
    _save(locked, ["refused_at", "refusal_reason", "status"])
    _record(locked, kind="refused", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"reason": reason})
    return locked


@transaction.atomic
def petition_answer(
    *,
    petition: Petition,
    actor: Any,
    answer: str,
    publish: bool = True,
    uploads: Sequence[UploadInput] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Trả lời (due within 15 working days). ``publish``: the answer is to be made public, which is
    then due within 2 working days of the answer."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.ANSWER, expected_version=expected_version)
    answer = _text(answer, label="nội dung trả lời", required=True, max_length=MAX_CONTENT)
    _check_uploads(uploads)
    before = locked.status
    locked.answered_at = moment
    locked.answer = answer
    locked.answered_by = actor if _authenticated(actor) else None
    locked.publish_intended = bool(publish)
    locked.publish_due_at = (
        rules.publish_due(moment, rules.PetitionRules.from_rule_set(locked.rule_set),
                          calendar.get_calendar(years=(moment.year, moment.year + 1)))
        if publish else None
    )
    locked.status = PetitionStatus.ANSWERED
    _save(locked, ["answered_at", "answer", "answered_by", "publish_intended", "publish_due_at", "status"])
    files = _store_uploads(locked, uploads, purpose=AttachmentPurpose.ANSWER, actor=actor, at=moment)
    _record(locked, kind="answered", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"answer": answer, "publish": bool(publish), "files": files})
    return locked


@transaction.atomic
def petition_publish(
    *,
    petition: Petition,
    actor: Any,
    public_question: str = "",
    public_answer: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Petition:
    """Công khai kết quả trả lời. The public texts default to the title and the answer; the leader
    rewrites them when they contain personal data, which never reaches the public page otherwise."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.PUBLISH, expected_version=expected_version)
    question = _text(public_question or locked.title, label="nội dung phản ánh công khai", required=True,
                     max_length=MAX_CONTENT)
    answer = _text(public_answer or locked.answer, label="nội dung trả lời công khai", required=True,
                   max_length=MAX_CONTENT)
    before = locked.status
    locked.public_question = question
    locked.public_answer = answer
    locked.published_at = moment
    locked.status = PetitionStatus.PUBLISHED
    _save(locked, ["public_question", "public_answer", "published_at", "status"])
    _record(locked, kind="published", actor=actor, at=moment, from_status=before, to_status=locked.status,
            payload={"edited": question != locked.title or answer != locked.answer})
    return locked


# --- Submitter's rating --------------------------------------------------------------------------


@transaction.atomic
def petition_rate(
    *,
    petition: Petition,
    actor: Any,
    value: str,
    comment: str = "",
    at: datetime | None = None,
) -> PetitionRating:
    """Đánh giá kết quả trả lời: the submitter, once, like (hài lòng) or dislike (không hài lòng)."""
    moment = _now(at)
    locked = _acting_on(petition, actor=actor, action=Action.RATE, expected_version=None)
    if value not in RatingValue.values:
        raise ValidationFailed("Vui lòng chọn hài lòng hoặc không hài lòng.", code="rating_invalid")
    comment = _text(comment, label="ý kiến", max_length=2000)
    if locked.ratings.filter(rater_id=actor.pk).exists():
        raise Conflict("Bạn đã đánh giá kết quả trả lời này.", code="already_rated")
    try:
        with transaction.atomic():
            rating = PetitionRating.objects.create(
                petition=locked, rater=actor, value=value, comment=comment, created_at=moment
            )
    except IntegrityError:
        raise Conflict("Bạn đã đánh giá kết quả trả lời này.", code="already_rated") from None
    counter = "like_count" if value == RatingValue.LIKE else "dislike_count"
    setattr(locked, counter, getattr(locked, counter) + 1)
    _save(locked, [counter])
    _record(locked, kind="rated", actor=actor, at=moment, payload={"value": value, "comment": comment})
    return rating


# --- Rule sets -----------------------------------------------------------------------------------


@transaction.atomic
def rule_set_create(
    *,
    code: str,
    name: str,
    valid_from: date,
    reply_days: int,
    refuse_days: int,
    first_info_request_days: int,
    publish_days: int,
    in_progress_days: int,
    legal_basis: str = "",
    valid_to: date | None = None,
    note: str = "",
    actor: Any = None,
) -> FeedbackRuleSet:
    """A new version of the PAKN time limits. The open-ended set in force before ``valid_from`` is
    closed the day before; any other overlap is refused. Province administrators only."""
    if actor is not None and not getattr(actor, "is_superuser", False) and not has_role(actor, Role.PROVINCE_ADMIN):
        raise PermissionDenied("Chỉ quản trị cấp tỉnh được thay đổi quy tắc xử lý PAKN.", code="role_required")
    code = _text(code, label="mã bộ quy tắc", required=True, max_length=40)
    name = _text(name, label="tên bộ quy tắc", required=True, max_length=300)
    limits = {"reply_days": reply_days, "refuse_days": refuse_days,
              "first_info_request_days": first_info_request_days, "publish_days": publish_days,
              "in_progress_days": in_progress_days}
    for field, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365:
            raise ValidationFailed("Thời hạn phải là số ngày làm việc từ 1 đến 365.", code="limit_invalid",
                                   details={"field": field})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.", code="range_invalid")
    if FeedbackRuleSet.objects.filter(code=code).exists():
        raise Conflict("Mã bộ quy tắc đã tồn tại.", code="rule_set_code_taken")
    previous = (
        FeedbackRuleSet.objects.select_for_update()
        .filter(valid_from__lt=valid_from, valid_to__isnull=True).order_by("-valid_from").first()
    )
    if previous is not None:
        previous.valid_to = valid_from - timedelta(days=1)
        previous.save(update_fields=["valid_to"])
    end = valid_to or date.max
    overlap = FeedbackRuleSet.objects.filter(valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if overlap.exists():
        raise Conflict("Bộ quy tắc mới trùng thời gian hiệu lực với bộ quy tắc khác.", code="rule_set_overlap")
    rule_set = FeedbackRuleSet.objects.create(
        code=code, name=name, legal_basis=_text(legal_basis, label="căn cứ", max_length=300), valid_from=valid_from,
        valid_to=valid_to, note=_text(note, label="ghi chú", max_length=4000), **limits,
    )
    audit_record(action="feedback.rule_set_create", actor=actor, obj=rule_set,
                 summary={"code": code, "valid_from": valid_from, "valid_to": valid_to,
                          "closed": previous.code if previous else None, **limits})
    return rule_set


__all__ = [
    "ContactInput",
    "RateLimited",
    "UploadInput",
    "petition_answer",
    "petition_assign",
    "petition_classify",
    "petition_publish",
    "petition_rate",
    "petition_refuse",
    "petition_reopen",
    "petition_request_info",
    "petition_submit",
    "petition_supply_info",
    "petition_transfer",
    "rule_set_create",
]

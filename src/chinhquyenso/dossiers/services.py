"""Every write to a dossier. One transaction each: state + DossierEvent + audit row + projectors.

Each service that acts on an existing dossier:

1. locks the row (``select_for_update``; on SQLite the IMMEDIATE transaction serialises writers),
2. checks the actor's scope (PermissionDenied), then ``expected_version`` (Conflict, HTTP 409),
3. checks the transition table, the current step's allowed actions and the actor's role
   (:func:`chinhquyenso.dossiers.workflow.ensure_allowed`),
4. validates the input (ValidationFailed) — all before writing anything,
5. changes the state, bumps ``version`` and calls :func:`_record`, which writes the
   :class:`DossierEvent`, the audit row and runs the projectors registered for ``"dossier"``
   (the national-portal outbox, indicator roll-ups) inside the same transaction.

``at`` (default: now) is when the action happened; importers and tests pass it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.core.projectors import dispatch
from chinhquyenso.core.text import mask_id_numbers_in, nfc
from chinhquyenso.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierCodeCounter,
    DossierComponent,
    DossierConsultation,
    DossierEvent,
    DossierFee,
    DossierFeeStage,
    DossierResult,
    DossierSupplement,
    OnlinePayment,
    Status,
)
from chinhquyenso.dossiers.workflow import TRANSITIONS, Action, can_see, ensure_allowed, is_owner, step_agency
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import (
    ApplicantType,
    CopyType,
    Procedure,
    ProcedureComponent,
    ProcedureResult,
    ProcedureStatus,
    ProcessStep,
    ProcessVersion,
)
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays import calendar

LOCAL_TZ = calendar.TIMEZONE
MAX_TEXT = 4000

#: LoaiDoiTuong → the catalog's applicant type, to pick fees and exemptions.
APPLICANT_TYPE_FOR_FEES = {
    ApplicantKind.CITIZEN: ApplicantType.CITIZEN.value,
    ApplicantKind.BUSINESS: ApplicantType.BUSINESS.value,
    ApplicantKind.HOUSEHOLD_BUSINESS: ApplicantType.HOUSEHOLD_BUSINESS.value,
}


# --- Inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantInput:
    """Chủ hồ sơ."""

    name: str
    id_number: str = ""
    kind: int = ApplicantKind.CITIZEN
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class UploadInput:
    content: bytes
    filename: str


@dataclass(frozen=True)
class ComponentInput:
    """One document handed in. ``digitized`` marks a paper document scanned at the counter."""

    procedure_component: ProcedureComponent | None = None
    name: str = ""
    copy_type: str = CopyType.ORIGINAL
    count: int = 1
    file: StoredFile | None = None
    upload: UploadInput | None = None
    digitized: bool = False
    reused: bool = False
    from_national_store: bool = False


@dataclass(frozen=True)
class ResultInput:
    procedure_result: ProcedureResult | None = None
    name: str = ""
    code: str = ""
    file: StoredFile | None = None
    upload: UploadInput | None = None
    signed: bool = False


@dataclass(frozen=True)
class FeeInput:
    name: str
    amount: int
    code: str = ""


@dataclass
class _Changes:
    """What a service changed, for the event payload and the audit summary."""

    payload: dict[str, Any] = field(default_factory=dict)


# --- Helpers -------------------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed("Thời điểm phải có múi giờ.", code="naive_datetime")
    return at


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _text(value: str | None, *, label: str, required: bool = False, max_length: int = MAX_TEXT) -> str:
    cleaned = nfc((value or "").strip())
    if required and not cleaned:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code="required", details={"field": label})
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{label.capitalize()} quá dài (tối đa {max_length} ký tự).", code="too_long",
                               details={"field": label})
    return cleaned


def _actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "Hệ thống"
    return str(getattr(actor, "display_name", "") or getattr(actor, "username", ""))


def _actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _scrub(payload: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe, with any personal ID number masked (free text may contain one)."""
    return dict(json.loads(mask_id_numbers_in(json.dumps(payload, ensure_ascii=False, default=str))))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _record(
    dossier: Dossier,
    *,
    kind: str,
    actor: Any,
    at: datetime,
    from_status: int | None,
    to_status: int | None,
    step: ProcessStep | None = None,
    payload: dict[str, Any] | None = None,
    first: bool = False,
) -> DossierEvent:
    """Append the event, write the audit row, run the projectors: all in the caller's transaction.

    ``first``: the dossier was created in this transaction, so this is its event 1 (no look-up)."""
    clean = _scrub(payload or {})
    if first:
        seq = 1
    else:
        seq = (DossierEvent.objects.filter(dossier_id=dossier.pk).aggregate(m=Max("seq"))["m"] or 0) + 1
    event = DossierEvent.objects.create(
        dossier=dossier, seq=seq, kind=kind, from_status=from_status, to_status=to_status,
        actor=_actor_or_none(actor), actor_label=_actor_label(actor), step=step, occurred_at=at, payload=clean,
    )
    audit_record(
        action=f"dossier.{kind}", actor=actor, obj=dossier,
        summary={"code": dossier.code, "from_status": from_status, "to_status": to_status, "version": dossier.version,
                 **clean},
    )
    dispatch("dossier", event)
    return event


def _lock(dossier: Dossier | int, *, actor: Any, expected_version: int | None, system: bool = False) -> Dossier:
    """The dossier row, locked; scope checked before the version so nothing leaks to outsiders."""
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    try:
        locked = Dossier.objects.select_for_update().get(pk=pk)
    except Dossier.DoesNotExist:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found") from None
    if not system and not can_see(actor, locked) and not is_owner(actor, locked):
        raise PermissionDenied("Bạn không có quyền truy cập hồ sơ này.", code="out_of_scope")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang rồi thực hiện lại.",
            code="stale_version", details={"current_version": locked.version, "expected_version": expected_version},
        )
    return locked


def _save(dossier: Dossier, fields: Sequence[str]) -> None:
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])


def _transition(dossier: Dossier, to_status: int | None) -> tuple[int, int | None]:
    before = dossier.status
    if to_status is not None:
        dossier.status = to_status
    return before, to_status


def _validate_applicant(applicant: ApplicantInput) -> ApplicantInput:
    name = _text(applicant.name, label="họ tên chủ hồ sơ", required=True, max_length=255)
    if applicant.kind not in ApplicantKind.values:
        raise ValidationFailed("Loại đối tượng không hợp lệ.", code="applicant_kind_invalid")
    id_number = re.sub(r"[\s.]", "", applicant.id_number or "")
    if id_number:
        if applicant.kind == ApplicantKind.CITIZEN and not re.fullmatch(r"\d{9}|\d{12}", id_number):
            raise ValidationFailed("Số định danh cá nhân phải gồm 12 chữ số (hoặc 9 chữ số CMND).",
                                   code="id_number_invalid")
        if not re.fullmatch(r"[0-9A-Za-z-]{6,20}", id_number):
            raise ValidationFailed("Số giấy tờ của chủ hồ sơ không hợp lệ.", code="id_number_invalid")
    phone = re.sub(r"[\s.()-]", "", applicant.phone or "")
    if phone and not re.fullmatch(r"\+?\d{8,15}", phone):
        raise ValidationFailed("Số điện thoại không hợp lệ.", code="phone_invalid")
    email = (applicant.email or "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed("Địa chỉ thư điện tử không hợp lệ.", code="email_invalid") from None
    address = _text(applicant.address, label="địa chỉ", max_length=500)
    return ApplicantInput(name=name, id_number=id_number, kind=applicant.kind, phone=phone, email=email,
                          address=address)


def _validate_components(procedure: Procedure, components: Sequence[ComponentInput], *,
                         require_complete: bool) -> None:
    seen: set[int] = set()
    for item in components:
        pc = item.procedure_component
        if pc is not None and pc.procedure_id != procedure.pk:
            raise ValidationFailed(f"Thành phần “{pc.name}” không thuộc thủ tục này.", code="component_foreign")
        if pc is None and not (item.name or "").strip():
            raise ValidationFailed("Mỗi thành phần hồ sơ phải có tên.", code="component_name_required")
        if not 1 <= item.count <= 100:
            raise ValidationFailed("Số lượng bản của thành phần hồ sơ phải từ 1 đến 100.", code="component_count")
        if item.copy_type not in CopyType.values:
            raise ValidationFailed("Loại bản (bản chính, bản sao, bản điện tử) không hợp lệ.", code="copy_type")
        if item.file is not None and item.upload is not None:
            raise ValidationFailed("Mỗi thành phần chỉ nhận một tệp.", code="component_two_files")
        if pc is not None:
            seen.add(pc.pk)
    if require_complete:
        missing = [c.name for c in procedure.components.filter(required=True) if c.pk not in seen]
        if missing:
            raise ValidationFailed(
                "Hồ sơ chưa đủ thành phần bắt buộc: " + "; ".join(missing) + ".",
                code="components_missing", details={"missing": missing},
            )


def _store_upload(upload: UploadInput | None, file: StoredFile | None, actor: Any) -> StoredFile | None:
    if upload is None:
        return file
    from chinhquyenso.files.services import file_store

    return file_store(content=upload.content, filename=upload.filename, actor=_actor_or_none(actor))


def _component_rows(dossier: Dossier, components: Sequence[ComponentInput], *, actor: Any, at: datetime,
                    supplement: DossierSupplement | None = None) -> list[DossierComponent]:
    """The component rows (not saved yet) and the dossier's digitized / reused / population-data flags."""
    rows = []
    for item in components:
        stored = _store_upload(item.upload, item.file, actor)
        pc = item.procedure_component
        rows.append(DossierComponent(
            dossier=dossier, procedure_component=pc, name=_text(item.name or (pc.name if pc else ""),
                                                                label="tên thành phần", max_length=500),
            copy_type=item.copy_type, count=item.count, file=stored, digitized=item.digitized,
            digitized_by=_actor_or_none(actor) if item.digitized else None,
            digitized_at=at if item.digitized else None, reused=item.reused,
            from_national_store=item.from_national_store, supplement=supplement,
        ))
    if any(r.digitized for r in rows):
        dossier.has_digitized = True
    if any(r.reused or r.from_national_store for r in rows):
        dossier.has_reused = True
    if any(r.from_national_store for r in rows):
        dossier.used_population_data = True
    return rows


def _add_components(dossier: Dossier, components: Sequence[ComponentInput], *, actor: Any, at: datetime,
                    supplement: DossierSupplement | None = None) -> list[DossierComponent]:
    rows = _component_rows(dossier, components, actor=actor, at=at, supplement=supplement)
    if rows:
        DossierComponent.objects.bulk_create(rows)  # one INSERT; the rows get their ids
    return rows


#: Attribute holding the child rows a service wrote in this transaction, while the projectors run.
_KNOWN_CHILDREN = "_children_written_now"


@contextmanager
def _children_known(dossier: Dossier, **children: list[Any]) -> Iterator[None]:
    """While the projectors run, :func:`dossier_children` answers from these rows instead of reading
    back what the service has just written (components, fees, results of a new dossier)."""
    setattr(dossier, _KNOWN_CHILDREN, children)
    try:
        yield
    finally:
        delattr(dossier, _KNOWN_CHILDREN)


def dossier_children(dossier: Dossier, name: str, *related: str) -> list[Any]:
    """``dossier.<name>`` (``components``, ``fees``, ``results``) in id order, ``related`` joined.

    For projectors: inside a receipt the rows just written are handed over without a query."""
    known = getattr(dossier, _KNOWN_CHILDREN, None)
    if known is not None and name in known:
        return sorted(known[name], key=lambda row: row.pk)
    return list(getattr(dossier, name).all().select_related(*related).order_by("pk"))


def _check_handling_agency(procedure: Procedure, agency: Agency) -> None:
    if procedure.status != ProcedureStatus.PUBLIC:
        raise ValidationFailed(f"Thủ tục “{procedure.name}” không còn được công khai, không thể tiếp nhận.",
                               code="procedure_not_public")
    handlers = list(procedure.handling_agencies.values_list("pk", flat=True))
    if handlers:
        if agency.pk not in handlers:
            raise ValidationFailed(f"{agency.name} không có thẩm quyền giải quyết thủ tục này.",
                                   code="agency_not_competent")
    elif agency.unit.level != procedure.level:
        raise ValidationFailed(f"{agency.name} không có thẩm quyền giải quyết thủ tục này.",
                               code="agency_not_competent")


def _next_code(prefix: str, day: date) -> str:
    """``<prefix>-YYMMDD-NNNN``: one upsert that creates or bumps the counter row and returns the new
    number. The row stays locked until the receipt commits (PostgreSQL row lock; on SQLite the IMMEDIATE
    transaction), so concurrent receipts never share a number."""
    table = connection.ops.quote_name(DossierCodeCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (prefix, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name from the model
        f"ON CONFLICT (prefix, day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return f"{prefix}-{day:%y%m%d}-{int(row[0]):04d}"


def _active_process(procedure: Procedure, on: date) -> ProcessVersion:
    """The version in force, its steps prefetched in order."""
    from chinhquyenso.procedures import selectors as procedure_selectors

    try:
        process = procedure_selectors.procedure_active_process(procedure, on)
    except (NotFound, ProcessVersion.DoesNotExist):
        process = None
    if process is None:
        raise ValidationFailed("Thủ tục chưa có quy trình nội bộ đang áp dụng, chưa thể tiếp nhận.",
                               code="no_active_process")
    return process


def _first_step(process: ProcessVersion) -> ProcessStep:
    steps = sorted(process.steps.all(), key=lambda s: s.order)  # prefetched by _active_process
    step = steps[0] if steps else None
    if step is None:
        raise ValidationFailed("Quy trình nội bộ của thủ tục chưa có bước nào.", code="process_empty")
    return step


def _deadline(start: datetime, amount: Any, unit: str) -> datetime | None:
    value = float(amount or 0)
    if value <= 0:
        return None
    return calendar.deadline(start, value, unit)


def _fee_snapshot(dossier: Dossier, on: date) -> list[DossierFee]:
    from chinhquyenso.procedures import selectors as procedure_selectors

    applicant_type = APPLICANT_TYPE_FOR_FEES.get(ApplicantKind(dossier.applicant_type), ApplicantType.CITIZEN.value)
    fees = procedure_selectors.procedure_fees_on(dossier.procedure, on, applicant_type)
    rows = [DossierFee(dossier=dossier, name=fee.name, code=fee.code, amount=fee.amount, stage=fee.stage)
            for fee in fees]
    if rows:
        DossierFee.objects.bulk_create(rows)
    return rows


def _start_clock(dossier: Dossier, at: datetime) -> None:
    """Receipt: the process version in force, its first step, the due date, the fees snapshot."""
    day = _local_day(at)
    process = _active_process(dossier.procedure, day)
    step = _first_step(process)
    dossier.received_at = at
    dossier.process_version = process
    dossier.current_step = step
    dossier.step_started_at = at
    dossier.step_due_at = _deadline(at, step.duration_amount, step.duration_unit)
    dossier.due_at = _deadline(at, dossier.procedure.time_limit_amount, dossier.procedure.time_limit_unit)
    dossier.original_due_at = dossier.due_at


def _ensure_creator_role(actor: Any, agency: Agency) -> None:
    from chinhquyenso.accounts.scope import has_role

    transition = TRANSITIONS[Action.RECEIVE]
    if not has_role(actor, *sorted(transition.roles), agency=agency):
        raise PermissionDenied("Bạn không có vai trò cán bộ Một cửa tại nơi tiếp nhận này.", code="role_required")


def _new_dossier(*, procedure: Procedure, agency: Agency, receiving_agency: Agency, applicant: ApplicantInput,
                 summary: str, channel: int, status: int, at: datetime, code_day: date) -> Dossier:
    prefix = agency.portal_code or agency.code
    dossier = Dossier(
        code=_next_code(prefix, code_day), procedure=procedure, agency=agency, receiving_agency=receiving_agency,
        unit=agency.unit, channel=channel, status=status, version=1, applicant_type=applicant.kind,
        applicant_name=applicant.name, applicant_id_number=applicant.id_number, applicant_phone=applicant.phone,
        applicant_email=applicant.email, applicant_address=applicant.address, summary=summary, submitted_at=at,
    )
    return dossier


# --- Creation ------------------------------------------------------------------------------------


@transaction.atomic
def dossier_receive(
    *,
    actor: Any,
    procedure: Procedure,
    agency: Agency,
    applicant: ApplicantInput,
    components: Sequence[ComponentInput] = (),
    receiving_agency: Agency | None = None,
    summary: str = "",
    channel: int = Channel.DIRECT,
    vneid_verified: bool = False,
    used_population_data: bool = False,
    at: datetime | None = None,
) -> Dossier:
    """Tiếp nhận hồ sơ tại Bộ phận Một cửa (Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả).

    The code is taken from the counter, the clock starts now, the due date comes from the
    procedure's time limit on the working calendar, the fees are copied as they are today.
    ``used_population_data``: the applicant was prefilled from the population database
    (``integration.data_services.citizen_lookup_prefill``), so the sync payload carries DSKetNoiCSDL.
    """
    moment = _now(at)
    receiving = receiving_agency or agency
    _ensure_creator_role(actor, receiving)
    if channel not in (Channel.DIRECT, Channel.POSTAL):
        raise ValidationFailed("Tiếp nhận tại quầy chỉ dùng kênh trực tiếp hoặc bưu chính.", code="channel_invalid")
    clean = _validate_applicant(applicant)
    text = _text(summary, label="trích yếu hồ sơ")
    _check_handling_agency(procedure, agency)
    _validate_components(procedure, components, require_complete=True)

    dossier = _new_dossier(procedure=procedure, agency=agency, receiving_agency=receiving, applicant=clean,
                           summary=text, channel=channel, status=Status.RECEIVED, at=moment,
                           code_day=_local_day(moment))
    dossier.vneid_verified = vneid_verified
    dossier.used_population_data = vneid_verified or used_population_data
    _start_clock(dossier, moment)
    rows = _component_rows(dossier, components, actor=actor, at=moment)  # sets the flags before the INSERT
    dossier.save()
    DossierComponent.objects.bulk_create(rows)
    fees = _fee_snapshot(dossier, _local_day(moment))
    with _children_known(dossier, components=rows, fees=fees, results=[]):
        _record(dossier, kind=TRANSITIONS[Action.RECEIVE].event_kind, actor=actor, at=moment, from_status=None,
                to_status=Status.RECEIVED, step=dossier.current_step, first=True,
                payload={"channel": channel, "due_at": _iso(dossier.due_at), "components": len(components),
                         "fees_total": sum(f.amount for f in fees), "form": "01"})
    return dossier


@transaction.atomic
def dossier_submit_online(
    *,
    actor: Any,
    procedure: Procedure,
    agency: Agency,
    applicant: ApplicantInput,
    components: Sequence[ComponentInput] = (),
    summary: str = "",
    vneid_verified: bool = False,
    at: datetime | None = None,
) -> Dossier:
    """Nộp hồ sơ trực tuyến (status 1). No due date yet: the clock starts when an officer accepts it."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Vui lòng đăng nhập để nộp hồ sơ.", code="login_required")
    moment = _now(at)
    clean = _validate_applicant(applicant)
    text = _text(summary, label="trích yếu hồ sơ")
    _check_handling_agency(procedure, agency)
    _validate_components(procedure, components, require_complete=True)
    dossier = _new_dossier(procedure=procedure, agency=agency, receiving_agency=agency, applicant=clean,
                           summary=text, channel=Channel.ONLINE, status=Status.NEW, at=moment,
                           code_day=_local_day(moment))
    dossier.citizen = actor if getattr(actor, "is_citizen", False) else None
    dossier.vneid_verified = vneid_verified
    dossier.used_population_data = vneid_verified
    rows = _component_rows(dossier, components, actor=actor, at=moment)  # sets the flags before the INSERT
    dossier.save()
    DossierComponent.objects.bulk_create(rows)
    with _children_known(dossier, components=rows, fees=[], results=[]):
        _record(dossier, kind=TRANSITIONS[Action.SUBMIT_ONLINE].event_kind, actor=actor, at=moment,
                from_status=None, to_status=Status.NEW, first=True,
                payload={"channel": Channel.ONLINE, "components": len(components)})
    return dossier


# --- Counter actions -----------------------------------------------------------------------------


@transaction.atomic
def dossier_accept_online(
    *, dossier: Dossier, actor: Any, expected_version: int | None = None, at: datetime | None = None
) -> Dossier:
    """Tiếp nhận hồ sơ trực tuyến (1 → 2): now the clock starts (Mẫu 01)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.ACCEPT)
    before, after = _transition(d, transition.to_status)
    _start_clock(d, moment)
    _save(d, ["status", "received_at", "process_version", "current_step", "step_started_at", "step_due_at",
              "due_at", "original_due_at"])
    fees = _fee_snapshot(d, _local_day(moment))
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            step=d.current_step, payload={"due_at": _iso(d.due_at), "fees_total": sum(f.amount for f in fees),
                                          "form": "01"})
    return d


@transaction.atomic
def dossier_refuse(
    *, dossier: Dossier, actor: Any, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> Dossier:
    """Từ chối tiếp nhận (Mẫu 03): an online dossier (1), or a received one before processing starts (2)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.REFUSE)
    text = _text(reason, label="lý do từ chối", required=True)
    before, after = _transition(d, transition.to_status)
    step = d.current_step
    d.refused_at = moment
    d.current_step = None
    _save(d, ["status", "refused_at", "current_step"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after, step=step,
            payload={"reason": text, "form": "03"})
    return d


def _supplement_items(items: Sequence[str]) -> list[str]:
    cleaned = [_text(i, label="giấy tờ cần bổ sung", max_length=500) for i in items]
    cleaned = [i for i in cleaned if i]
    if not cleaned:
        raise ValidationFailed("Vui lòng nêu ít nhất một giấy tờ cần bổ sung, hoàn thiện.", code="items_required")
    return cleaned


@transaction.atomic
def dossier_request_supplement(
    *, dossier: Dossier, actor: Any, reason: str, items: Sequence[str], expected_version: int | None = None,
    at: datetime | None = None,
) -> Dossier:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02): the clock pauses until the citizen answers."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.REQUEST_SUPPLEMENT)
    text = _text(reason, label="lý do yêu cầu bổ sung", required=True)
    wanted = _supplement_items(items)
    before, after = _transition(d, transition.to_status)
    d.clock_paused_at = moment
    d.supplement_count += 1
    _save(d, ["status", "clock_paused_at", "supplement_count"])
    supplement = DossierSupplement.objects.create(
        dossier=d, requested_at=moment, requested_by=_actor_or_none(actor), reason=text, items=wanted,
        due_before=d.due_at,
    )
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            step=d.current_step, payload={"reason": text, "items": wanted, "supplement_id": supplement.pk,
                                          "supplement_number": d.supplement_count, "form": "02"})
    return d


@transaction.atomic
def dossier_receive_supplement(
    *, dossier: Dossier, actor: Any, components: Sequence[ComponentInput] = (), note: str = "",
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Tiếp nhận hồ sơ bổ sung (5 → 4): the due date moves later by the working time spent waiting."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.RECEIVE_SUPPLEMENT)
    text = _text(note, label="ghi chú")
    _validate_components(d.procedure, components, require_complete=False)
    supplement = d.supplements.filter(received_at__isnull=True).order_by("-requested_at", "-id").first()
    paused_since = d.clock_paused_at or (supplement.requested_at if supplement else moment)
    if moment < paused_since:
        raise ValidationFailed("Thời điểm nhận bổ sung không thể trước thời điểm yêu cầu bổ sung.",
                               code="time_order")
    hours = calendar.working_hours_between(paused_since, moment)
    seconds = round(hours * 3600)
    due_before = d.due_at
    if d.due_at is not None and hours > 0:
        d.due_at = calendar.add_working_hours(d.due_at, hours)
    if d.step_due_at is not None and hours > 0:
        d.step_due_at = calendar.add_working_hours(d.step_due_at, hours)
    before, after = _transition(d, transition.to_status)
    d.clock_paused_at = None
    d.supplement_paused_seconds += seconds
    if supplement is not None:
        supplement.received_at = moment
        supplement.received_by = _actor_or_none(actor)
        supplement.due_after = d.due_at
        supplement.paused_seconds = seconds
        supplement.save(update_fields=["received_at", "received_by", "due_after", "paused_seconds"])
    _add_components(d, components, actor=actor, at=moment, supplement=supplement)
    _save(d, ["status", "due_at", "step_due_at", "clock_paused_at", "supplement_paused_seconds", "has_digitized",
              "has_reused", "used_population_data"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            step=d.current_step,
            payload={"paused_working_hours": round(hours, 4), "due_before": _iso(due_before),
                     "due_after": _iso(d.due_at), "components": len(components), "note": text,
                     "supplement_id": supplement.pk if supplement else None})
    return d


@transaction.atomic
def dossier_return_result(
    *, dossier: Dossier, actor: Any, note: str = "", expected_version: int | None = None, at: datetime | None = None
) -> Dossier:
    """Trả kết quả (9 → 10)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.RETURN_RESULT)
    text = _text(note, label="ghi chú")
    if d.finished_at is not None and moment < d.finished_at:
        raise ValidationFailed("Thời điểm trả kết quả không thể trước khi xử lý xong.", code="time_order")
    before, after = _transition(d, transition.to_status)
    d.returned_at = moment
    _save(d, ["status", "returned_at"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            payload={"note": text})
    return d


@transaction.atomic
def dossier_withdraw(
    *, dossier: Dossier, actor: Any, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> Dossier:
    """Công dân yêu cầu rút hồ sơ (→ 7): recorded by the counter, or by the online owner."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.WITHDRAW)
    text = _text(reason, label="lý do rút hồ sơ", required=True)
    return _end_processing(d, transition=transition, actor=actor, moment=moment, ended_field="withdrawn_at",
                           payload={"reason": text, "by_owner": is_owner(actor, d)})


def _end_processing(d: Dossier, *, transition: Any, actor: Any, moment: datetime, ended_field: str,
                    payload: dict[str, Any]) -> Dossier:
    """Stop or withdrawal: processing ends here, the clock stops and the dossier leaves its step."""
    before, after = _transition(d, transition.to_status)
    step = d.current_step
    setattr(d, ended_field, moment)
    d.clock_paused_at = None
    d.current_step = None
    _save(d, ["status", ended_field, "clock_paused_at", "current_step"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after, step=step,
            payload=payload)
    return d


@transaction.atomic
def dossier_payment_fulfilled(
    *, dossier: Dossier, actor: Any, paid_online: int = OnlinePayment.NO, reference: str = "",
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Đã thực hiện nghĩa vụ tài chính (6 → 4). ``actor=None`` is the payment gateway callback (system)."""
    moment = _now(at)
    system = actor is None
    d = _lock(dossier, actor=actor, expected_version=expected_version, system=system)
    if system:
        transition = TRANSITIONS[Action.PAYMENT_FULFILLED]
        if d.status not in transition.from_statuses:
            raise Conflict("Hồ sơ không ở trạng thái chờ thực hiện nghĩa vụ tài chính.", code="invalid_transition")
    else:
        transition = ensure_allowed(actor, d, Action.PAYMENT_FULFILLED)
    if paid_online not in OnlinePayment.values:
        raise ValidationFailed("Hình thức thanh toán trực tuyến không hợp lệ.", code="paid_online_invalid")
    ref = _text(reference, label="mã giao dịch", max_length=200)
    before, after = _transition(d, transition.to_status)
    paid = d.fees.filter(stage=DossierFeeStage.OBLIGATION, paid_at__isnull=True).update(paid_at=moment)
    if paid_online:
        d.paid_online = paid_online
    _save(d, ["status", "paid_online"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            step=d.current_step, payload={"paid_online": paid_online, "reference": ref, "fees_paid": paid})
    return d


#: Event kind of a payment that does not change the status (fees at receipt, at result, a part payment).
PAYMENT_RECORDED = "payment_recorded"


@transaction.atomic
def dossier_record_payment(
    *, dossier: Dossier, actor: Any, bill_reference: str, stage: str, amount: int, method: str,
    paid_at: datetime, fee_ids: Sequence[int] = (), paid_online: int | None = None, reference: str = "",
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Ghi nhận đã nộp phí, lệ phí: a payment of one of the dossier's bills (cash at the counter, gateway
    callback, reconciliation). The fee rows it settles (``fee_ids``, this dossier's) are marked paid at
    ``paid_at``, ``DuocThanhToanTrucTuyen`` is set when it came through an online gateway, and a
    ``payment_recorded`` event goes to the audit log and the projectors. The status does not change
    (a dossier waiting for payment, status 6, moves on through :func:`dossier_payment_fulfilled`).
    ``actor=None`` is the system (gateway callback, reconciliation)."""
    moment = _now(at)
    system = actor is None
    if timezone.is_naive(paid_at):
        raise ValidationFailed("Thời điểm thanh toán phải có múi giờ.", code="naive_datetime")
    if paid_online is not None and paid_online not in OnlinePayment.values:
        raise ValidationFailed("Hình thức thanh toán trực tuyến không hợp lệ.", code="paid_online_invalid")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0 or amount > 10**13:
        raise ValidationFailed("Số tiền phải là số nguyên không âm (đồng).", code="amount_invalid")
    bill_ref = _text(bill_reference, label="mã thông báo phí", required=True, max_length=80)
    stage_text = _text(stage, label="giai đoạn thu phí", required=True, max_length=20)
    method_text = _text(method, label="hình thức thu", required=True, max_length=40)
    ref = _text(reference, label="mã giao dịch", max_length=200)
    d = _lock(dossier, actor=actor, expected_version=expected_version, system=system)
    wanted = {int(pk) for pk in fee_ids}
    if wanted:
        owned = set(DossierFee.objects.filter(pk__in=wanted, dossier_id=d.pk).values_list("pk", flat=True))
        if owned != wanted:
            raise ValidationFailed("Khoản phí, lệ phí không thuộc hồ sơ này.", code="fee_foreign")
        DossierFee.objects.filter(pk__in=wanted, paid_at__isnull=True).update(paid_at=paid_at)
    fields: list[str] = []
    if paid_online and d.paid_online != paid_online:
        d.paid_online = paid_online
        fields.append("paid_online")
    _save(d, fields)
    _record(d, kind=PAYMENT_RECORDED, actor=actor, at=moment, from_status=d.status, to_status=None,
            step=d.current_step,
            payload={"bill": bill_ref, "stage": stage_text, "amount": amount, "method": method_text,
                     "paid_online": d.paid_online, "reference": ref})
    return d


@transaction.atomic
def dossier_mark_digitized(
    *, dossier: Dossier, actor: Any, component: DossierComponent, file: StoredFile | None = None,
    upload: UploadInput | None = None, expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Số hóa thành phần hồ sơ: who scanned which paper document, when (766 group 4)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.MARK_DIGITIZED)
    row = DossierComponent.objects.select_for_update().filter(pk=component.pk, dossier_id=d.pk).first()
    if row is None:
        raise NotFound("Không tìm thấy thành phần hồ sơ này trong hồ sơ.", code="component_not_found")
    if row.digitized:
        raise Conflict("Thành phần này đã được số hóa.", code="already_digitized")
    if file is not None and upload is not None:
        raise ValidationFailed("Mỗi thành phần chỉ nhận một tệp.", code="component_two_files")
    if file is None and upload is None and row.file_id is None:
        raise ValidationFailed("Vui lòng đính kèm bản quét của thành phần hồ sơ.", code="file_required")
    stored = _store_upload(upload, file, actor)
    if stored is not None:
        row.file = stored
    row.digitized = True
    row.digitized_by = _actor_or_none(actor)
    row.digitized_at = moment
    row.save(update_fields=["file", "digitized", "digitized_by", "digitized_at"])
    d.has_digitized = True
    _save(d, ["has_digitized"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=d.status, to_status=None,
            payload={"component_id": row.pk, "component": row.name, "file_id": row.file_id})
    return d


# --- Processing ----------------------------------------------------------------------------------


def _check_assignee(assignee: Any, dossier: Dossier, step: ProcessStep) -> None:
    from chinhquyenso.accounts.scope import has_role

    if assignee is None:
        return
    if not getattr(assignee, "is_active", False) or not has_role(assignee, step.role,
                                                                  agency=step_agency(dossier, step)):
        raise ValidationFailed(
            f"Người được giao không có vai trò thực hiện bước “{step.name}” tại cơ quan xử lý.",
            code="assignee_invalid",
        )


def _move_to_step(d: Dossier, target: ProcessStep, *, assignee: Any, at: datetime) -> None:
    d.current_step = target
    d.assignee = assignee
    d.step_started_at = at
    d.step_due_at = _deadline(at, target.duration_amount, target.duration_unit)


@transaction.atomic
def dossier_forward(
    *, dossier: Dossier, actor: Any, to_step: ProcessStep | None = None, assignee: Any = None, note: str = "",
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Chuyển xử lý: to the next step (or a chosen later step), optionally to a named officer.
    The first forward starts processing (2 → 4)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.FORWARD)
    current = d.current_step
    assert current is not None  # ensured by the step check
    text = _text(note, label="ý kiến xử lý")
    later = ProcessStep.objects.filter(process_id=current.process_id, order__gt=current.order).order_by("order")
    if to_step is None:
        target = later.first()
        if target is None:
            raise Conflict("Hồ sơ đang ở bước cuối của quy trình: hãy hoàn thành xử lý.", code="no_next_step")
    else:
        if not later.filter(pk=to_step.pk).exists():
            raise ValidationFailed("Bước chuyển đến phải là một bước sau của cùng quy trình.", code="step_invalid")
        target = to_step
    _check_assignee(assignee, d, target)
    before, after = _transition(d, transition.to_status)
    _move_to_step(d, target, assignee=assignee, at=moment)
    _save(d, ["status", "current_step", "assignee", "step_started_at", "step_due_at"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after, step=current,
            payload={"from_step": current.order, "to_step": target.order, "to_step_name": target.name,
                     "assignee_id": assignee.pk if assignee else None, "note": text})
    return d


@transaction.atomic
def dossier_return_for_rework(
    *, dossier: Dossier, actor: Any, reason: str, to_step: ProcessStep | None = None, assignee: Any = None,
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Trả lại bước trước để xử lý lại (status stays 4)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.RETURN_FOR_REWORK)
    current = d.current_step
    assert current is not None
    text = _text(reason, label="lý do trả lại", required=True)
    earlier = ProcessStep.objects.filter(process_id=current.process_id, order__lt=current.order).order_by("-order")
    if to_step is None:
        target = earlier.first()
        if target is None:
            raise Conflict("Hồ sơ đang ở bước đầu tiên, không có bước trước để trả lại.", code="no_previous_step")
    else:
        if not earlier.filter(pk=to_step.pk).exists():
            raise ValidationFailed("Bước trả về phải là một bước trước của cùng quy trình.", code="step_invalid")
        target = to_step
    _check_assignee(assignee, d, target)
    before, after = _transition(d, transition.to_status)
    _move_to_step(d, target, assignee=assignee, at=moment)
    _save(d, ["status", "current_step", "assignee", "step_started_at", "step_due_at"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after, step=current,
            payload={"from_step": current.order, "to_step": target.order, "reason": text,
                     "assignee_id": assignee.pk if assignee else None})
    return d


@transaction.atomic
def dossier_consult(
    *, dossier: Dossier, actor: Any, agency: Agency, question: str, due_at: datetime | None = None,
    expected_version: int | None = None, at: datetime | None = None,
) -> DossierConsultation:
    """Xin ý kiến cơ quan khác, in parallel: the dossier cannot finish until every answer is in."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.CONSULT)
    text = _text(question, label="nội dung xin ý kiến", required=True)
    if agency.pk == d.agency_id:
        raise ValidationFailed("Không thể xin ý kiến chính cơ quan đang xử lý hồ sơ.", code="consult_self")
    if due_at is not None and due_at <= moment:
        raise ValidationFailed("Hạn trả lời phải sau thời điểm xin ý kiến.", code="due_invalid")
    if d.consultations.filter(agency=agency, answered_at__isnull=True).exists():
        raise Conflict(f"Đang chờ ý kiến của {agency.name} cho hồ sơ này.", code="consultation_open")
    consultation = DossierConsultation.objects.create(
        dossier=d, agency=agency, requested_by=_actor_or_none(actor), requested_at=moment, question=text,
        due_at=due_at,
    )
    _save(d, [])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=d.status, to_status=None,
            step=d.current_step, payload={"consultation_id": consultation.pk, "agency_id": agency.pk,
                                          "agency": agency.name, "question": text, "due_at": _iso(due_at)})
    return consultation


@transaction.atomic
def dossier_consultation_answer(
    *, consultation: DossierConsultation, actor: Any, answer: str, expected_version: int | None = None,
    at: datetime | None = None,
) -> DossierConsultation:
    """Trả lời xin ý kiến (the join of the parallel branch)."""
    from chinhquyenso.accounts.scope import has_role

    moment = _now(at)
    d = _lock(consultation.dossier_id, actor=actor, expected_version=expected_version)
    transition = TRANSITIONS[Action.ANSWER_CONSULTATION]
    row = DossierConsultation.objects.select_for_update().select_related("agency").get(pk=consultation.pk)
    if not has_role(actor, *sorted(transition.roles), agency=row.agency):
        raise PermissionDenied(f"Chỉ cán bộ của {row.agency.name} được trả lời xin ý kiến này.",
                               code="role_required")
    ensure_allowed(actor, d, Action.ANSWER_CONSULTATION)
    if row.answered_at is not None:
        raise Conflict("Xin ý kiến này đã được trả lời.", code="consultation_answered")
    text = _text(answer, label="nội dung trả lời", required=True)
    row.answer = text
    row.answered_by = _actor_or_none(actor)
    row.answered_at = moment
    row.save(update_fields=["answer", "answered_by", "answered_at"])
    _save(d, [])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=d.status, to_status=None,
            payload={"consultation_id": row.pk, "agency_id": row.agency_id, "agency": row.agency.name,
                     "answer": text})
    row.dossier = d
    return row


@transaction.atomic
def dossier_require_payment(
    *, dossier: Dossier, actor: Any, fees: Sequence[FeeInput], reason: str = "", expected_version: int | None = None,
    at: datetime | None = None,
) -> Dossier:
    """Yêu cầu thực hiện nghĩa vụ tài chính (4 → 6): the amounts the citizen must pay before processing goes on."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.REQUIRE_PAYMENT)
    text = _text(reason, label="nội dung")
    if not fees:
        raise ValidationFailed("Vui lòng nêu khoản nghĩa vụ tài chính phải thực hiện.", code="fees_required")
    clean: list[FeeInput] = []
    for fee in fees:
        name = _text(fee.name, label="tên khoản thu", required=True, max_length=300)
        if not isinstance(fee.amount, int) or fee.amount <= 0 or fee.amount > 10**13:
            raise ValidationFailed("Số tiền phải là số nguyên dương (đồng).", code="amount_invalid")
        clean.append(FeeInput(name=name, amount=fee.amount, code=_text(fee.code, label="mã khoản thu",
                                                                         max_length=40)))
    before, after = _transition(d, transition.to_status)
    for fee in clean:
        DossierFee.objects.create(dossier=d, name=fee.name, code=fee.code, amount=fee.amount,
                                  stage=DossierFeeStage.OBLIGATION)
    _save(d, ["status"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after,
            step=d.current_step, payload={"reason": text, "total": sum(f.amount for f in clean),
                                          "fees": [{"name": f.name, "code": f.code, "amount": f.amount}
                                                   for f in clean]})
    return d


@transaction.atomic
def dossier_stop(
    *, dossier: Dossier, actor: Any, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> Dossier:
    """Thông báo dừng giải quyết hồ sơ (Mẫu 05, → 8): processing ends."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.STOP)
    text = _text(reason, label="lý do dừng xử lý", required=True)
    return _end_processing(d, transition=transition, actor=actor, moment=moment, ended_field="stopped_at",
                           payload={"reason": text, "form": "05"})


@transaction.atomic
def dossier_finish(
    *, dossier: Dossier, actor: Any, results: Sequence[ResultInput], note: str = "",
    expected_version: int | None = None, at: datetime | None = None,
) -> Dossier:
    """Hoàn thành xử lý (4 → 9) with the result documents; not while a consultation is open."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.FINISH)
    text = _text(note, label="ý kiến xử lý")
    if d.consultations.filter(answered_at__isnull=True).exists():
        raise Conflict("Còn xin ý kiến chưa được trả lời: chưa thể hoàn thành hồ sơ.", code="consultations_open")
    if not results:
        raise ValidationFailed("Vui lòng nhập ít nhất một giấy tờ kết quả.", code="results_required")
    for item in results:
        if item.procedure_result is not None and item.procedure_result.procedure_id != d.procedure_id:
            raise ValidationFailed("Kết quả không thuộc thủ tục của hồ sơ.", code="result_foreign")
        if item.procedure_result is None and not (item.name or "").strip():
            raise ValidationFailed("Mỗi giấy tờ kết quả phải có tên.", code="result_name_required")
        if item.file is not None and item.upload is not None:
            raise ValidationFailed("Mỗi giấy tờ kết quả chỉ nhận một tệp.", code="result_two_files")
    before, after = _transition(d, transition.to_status)
    step = d.current_step
    rows = []
    for item in results:
        stored = _store_upload(item.upload, item.file, actor)
        pr = item.procedure_result
        rows.append(DossierResult.objects.create(
            dossier=d, procedure_result=pr,
            name=_text(item.name or (pr.name if pr else ""), label="tên kết quả", max_length=300),
            code=_text(item.code, label="mã giấy tờ kết quả", max_length=100), file=stored, issued_at=moment,
            signed=item.signed,
        ))
    d.finished_at = moment
    d.current_step = None
    _save(d, ["status", "finished_at", "current_step"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=before, to_status=after, step=step,
            payload={"results": [{"id": r.pk, "name": r.name, "code": r.code, "file_id": r.file_id} for r in rows],
                     "note": text})
    return d


@transaction.atomic
def dossier_apologize_extend(
    *, dossier: Dossier, actor: Any, new_due_at: datetime, reason: str, expected_version: int | None = None,
    at: datetime | None = None,
) -> Dossier:
    """Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (Mẫu 04): a later appointment, status unchanged.
    On-time judgement still uses ``original_due_at`` (an apology does not make a late dossier on time)."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=expected_version)
    transition = ensure_allowed(actor, d, Action.APOLOGIZE_EXTEND)
    text = _text(reason, label="lý do gia hạn", required=True)
    if timezone.is_naive(new_due_at):
        raise ValidationFailed("Ngày hẹn trả mới phải có múi giờ.", code="naive_datetime")
    if d.due_at is None:
        raise Conflict("Hồ sơ không có ngày hẹn trả để gia hạn.", code="no_due_date")
    if new_due_at <= d.due_at:
        raise ValidationFailed("Ngày hẹn trả mới phải sau ngày hẹn trả hiện tại.", code="due_not_later")
    previous = d.due_at
    d.due_at = new_due_at
    d.extension_count += 1
    _save(d, ["due_at", "extension_count"])
    _record(d, kind=transition.event_kind, actor=actor, at=moment, from_status=d.status, to_status=None,
            step=d.current_step, payload={"reason": text, "due_before": _iso(previous), "due_after": _iso(new_due_at),
                                          "extension_number": d.extension_count, "form": "04"})
    return d


@transaction.atomic
def dossier_link_citizen(*, dossier: Dossier, citizen: Any, actor: Any, reason: str,
                         at: datetime | None = None) -> Dossier:
    """Give a counter dossier its owner's citizen account (the person was identified at the counter,
    e.g. when they consented to reuse documents from their store): the dossier then appears in
    "Hồ sơ của tôi" and its results go to their document store. A dossier already owned by another
    account is refused; linking the same account again changes nothing."""
    moment = _now(at)
    d = _lock(dossier, actor=actor, expected_version=None)
    if not getattr(citizen, "is_citizen", False) or not getattr(citizen, "is_active", False):
        raise ValidationFailed("Chỉ gắn được hồ sơ với tài khoản công dân đang hoạt động.", code="not_a_citizen")
    if d.citizen_id == citizen.pk:
        return d
    if d.citizen_id is not None:
        raise Conflict("Hồ sơ đã thuộc một tài khoản công dân khác.", code="dossier_owned")
    d.citizen = citizen
    _save(d, ["citizen"])
    _record(d, kind="citizen_linked", actor=actor, at=moment, from_status=d.status, to_status=None,
            payload={"reason": _text(reason, label="lý do", required=True)})
    return d


@dataclass(frozen=True)
class DossierSynced:
    """``dossier_synced`` stream: the national portal acknowledged ``dossier_id`` for the first time."""

    dossier_id: int
    at: datetime


@transaction.atomic
def dossier_mark_synced(*, dossier_ids: Sequence[int], at: datetime) -> list[int]:
    """Record the national portal's first acknowledgement of these dossiers (766 indicator 1.4).

    Not a dossier event: it changes nothing the citizen or the portal sees, writes no outbox message
    (which would loop) and does not bump ``version`` (an officer's open form stays valid). Dossiers
    already marked keep their first time. Returns the ids marked now."""
    ids = sorted(set(dossier_ids))
    newly = list(Dossier.objects.filter(pk__in=ids, national_synced_at__isnull=True).values_list("pk", flat=True))
    if newly:
        Dossier.objects.filter(pk__in=newly, national_synced_at__isnull=True).update(national_synced_at=at)
        for pk in newly:
            dispatch("dossier_synced", DossierSynced(dossier_id=pk, at=at))
    return newly

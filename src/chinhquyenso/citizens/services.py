"""Every write of the citizen side. Keyword-only, validated before anything is written, atomic, audited.

* accounts: :func:`citizen_register`, :func:`citizen_totp_disable`, the e-ID link
  (:func:`identity_sign_in`, :func:`identity_link`, :func:`identity_unlink`);
* online submission: :func:`draft_save`, :func:`draft_delete`, :func:`draft_submit`,
  :func:`citizen_submit` (calls ``dossiers.services.dossier_submit_online``);
* the document store: :func:`document_upload`, :func:`document_delete`,
  :func:`document_store_sync` (run by the projector on dossier events),
  :func:`document_reuse_consent_record`, :func:`document_reuse_consents_record` and
  :func:`document_reuse_consents_attach` (reuse at the counter, see ``counter.py``);
* satisfaction: :func:`dossier_rate`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chinhquyenso.accounts.models import Role, User
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.audit.services import audit_record
from chinhquyenso.citizens.models import (
    COUNTER_CONSENT_HOURS,
    CitizenDocument,
    CitizenIdentity,
    ComponentSource,
    ConsentMethod,
    DocumentOrigin,
    DocumentReuseConsent,
    DossierRating,
    DraftComponent,
    SubmissionDraft,
)
from chinhquyenso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.core.text import nfc
from chinhquyenso.dossiers.models import Dossier, Status
from chinhquyenso.dossiers.services import dossier_link_citizen
from chinhquyenso.files.models import StoredFile
from chinhquyenso.indicators.rollups import rollup_refresh
from chinhquyenso.procedures.models import CopyType, Procedure, ProcedureComponent, ServiceLevel
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays.calendar import add_months

_PHONE = re.compile(r"^\+?[0-9]{9,15}$")
MAX_COMMENT = 2000
#: Statuses after which the owner may rate the service (9 Đã xử lý xong, 10 Đã trả kết quả).
RATABLE_STATUSES = frozenset({Status.FINISHED, Status.RETURNED})


def _ensure_citizen(user: Any) -> User:
    if not isinstance(user, User) or not user.is_active or not user.is_citizen:
        raise PermissionDenied("Chức năng này dành cho tài khoản công dân.", code="citizen_only")
    return user


def _clean(value: str | None, *, label: str, max_length: int, required: bool = False) -> str:
    text = nfc((value or "").strip())
    if required and not text:
        raise ValidationFailed(f"Vui lòng nhập {label}.", code="required", details={"field": label})
    if len(text) > max_length:
        raise ValidationFailed(f"{label.capitalize()} quá dài (tối đa {max_length} ký tự).", code="too_long",
                               details={"field": label})
    return text


# --- Accounts ------------------------------------------------------------------------------------


def split_identifier(identifier: str) -> tuple[str, str, str]:
    """``(username, email, phone)`` from what the citizen typed: an e-mail address or a phone number.
    The user name is the identifier itself (e-mail lower-cased, phone without spaces or dots)."""
    raw = (identifier or "").strip()
    if not raw:
        raise ValidationFailed("Vui lòng nhập thư điện tử hoặc số điện thoại.", code="identifier_required",
                               details={"identifier": ["Vui lòng nhập thư điện tử hoặc số điện thoại."]})
    if "@" in raw:
        email = raw.lower()
        return email, email, ""
    phone = re.sub(r"[\s.\-()]", "", raw)
    if not _PHONE.match(phone):
        message = "Số điện thoại không hợp lệ (9–15 chữ số) hoặc thư điện tử thiếu ký tự @."
        raise ValidationFailed(message, code="identifier_invalid", details={"identifier": [message]})
    return phone, "", phone


def citizen_register(*, full_name: str, identifier: str, password: str) -> User:
    """Đăng ký tài khoản công dân with an e-mail address or a phone number as the user name.

    ``accounts.services.user_create_citizen`` validates (password rules, e-mail format), writes and
    audits; this adds the identifier rules and refuses an address or number already in use."""
    from chinhquyenso.accounts.services import user_create_citizen

    username, email, phone = split_identifier(identifier)
    taken = User.objects.filter(username__iexact=username)
    if email:
        taken = taken | User.objects.filter(email__iexact=email, is_citizen=True)
    if phone:
        taken = taken | User.objects.filter(phone=phone, is_citizen=True)
    if taken.exists():
        raise Conflict("Thư điện tử hoặc số điện thoại này đã được dùng để đăng ký tài khoản.",
                       code="identifier_taken", details={"identifier": ["taken"]})
    return user_create_citizen(username=username, full_name=full_name, password=password, email=email, phone=phone)


def citizen_totp_disable(*, user: User, token: str) -> int:
    """Tắt xác thực hai lớp: only with a current code from the app (a stolen session alone cannot).

    The code check is outside the transaction so a wrong code still counts towards django-otp's
    throttling; the removal itself is atomic and audited."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from chinhquyenso.accounts.services import totp_token_verify

    _ensure_citizen(user)
    totp_token_verify(user=user, token=token)  # ValidationFailed on a wrong code
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(action="citizen.totp_disabled", actor=user, obj=user, summary={"devices": count})
    return count


# --- Linked e-ID (OpenID Connect) ----------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedIdentity:
    """What an identity provider vouched for, after the id_token was verified (see ``oidc.py``)."""

    issuer: str
    subject: str
    national_eid: bool
    name: str = ""
    email: str = ""
    phone: str = ""


def _identity_username(identity: VerifiedIdentity) -> str:
    digest = hashlib.sha256(f"{identity.issuer}\n{identity.subject}".encode()).hexdigest()[:20]
    return f"eid_{digest}"


def _clean_claim_phone(phone: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", phone or "")
    return compact if _PHONE.match(compact) else ""


@transaction.atomic
def identity_sign_in(*, identity: VerifiedIdentity, at: datetime | None = None) -> tuple[User, bool]:
    """Log in through the identity provider: the account linked to (issuer, sub), or a new citizen
    account made from the claims when none is linked yet. Returns ``(user, created)``.

    Never links by e-mail or phone: whoever controls an e-mail address at the provider must not
    take over an existing account. A citizen who already has an account links it from the
    account page (:func:`identity_link`)."""
    from chinhquyenso.accounts.services import user_create_citizen

    moment = at or timezone.now()
    if not identity.issuer or not identity.subject:
        raise ValidationFailed("Nhà cung cấp định danh không trả về mã định danh.", code="oidc_no_subject")
    row = (CitizenIdentity.objects.select_for_update(of=("self",)).select_related("user")
           .filter(issuer=identity.issuer, subject=identity.subject).first())
    if row is not None:
        user = row.user
        if not user.is_active or not user.is_citizen:
            raise PermissionDenied("Tài khoản liên kết với định danh này đã bị khóa.", code="account_inactive")
        row.last_login_at = moment
        row.display_name = identity.name[:200] or row.display_name
        row.save(update_fields=["last_login_at", "display_name"])
        audit_record(action="citizen.eid_login", actor=user, obj=row,
                     summary={"issuer": identity.issuer, "national_eid": row.national_eid})
        return user, False
    email = identity.email.strip().lower()
    if email and User.objects.filter(email__iexact=email).exists():
        email = ""  # keep the new account apart from an existing one with the same address
    user = user_create_citizen(
        username=_identity_username(identity),
        full_name=identity.name.strip() or "Công dân",
        # Nobody knows this password: the account signs in through the provider. It satisfies the
        # validators, so no write path around accounts.services is needed.
        password=secrets.token_urlsafe(32),
        email=email,
        phone=_clean_claim_phone(identity.phone),
    )
    row = CitizenIdentity.objects.create(
        user=user, issuer=identity.issuer, subject=identity.subject, national_eid=identity.national_eid,
        display_name=identity.name[:200], linked_at=moment, last_login_at=moment, created_account=True,
    )
    audit_record(action="citizen.eid_register", actor=user, obj=row,
                 summary={"issuer": identity.issuer, "national_eid": identity.national_eid})
    return user, True


@transaction.atomic
def identity_link(*, user: User, identity: VerifiedIdentity, at: datetime | None = None) -> CitizenIdentity:
    """Liên kết tài khoản định danh điện tử with the signed-in citizen's account."""
    _ensure_citizen(user)
    existing = CitizenIdentity.objects.filter(issuer=identity.issuer, subject=identity.subject).first()
    if existing is not None:
        if existing.user_id == user.pk:
            return existing
        raise Conflict("Tài khoản định danh này đã được liên kết với một tài khoản công dân khác.",
                       code="identity_linked_elsewhere")
    if CitizenIdentity.objects.filter(user=user, issuer=identity.issuer).exists():
        raise Conflict("Tài khoản của bạn đã liên kết với một định danh khác của nhà cung cấp này.",
                       code="identity_already_linked")
    moment = at or timezone.now()
    try:
        with transaction.atomic():
            row = CitizenIdentity.objects.create(
                user=user, issuer=identity.issuer, subject=identity.subject, national_eid=identity.national_eid,
                display_name=identity.name[:200], linked_at=moment, last_login_at=moment,
            )
    except IntegrityError as exc:
        raise Conflict("Tài khoản định danh này vừa được liên kết ở nơi khác.", code="identity_linked_elsewhere") \
            from exc
    audit_record(action="citizen.eid_link", actor=user, obj=row,
                 summary={"issuer": identity.issuer, "national_eid": identity.national_eid})
    return row


@transaction.atomic
def identity_unlink(*, user: User, identity: CitizenIdentity) -> None:
    """Hủy liên kết. Refused for the identity an account was created from: it is the only way in."""
    _ensure_citizen(user)
    row = CitizenIdentity.objects.select_for_update().filter(pk=identity.pk, user=user).first()
    if row is None:
        raise NotFound("Không tìm thấy liên kết định danh.", code="identity_not_found")
    if row.created_account:
        raise Conflict("Tài khoản được tạo bằng định danh điện tử này, không thể hủy liên kết.",
                       code="identity_is_login")
    summary = {"issuer": row.issuer, "national_eid": row.national_eid}
    object_id = str(row.pk)
    row.delete()
    audit_record(action="citizen.eid_unlink", actor=user, object_type="citizens.citizenidentity",
                 object_id=object_id, summary=summary)


# --- Online submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentChoice:
    """The citizen's answer for one component: an uploaded file (already stored through
    ``files.services``), a document of their store, or paper at the counter (never for
    full-online procedures)."""

    procedure_component: ProcedureComponent
    source: str
    file: StoredFile | None = None
    filename: str = ""
    document: CitizenDocument | None = None


@dataclass(frozen=True)
class ApplicantData:
    """Chủ hồ sơ as typed in the form (prefilled from the account)."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def _ensure_online(procedure: Procedure) -> None:
    from chinhquyenso.procedures.models import ProcedureStatus

    if procedure.status != ProcedureStatus.PUBLIC or procedure.service_level == ServiceLevel.DIRECT_ONLY:
        raise ValidationFailed("Thủ tục này chưa cung cấp dịch vụ công trực tuyến; vui lòng nộp hồ sơ trực tiếp.",
                               code="procedure_not_online")


def _check_choice(citizen: User, procedure: Procedure, choice: ComponentChoice, today: date) -> None:
    pc = choice.procedure_component
    if pc.procedure_id != procedure.pk:
        raise ValidationFailed(f"Thành phần “{pc.name}” không thuộc thủ tục này.", code="component_foreign")
    if choice.source not in ComponentSource.values:
        raise ValidationFailed("Cách nộp thành phần hồ sơ không hợp lệ.", code="component_source_invalid")
    if choice.source == ComponentSource.UPLOAD and choice.file is None:
        raise ValidationFailed(f"Vui lòng tải lên tệp cho “{pc.name}”.", code="file_required",
                               details={"component": pc.code})
    if choice.source == ComponentSource.PAPER and procedure.service_level == ServiceLevel.FULL_ONLINE:
        raise ValidationFailed("Thủ tục trực tuyến toàn trình không nhận bản giấy: vui lòng tải tệp lên "
                               "hoặc chọn giấy tờ trong kho.", code="paper_not_allowed",
                               details={"component": pc.code})
    if choice.source == ComponentSource.STORE:
        doc = choice.document
        if doc is None or doc.owner_id != citizen.pk:
            raise NotFound("Không tìm thấy giấy tờ trong kho của bạn.", code="document_not_found")
        if not pc.document_type or doc.document_type != pc.document_type:
            raise ValidationFailed(f"Giấy tờ “{doc.name}” không đúng loại yêu cầu cho “{pc.name}”.",
                                   code="document_type_mismatch", details={"component": pc.code})
        if not doc.is_valid_on(today):
            raise ValidationFailed(f"Giấy tờ “{doc.name}” đã hết hiệu lực.", code="document_expired",
                                   details={"component": pc.code})


def _check_choices(citizen: User, procedure: Procedure, choices: Sequence[ComponentChoice]) -> None:
    today = timezone.localdate()
    seen: set[int] = set()
    for choice in choices:
        if choice.procedure_component.pk in seen:
            raise ValidationFailed("Mỗi thành phần hồ sơ chỉ được chọn một lần.", code="component_twice")
        seen.add(choice.procedure_component.pk)
        _check_choice(citizen, procedure, choice, today)


def _applicant_fields(applicant: ApplicantData) -> dict[str, str]:
    return {
        "applicant_name": _clean(applicant.name, label="họ tên chủ hồ sơ", max_length=255),
        "applicant_id_number": re.sub(r"[\s.]", "", applicant.id_number or "")[:20],
        "applicant_phone": _clean(applicant.phone, label="số điện thoại", max_length=20),
        "applicant_email": _clean(applicant.email, label="thư điện tử", max_length=254),
        "applicant_address": _clean(applicant.address, label="địa chỉ", max_length=500),
    }


@transaction.atomic
def draft_save(
    *,
    citizen: User,
    procedure: Procedure,
    draft: SubmissionDraft | None = None,
    agency: Agency | None = None,
    applicant: ApplicantData,
    summary: str = "",
    choices: Sequence[ComponentChoice] = (),
) -> SubmissionDraft:
    """Lưu hồ sơ nháp. ``choices`` replace the answers for those components; components not
    mentioned keep what was saved before (a form re-posted without re-uploading keeps its file)."""
    _ensure_citizen(citizen)
    _ensure_online(procedure)
    fields = _applicant_fields(applicant)
    text = _clean(summary, label="trích yếu", max_length=4000)
    _check_choices(citizen, procedure, choices)
    if draft is None:
        draft = SubmissionDraft(owner=citizen, procedure=procedure)
        created = True
    else:
        draft = SubmissionDraft.objects.select_for_update().filter(pk=draft.pk, owner=citizen).first()
        if draft is None:
            raise NotFound("Không tìm thấy hồ sơ nháp.", code="draft_not_found")
        if draft.is_submitted:
            raise Conflict("Hồ sơ nháp này đã được nộp.", code="draft_submitted")
        if draft.procedure_id != procedure.pk:
            raise ValidationFailed("Hồ sơ nháp thuộc thủ tục khác.", code="draft_procedure_mismatch")
        created = False
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.summary = text
    draft.agency = agency
    draft.save()
    for choice in choices:
        DraftComponent.objects.update_or_create(
            draft=draft, procedure_component=choice.procedure_component,
            defaults={
                "source": choice.source,
                "file": choice.file if choice.source == ComponentSource.UPLOAD else None,
                "filename": (choice.filename or "")[:255] if choice.source == ComponentSource.UPLOAD else "",
                "document": choice.document if choice.source == ComponentSource.STORE else None,
            },
        )
    audit_record(action="citizen.draft_save", actor=citizen, obj=draft,
                 summary={"procedure": procedure.code, "created": created, "components": len(choices)})
    return draft


@transaction.atomic
def draft_delete(*, citizen: User, draft: SubmissionDraft) -> None:
    """Xóa hồ sơ nháp (its uploaded files become orphans for ``files_gc_orphans``)."""
    _ensure_citizen(citizen)
    row = SubmissionDraft.objects.select_for_update().filter(pk=draft.pk, owner=citizen).first()
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ nháp.", code="draft_not_found")
    if row.is_submitted:
        raise Conflict("Hồ sơ nháp này đã được nộp, không thể xóa.", code="draft_submitted")
    object_id = str(row.pk)
    row.delete()
    audit_record(action="citizen.draft_delete", actor=citizen, object_type="citizens.submissiondraft",
                 object_id=object_id, summary={})


def draft_choices(draft: SubmissionDraft) -> list[ComponentChoice]:
    """The saved answers of a draft, as inputs for :func:`citizen_submit`."""
    return [
        ComponentChoice(procedure_component=row.procedure_component, source=row.source, file=row.file,
                        filename=row.filename, document=row.document)
        for row in draft.components.select_related("procedure_component", "file", "document")
    ]


@transaction.atomic
def citizen_submit(
    *,
    citizen: User,
    procedure: Procedure,
    agency: Agency | None,
    applicant: ApplicantData,
    summary: str = "",
    choices: Sequence[ComponentChoice],
    at: datetime | None = None,
) -> Dossier:
    """Nộp hồ sơ trực tuyến: every required component answered (full-online: electronically), each
    store document the citizen's own, of the right type and still valid; then
    ``dossier_submit_online`` creates the dossier (status 1) with ``vneid_verified`` from the account.
    Reused components are flagged ``reused`` (so is the dossier: ``has_reused``, 766 indicator 4.3)."""
    from chinhquyenso.citizens.selectors import citizen_vneid_verified
    from chinhquyenso.dossiers.services import ApplicantInput, ComponentInput, dossier_submit_online

    _ensure_citizen(citizen)
    _ensure_online(procedure)
    if agency is None:
        raise ValidationFailed("Vui lòng chọn cơ quan tiếp nhận hồ sơ.", code="agency_required",
                               details={"field": "agency"})
    _check_choices(citizen, procedure, choices)
    answered = {c.procedure_component.pk for c in choices}
    missing = [pc.name for pc in procedure.components.filter(required=True).order_by("order", "id")
               if pc.pk not in answered]
    if missing:
        raise ValidationFailed("Hồ sơ chưa đủ thành phần bắt buộc: " + "; ".join(missing) + ".",
                               code="components_missing", details={"missing": missing})
    fields = _applicant_fields(applicant)
    components = []
    for choice in sorted(choices, key=lambda c: (c.procedure_component.order, c.procedure_component.pk)):
        pc = choice.procedure_component
        if choice.source == ComponentSource.PAPER:
            components.append(ComponentInput(procedure_component=pc, copy_type=pc.copy_type, count=pc.count))
        elif choice.source == ComponentSource.STORE:
            assert choice.document is not None
            components.append(ComponentInput(procedure_component=pc, copy_type=CopyType.ELECTRONIC,
                                             file=choice.document.file, reused=True))
        else:
            components.append(ComponentInput(procedure_component=pc, copy_type=CopyType.ELECTRONIC,
                                             file=choice.file))
    dossier = dossier_submit_online(
        actor=citizen, procedure=procedure, agency=agency,
        applicant=ApplicantInput(name=fields["applicant_name"], id_number=fields["applicant_id_number"],
                                 phone=fields["applicant_phone"], email=fields["applicant_email"],
                                 address=fields["applicant_address"]),
        components=components, summary=summary, vneid_verified=citizen_vneid_verified(citizen), at=at,
    )
    reused = [c.document.pk for c in choices if c.source == ComponentSource.STORE and c.document is not None]
    audit_record(action="citizen.submit", actor=citizen, obj=dossier,
                 summary={"code": dossier.code, "reused_documents": reused,
                          "vneid_verified": dossier.vneid_verified})
    return dossier


@transaction.atomic
def draft_submit(*, citizen: User, draft: SubmissionDraft, at: datetime | None = None) -> Dossier:
    """Nộp hồ sơ from a saved draft, once: a second click gets the same dossier back."""
    _ensure_citizen(citizen)
    row = (SubmissionDraft.objects.select_for_update(of=("self",))
           .select_related("procedure", "agency", "submitted_dossier").filter(pk=draft.pk, owner=citizen).first())
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ nháp.", code="draft_not_found")
    if row.submitted_dossier is not None:
        return row.submitted_dossier
    dossier = citizen_submit(
        citizen=citizen, procedure=row.procedure, agency=row.agency,
        applicant=ApplicantData(name=row.applicant_name, id_number=row.applicant_id_number,
                                phone=row.applicant_phone, email=row.applicant_email,
                                address=row.applicant_address),
        summary=row.summary, choices=draft_choices(row), at=at,
    )
    row.submitted_dossier = dossier
    row.submitted_at = dossier.submitted_at
    row.save(update_fields=["submitted_dossier", "submitted_at", "updated_at"])
    return dossier


# --- Document store ------------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *, citizen: User, name: str, document_type: str, file: StoredFile, issued_at: datetime | None = None,
    valid_until: date | None = None,
) -> CitizenDocument:
    """Thêm giấy tờ vào kho: a document the citizen holds (the file is stored by ``files.services``)."""
    from chinhquyenso.citizens.selectors import known_document_types

    _ensure_citizen(citizen)
    title = _clean(name, label="tên giấy tờ", max_length=500, required=True)
    kind = (document_type or "").strip()
    if kind and kind not in dict(known_document_types()):
        raise ValidationFailed("Loại giấy tờ không hợp lệ.", code="document_type_invalid",
                               details={"document_type": [kind]})
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationFailed("Giấy tờ đã hết hiệu lực, không thể thêm vào kho.", code="document_expired")
    doc = CitizenDocument.objects.create(
        owner=citizen, document_type=kind, name=title, file=file, origin=DocumentOrigin.UPLOAD,
        issued_at=issued_at, valid_until=valid_until,
    )
    audit_record(action="citizen_document.upload", actor=citizen, obj=doc,
                 summary={"document_type": kind, "file_id": file.pk})
    return doc


@transaction.atomic
def document_delete(*, citizen: User, document: CitizenDocument) -> None:
    """Xóa giấy tờ tự tải lên. Results and digitized components stay: they are the record of what
    the administration issued or scanned for the citizen."""
    _ensure_citizen(citizen)
    row = CitizenDocument.objects.select_for_update().filter(pk=document.pk, owner=citizen).first()
    if row is None:
        raise NotFound("Không tìm thấy giấy tờ trong kho của bạn.", code="document_not_found")
    if row.origin != DocumentOrigin.UPLOAD:
        raise Conflict("Chỉ xóa được giấy tờ do bạn tự tải lên.", code="document_not_deletable")
    object_id = str(row.pk)
    row.delete()
    audit_record(action="citizen_document.delete", actor=citizen, object_type="citizens.citizendocument",
                 object_id=object_id, summary={})


def _valid_until(issued: datetime, months: int | None) -> date | None:
    """``có giá trị N tháng`` from the issue day: up to the day before the same day N months later."""
    if not months:
        return None
    return add_months(timezone.localtime(issued).date(), months) - timedelta(days=1)


def document_store_sync(*, dossier: Dossier, at: datetime | None = None) -> list[CitizenDocument]:
    """Put the dossier's issued results and digitized components into its owner's store.

    Idempotent (one row per result / component, also enforced by unique constraints), so the
    projector may call it on every event. Runs in the caller's transaction (the dossier service's):
    if it fails, the dossier change rolls back too."""
    if dossier.citizen_id is None:
        return []
    owner_id = dossier.citizen_id
    moment = at or timezone.now()
    added: list[CitizenDocument] = []
    if dossier.status in RATABLE_STATUSES:
        have = set(CitizenDocument.objects.filter(owner_id=owner_id, source_dossier_id=dossier.pk,
                                                  source_result__isnull=False).values_list("source_result_id",
                                                                                           flat=True))
        for result in dossier.results.filter(file__isnull=False).select_related("procedure_result"):
            if result.pk in have or result.file_id is None:
                continue
            pr = result.procedure_result
            issued = result.issued_at or moment
            added.append(CitizenDocument.objects.create(
                owner_id=owner_id, document_type=pr.document_type if pr else "", name=result.name,
                file_id=result.file_id, origin=DocumentOrigin.RESULT, source_dossier=dossier, source_result=result,
                issued_at=issued, valid_until=_valid_until(issued, pr.validity_months if pr else None),
            ))
    have = set(CitizenDocument.objects.filter(owner_id=owner_id, source_dossier_id=dossier.pk,
                                              source_component__isnull=False).values_list("source_component_id",
                                                                                          flat=True))
    owned_files = set(CitizenDocument.objects.filter(owner_id=owner_id).values_list("file_id", flat=True))
    for component in dossier.components.filter(digitized=True, file__isnull=False).select_related(
            "procedure_component"):
        if component.pk in have or component.file_id is None or component.file_id in owned_files:
            continue  # already kept, or the scan of a document the store already holds
        pc = component.procedure_component
        added.append(CitizenDocument.objects.create(
            owner_id=owner_id, document_type=pc.document_type if pc else "", name=component.name,
            file_id=component.file_id, origin=DocumentOrigin.DIGITIZED_COMPONENT, source_dossier=dossier,
            source_component=component, issued_at=component.digitized_at or moment,
        ))
        owned_files.add(component.file_id)
    for doc in added:
        audit_record(action="citizen_document.add", actor=None, obj=doc,
                     summary={"origin": doc.origin, "dossier": dossier.code, "document_type": doc.document_type})
    return added


@transaction.atomic
def document_reuse_consent_record(
    *,
    officer: Any,
    agency: Agency,
    citizen: User,
    document: CitizenDocument,
    procedure_component: ProcedureComponent | None = None,
    dossier: Dossier | None = None,
    method: str = ConsentMethod.SIGNED,
    purpose: str = "",
    at: datetime | None = None,
) -> DocumentReuseConsent:
    """Ghi nhận công dân đồng ý tái sử dụng giấy tờ trong kho tại quầy Một cửa.

    The one-stop officer of the receiving ``agency`` records it *before* attaching
    ``document.file`` to the dossier as a component with ``reused=True``. The document must be
    the citizen's, valid today and, when ``procedure_component`` is given, of its type."""
    from chinhquyenso.dossiers.workflow import can_see

    if not has_role(officer, Role.ONE_STOP_OFFICER, agency=agency):
        raise PermissionDenied("Bạn không có vai trò cán bộ Một cửa tại nơi tiếp nhận này.", code="role_required")
    if not citizen.is_citizen or not citizen.is_active:
        raise ValidationFailed("Tài khoản được chọn không phải tài khoản công dân.", code="not_citizen")
    if document.owner_id != citizen.pk:
        raise NotFound("Không tìm thấy giấy tờ trong kho của công dân.", code="document_not_found")
    if not document.is_valid_on(timezone.localdate()):
        raise ValidationFailed(f"Giấy tờ “{document.name}” đã hết hiệu lực.", code="document_expired")
    if procedure_component is not None and (
        not procedure_component.document_type or procedure_component.document_type != document.document_type
    ):
        raise ValidationFailed(f"Giấy tờ “{document.name}” không đúng loại yêu cầu cho “{procedure_component.name}”.",
                               code="document_type_mismatch")
    if dossier is not None and not can_see(officer, dossier):
        raise PermissionDenied("Bạn không có quyền truy cập hồ sơ này.", code="out_of_scope")
    if method not in ConsentMethod.values:
        raise ValidationFailed("Hình thức đồng ý không hợp lệ.", code="consent_method_invalid")
    default_purpose = (f"Tái sử dụng cho thành phần “{procedure_component.name}”" if procedure_component
                       else "Tái sử dụng giấy tờ cho hồ sơ thủ tục hành chính")
    text = _clean(purpose, label="mục đích", max_length=500) or default_purpose[:500]
    consent = DocumentReuseConsent.objects.create(
        citizen=citizen, document=document, procedure_component=procedure_component, dossier=dossier,
        agency=agency, officer=officer, method=method, purpose=text, consented_at=at or timezone.now(),
    )
    audit_record(action="citizen_document.reuse_consent", actor=officer, obj=consent,
                 summary={"document": document.pk, "citizen": citizen.pk, "method": method,
                          "dossier": dossier.code if dossier else None})
    return consent


#: How the person at the counter may consent (ONLINE is for a citizen acting on their own account).
COUNTER_CONSENT_METHODS = (ConsentMethod.SIGNED, ConsentMethod.VERBAL)


@dataclass(frozen=True)
class ReuseSelection:
    """One component of the dossier being received and the store document chosen for it."""

    procedure_component: ProcedureComponent
    document: CitizenDocument


@transaction.atomic
def document_reuse_consents_record(
    *,
    officer: Any,
    agency: Agency,
    citizen: User,
    selections: Sequence[ReuseSelection],
    method: str = ConsentMethod.SIGNED,
    purpose: str = "",
    at: datetime | None = None,
) -> list[DocumentReuseConsent]:
    """The counter page's write: the citizen consents to several documents at once, for the
    components of one procedure. All or nothing (each row through
    :func:`document_reuse_consent_record`, which checks role, ownership, validity and type)."""
    if method not in COUNTER_CONSENT_METHODS:
        raise ValidationFailed("Hình thức đồng ý tại quầy không hợp lệ.", code="consent_method_invalid")
    if not selections:
        raise ValidationFailed("Vui lòng chọn ít nhất một giấy tờ để tái sử dụng.", code="reuse_nothing_selected")
    procedures = {s.procedure_component.procedure_id for s in selections}
    components = [s.procedure_component.pk for s in selections]
    if len(procedures) != 1 or len(set(components)) != len(components):
        raise ValidationFailed("Mỗi thành phần của một thủ tục chỉ dùng một giấy tờ.", code="reuse_selection_invalid")
    moment = at or timezone.now()
    return [
        document_reuse_consent_record(officer=officer, agency=agency, citizen=citizen, document=s.document,
                                      procedure_component=s.procedure_component, method=method, purpose=purpose,
                                      at=moment)
        for s in selections
    ]


@transaction.atomic
def document_reuse_consents_attach(
    *, officer: Any, consent_ids: Sequence[int], dossier: Dossier, at: datetime | None = None
) -> list[DocumentReuseConsent]:
    """Link counter consents to the dossier they were used for (run inside the receipt's
    transaction, through ``core.counter_documents.attach``).

    Only consents this officer recorded in the last :data:`COUNTER_CONSENT_HOURS` hours and not used
    yet; the rows are locked, so a consent serves one dossier only. The dossier must hold, for each
    consent's component, a reused component with the document's file."""
    moment = at or timezone.now()
    ids = sorted({int(pk) for pk in consent_ids})
    rows = list(
        DocumentReuseConsent.objects.select_for_update()
        .filter(pk__in=ids, officer_id=getattr(officer, "pk", None), dossier__isnull=True,
                consented_at__gte=moment - timedelta(hours=COUNTER_CONSENT_HOURS))
        .select_related("document").order_by("pk")
    )
    if not ids or len(rows) != len(ids):
        raise Conflict("Giấy tờ tái sử dụng không còn hiệu lực đồng ý hoặc đã được dùng cho hồ sơ khác; "
                       "vui lòng ghi nhận lại sự đồng ý của công dân.", code="reuse_consent_used")
    reused = {c.procedure_component_id: c.file_id for c in dossier.components.filter(reused=True)}
    for row in rows:
        if row.procedure_component_id is None or reused.get(row.procedure_component_id) != row.document.file_id:
            raise ValidationFailed(f"Thành phần dùng giấy tờ “{row.document.name}” không khớp với hồ sơ.",
                                   code="reuse_component_mismatch")
    DocumentReuseConsent.objects.filter(pk__in=ids).update(dossier=dossier)
    for row in rows:
        row.dossier = dossier
        audit_record(action="citizen_document.reused", actor=officer, obj=row,
                     summary={"dossier": dossier.code, "document": row.document_id, "citizen": row.citizen_id,
                              "procedure_component": row.procedure_component_id})
    owners = {row.citizen_id for row in rows}
    if len(owners) == 1:  # the person at the counter is this account holder: the dossier is theirs too
        owner = User.objects.get(pk=owners.pop())
        dossier_link_citizen(dossier=dossier, citizen=owner, actor=officer, at=moment,
                             reason="Công dân đồng ý tái sử dụng giấy tờ trong kho dữ liệu tại quầy")
    return rows


# --- Satisfaction --------------------------------------------------------------------------------


@transaction.atomic
def dossier_rate(
    *, citizen: User, dossier: Dossier, satisfied: bool, comment: str = "", at: datetime | None = None
) -> DossierRating:
    """Đánh giá mức độ hài lòng: the owner, once, after the result (status 9 or 10)."""
    _ensure_citizen(citizen)
    row = Dossier.objects.select_for_update().filter(pk=dossier.pk, citizen=citizen).first()
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    if row.status not in RATABLE_STATUSES:
        raise Conflict("Chỉ đánh giá được sau khi hồ sơ đã có kết quả.", code="not_ratable")
    if not isinstance(satisfied, bool):
        raise ValidationFailed("Vui lòng chọn hài lòng hoặc không hài lòng.", code="rating_required")
    text = _clean(comment, label="ý kiến", max_length=MAX_COMMENT)
    if DossierRating.objects.filter(dossier=row).exists():
        raise Conflict("Bạn đã đánh giá hồ sơ này.", code="already_rated")
    try:
        with transaction.atomic():
            rating = DossierRating.objects.create(dossier=row, citizen=citizen, agency_id=row.agency_id,
                                                  satisfied=satisfied, comment=text, rated_at=at or timezone.now())
    except IntegrityError as exc:
        raise Conflict("Bạn đã đánh giá hồ sơ này.", code="already_rated") from exc
    audit_record(action="citizen.rate", actor=citizen, obj=rating,
                 summary={"code": row.code, "satisfied": satisfied, "has_comment": bool(text)})
    rollup_refresh(dossier_ids=[row.pk])  # 766 indicator 5.4 counts a dislike at once
    return rating


"""Reads of the citizen side.

Everything a citizen reads is filtered by owner first: another citizen's dossier code, document
id, draft id or rating is "not found" (404), exactly like an id that does not exist. The public
lookup (:func:`public_dossier_lookup`) returns no personal data at all. Officers read ratings
through :func:`dossier_ratings_for_officer`, narrowed by ``accounts.scope``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.scope import scope_queryset
from chinhquyenso.citizens.models import (
    COUNTER_CONSENT_HOURS,
    CitizenDocument,
    CitizenIdentity,
    DocumentReuseConsent,
    DossierRating,
    SubmissionDraft,
)
from chinhquyenso.core.errors import NotFound
from chinhquyenso.dossiers.models import Dossier, DossierEvent, Status
from chinhquyenso.procedures.models import (
    AuthorityLevel,
    Procedure,
    ProcedureComponent,
    ProcedureResult,
    ProcedureStatus,
    ServiceLevel,
)
from chinhquyenso.units.models import Agency, AgencyKind

#: ``<portal code>-YYMMDD-NNNN`` (dossiers.services._next_code); anything else is not a dossier code.
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9.]{1,40}-[0-9]{6}-[0-9]{4,6}$")


def _owner_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_citizen", False):
        return None
    return int(user.pk)


def _owner(user: Any) -> int:
    """The citizen's id, or -1 (matches nothing) for anyone else. Never None: ``filter(x_id=None)``
    would mean IS NULL and return every counter dossier."""
    owner = _owner_id(user)
    return -1 if owner is None else owner


# --- Account -------------------------------------------------------------------------------------


def citizen_identities(user: Any) -> QuerySet[CitizenIdentity]:
    owner = _owner_id(user)
    if owner is None:
        return CitizenIdentity.objects.none()
    return CitizenIdentity.objects.filter(user_id=owner).order_by("linked_at", "id")


def citizen_vneid_verified(user: Any) -> bool:
    """TaiKhoanDuocXacThucVoiVNeID: the account is linked to the national e-ID."""
    owner = _owner_id(user)
    return owner is not None and CitizenIdentity.objects.filter(user_id=owner, national_eid=True).exists()


def citizen_find_for_counter(query: str) -> User | None:
    """The citizen account the person at the counter names: the personal ID number of the linked
    national e-ID (VNeID's ``sub``), or the exact user name, e-mail or phone. None when nothing or
    more than one account matches (the officer asks for another identifier). For the one-stop
    officer who is about to record a reuse consent."""
    text = (query or "").strip()
    if not text or len(text) > 254:
        return None
    phone = re.sub(r"[\s.\-()]", "", text)
    by_eid = CitizenIdentity.objects.filter(national_eid=True, subject__in={text, phone}).values("user_id")
    rows = User.objects.filter(is_citizen=True, is_active=True).filter(
        Q(username__iexact=text) | Q(email__iexact=text) | Q(phone=phone) | Q(pk__in=by_eid)
    )
    found = list(rows[:2])
    return found[0] if len(found) == 1 else None


def citizen_national_id(user: Any) -> str:
    """The personal ID number vouched for by the national e-ID (VNeID ``sub``), or ""."""
    owner = _owner_id(user)
    if owner is None:
        return ""
    row = CitizenIdentity.objects.filter(user_id=owner, national_eid=True).order_by("linked_at", "id").first()
    return row.subject if row is not None else ""


def counter_consents_released(officer: Any, ids: Sequence[int], *, at: datetime | None = None
                              ) -> QuerySet[DocumentReuseConsent]:
    """Reuse consents this officer recorded at the counter in the last ``COUNTER_CONSENT_HOURS``
    hours and not used for a dossier yet, among ``ids``: what the counter form may attach. Another
    officer's consent, an old or used one is simply not there."""
    officer_id = getattr(officer, "pk", None)
    if officer_id is None or not getattr(officer, "is_authenticated", False):
        return DocumentReuseConsent.objects.none()
    moment = at or timezone.now()
    return (DocumentReuseConsent.objects
            .filter(pk__in=list(ids), officer_id=officer_id, dossier__isnull=True,
                    consented_at__gte=moment - timedelta(hours=COUNTER_CONSENT_HOURS))
            .select_related("document", "document__file", "citizen", "procedure_component"))


# --- Dossiers ------------------------------------------------------------------------------------


def citizen_dossiers(user: Any) -> QuerySet[Dossier]:
    """Hồ sơ của tôi: the dossiers the citizen submitted online, newest first."""
    return (Dossier.objects.filter(citizen_id=_owner(user))
            .select_related("procedure", "agency").order_by("-submitted_at", "-id"))


def citizen_dossier_get(user: Any, code: str) -> Dossier:
    """One of the citizen's own dossiers; NotFound for anyone else's (the same answer as no such code)."""
    owner = _owner_id(user)
    dossier = None
    if owner is not None and code and len(code) <= 60 and "\x00" not in code:
        dossier = (Dossier.objects.select_related("procedure", "agency", "receiving_agency")
                   .filter(citizen_id=owner, code=code).first())
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    return dossier


# --- Documents -----------------------------------------------------------------------------------


def citizen_documents(user: Any, *, document_type: str | None = None) -> QuerySet[CitizenDocument]:
    rows = CitizenDocument.objects.filter(owner_id=_owner(user)).select_related("file", "source_dossier")
    if document_type:
        rows = rows.filter(document_type=document_type)
    return rows.order_by("-created_at", "-id")


def citizen_document_get(user: Any, document_id: int | str) -> CitizenDocument:
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        raise NotFound("Không tìm thấy giấy tờ.", code="document_not_found") from None
    doc = citizen_documents(user).filter(pk=pk).first()
    if doc is None:
        raise NotFound("Không tìm thấy giấy tờ.", code="document_not_found")
    return doc


def citizen_documents_for_component(
    citizen: Any, procedure_component: ProcedureComponent, *, on: date | None = None
) -> QuerySet[CitizenDocument]:
    """Documents of ``citizen``'s store that can stand in for ``procedure_component``: the same
    ``document_type`` (a component without one matches nothing) and still valid on ``on``
    (default today). Used by the online form and by the counter (after the citizen consents)."""
    owner = citizen.pk if getattr(citizen, "is_citizen", False) else None
    if owner is None or not procedure_component.document_type:
        return CitizenDocument.objects.none()
    day = on or timezone.localdate()
    return (CitizenDocument.objects.filter(owner_id=owner, document_type=procedure_component.document_type)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
            .select_related("file", "source_dossier").order_by("-issued_at", "-created_at", "-id"))


def known_document_types() -> list[tuple[str, str]]:
    """Every ``document_type`` the catalog uses (components and results), with a readable label
    (the shortest name of a component or result of that type)."""
    labels: dict[str, str] = {}
    for model in (ProcedureComponent, ProcedureResult):
        for kind, name in model.objects.exclude(document_type="").values_list("document_type", "name"):
            current = labels.get(kind)
            if current is None or len(name) < len(current):
                labels[kind] = name
    return sorted(labels.items(), key=lambda item: item[1].casefold())


# --- Drafts --------------------------------------------------------------------------------------


def citizen_drafts(user: Any) -> QuerySet[SubmissionDraft]:
    return (SubmissionDraft.objects.filter(owner_id=_owner(user), submitted_dossier__isnull=True)
            .select_related("procedure").order_by("-updated_at", "-id"))


def citizen_draft_get(user: Any, draft_id: int | str) -> SubmissionDraft:
    try:
        pk = int(draft_id)
    except (TypeError, ValueError):
        raise NotFound("Không tìm thấy hồ sơ nháp.", code="draft_not_found") from None
    draft = (SubmissionDraft.objects.select_related("procedure", "agency", "submitted_dossier")
             .filter(owner_id=_owner(user), pk=pk).first())
    if draft is None:
        raise NotFound("Không tìm thấy hồ sơ nháp.", code="draft_not_found")
    return draft


# --- Procedures available online -----------------------------------------------------------------


def online_procedures(q: str = "") -> QuerySet[Procedure]:
    """Public procedures offered online (toàn trình or một phần), diacritics-insensitive search."""
    from chinhquyenso.procedures.selectors import procedure_search

    return procedure_search(q=q).exclude(service_level=ServiceLevel.DIRECT_ONLY)


def online_procedure_get(code: str) -> Procedure:
    """A public procedure that accepts online submission; NotFound otherwise."""
    from chinhquyenso.procedures.selectors import procedure_get

    procedure = procedure_get(code)
    if procedure.status != ProcedureStatus.PUBLIC or procedure.service_level == ServiceLevel.DIRECT_ONLY:
        raise NotFound("Thủ tục này không nhận hồ sơ trực tuyến.", code="procedure_not_online")
    return procedure


def submission_agencies(procedure: Procedure, *, on: date | None = None) -> QuerySet[Agency]:
    """Where the citizen may submit: the procedure's handling agencies, else every People's
    Committee at the procedure's level (a commune procedure: each commune's UBND)."""
    from chinhquyenso.units.selectors import valid_on_q

    day = on or timezone.localdate()
    handlers = procedure.handling_agencies.all()
    if handlers.exists():
        rows = handlers.filter(valid_on_q(day))
    else:
        level = procedure.level if procedure.level in AuthorityLevel.values else AuthorityLevel.COMMUNE
        rows = Agency.objects.filter(valid_on_q(day), valid_on_q(day, "unit__"), kind=AgencyKind.PEOPLES_COMMITTEE,
                                     unit__level=level)
    return rows.select_related("unit").order_by("name", "id")


def procedure_fees_today(procedure: Procedure) -> list[Any]:
    from chinhquyenso.procedures.selectors import procedure_fees_on

    return procedure_fees_on(procedure, timezone.localdate(), "citizen")


# --- Public lookup (tra cứu hồ sơ) ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicStatusChange:
    label: str
    status_label: str
    occurred_at: datetime


@dataclass(frozen=True)
class PublicDossierView:
    """What anyone holding the code may see: no name, no ID number, no phone, no address, no
    summary, no officer names, no free-text reasons."""

    code: str
    procedure_name: str
    agency_name: str
    status: int
    status_label: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    timeline: tuple[PublicStatusChange, ...]


def public_dossier_lookup(code: str) -> PublicDossierView | None:
    """The dossier with this exact code, reduced to non-personal facts; None when the code is
    malformed or unknown (the caller answers both the same way)."""
    from chinhquyenso.dossiers.selectors import EVENT_LABELS

    text = (code or "").strip()
    well_formed = bool(DOSSIER_CODE.match(text))
    # One query either way, so a malformed code is not answered measurably faster.
    dossier = (Dossier.objects.select_related("procedure", "agency")
               .filter(code=text if well_formed else "").first())
    if dossier is None:
        return None
    changes = tuple(
        PublicStatusChange(label=EVENT_LABELS.get(kind, kind), status_label=Status(to_status).label,
                           occurred_at=occurred_at)
        for kind, to_status, occurred_at in DossierEvent.objects.filter(dossier_id=dossier.pk, to_status__isnull=False)
        .order_by("seq").values_list("kind", "to_status", "occurred_at")
        if to_status is not None
    )
    return PublicDossierView(
        code=dossier.code, procedure_name=dossier.procedure.name, agency_name=dossier.agency.name,
        status=dossier.status, status_label=Status(dossier.status).label, submitted_at=dossier.submitted_at,
        received_at=dossier.received_at, due_at=dossier.due_at, finished_at=dossier.finished_at,
        returned_at=dossier.returned_at, timeline=changes,
    )


# --- Ratings -------------------------------------------------------------------------------------


def citizen_ratings(user: Any) -> QuerySet[DossierRating]:
    return (DossierRating.objects.filter(citizen_id=_owner(user), dossier__citizen_id=_owner(user))
            .select_related("dossier", "dossier__procedure").order_by("-rated_at", "-id"))


def dossier_ratings_for_officer(
    user: Any,
    *,
    agency_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    satisfied: bool | None = None,
) -> QuerySet[DossierRating]:
    """Ratings of dossiers handled by agencies in the officer's scope (``accounts.scope``), newest
    first; ``date_from``/``date_to`` are local days, both included. The citizen's identity is not
    part of the row an officer needs: read ``rating.dossier`` through the dossier pages if needed."""
    rows = scope_queryset(DossierRating.objects.all(), user, agency_field="agency")
    if agency_id is not None:
        rows = rows.filter(agency_id=agency_id)
    if date_from is not None:
        rows = rows.filter(rated_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(rated_at__date__lte=date_to)
    if satisfied is not None:
        rows = rows.filter(satisfied=satisfied)
    return rows.select_related("dossier", "dossier__procedure", "agency").order_by("-rated_at", "-id")


@dataclass(frozen=True)
class RatingSummary:
    total: int
    satisfied: int
    unsatisfied: int

    @property
    def satisfied_ratio(self) -> float | None:
        return self.satisfied / self.total if self.total else None


def dossier_rating_summary(user: Any, **filters: Any) -> RatingSummary:
    """Counts for the officer's scope (same filters as :func:`dossier_ratings_for_officer`)."""
    counts = dossier_ratings_for_officer(user, **filters).order_by().aggregate(
        total=Count("id"), satisfied=Count("id", filter=Q(satisfied=True)),
    )
    total = int(counts["total"] or 0)
    good = int(counts["satisfied"] or 0)
    return RatingSummary(total=total, satisfied=good, unsatisfied=total - good)


def unsatisfied_dossier_ids(*, agency_ids: list[int] | None = None, received_from: datetime | None = None,
                            received_to: datetime | None = None) -> QuerySet[DossierRating, int]:
    """Dossier ids rated "không hài lòng" (766 indicator 5.4: dossiers with a dislike), optionally
    for dossiers received in ``[received_from, received_to)``; for the indicators app."""
    rows = DossierRating.objects.filter(satisfied=False)
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=agency_ids)
    if received_from is not None:
        rows = rows.filter(dossier__received_at__gte=received_from)
    if received_to is not None:
        rows = rows.filter(dossier__received_at__lt=received_to)
    return rows.values_list("dossier_id", flat=True)


def dossiers_rated_unsatisfied(dossier_ids: Sequence[int]) -> set[int]:
    """Which of ``dossier_ids`` their owner rated "không hài lòng" (766 indicator 5.4)."""
    return set(DossierRating.objects.filter(dossier_id__in=list(dossier_ids), satisfied=False)
               .values_list("dossier_id", flat=True))

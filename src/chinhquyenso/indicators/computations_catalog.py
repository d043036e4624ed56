"""766 indicators that count procedures in the catalog (1.1, 1.2, 1.3, 3.1) and the procedure sets
the dossier-based procedure indicators (3.2, 3.5, 3.7, 4.5b) divide by.

A target's procedures are those its agencies handle (``Procedure.handling_agencies``); the whole
province (``agency_ids is None``) counts every procedure. Publication indicators follow reference
§1.3: 1.1 on time ⇔ the decision date is at least 5 working days before the latest effective date of
the procedure's legal bases (a procedure with no dated legal basis has nothing to be late against and
counts as on time); 1.2 on time ⇔ made public on the national database within 5 working days of the
decision. 1.3 and 3.1 are measured on the catalog as it stands, not per period (as the portal does).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max, Q

from chinhquyenso.indicators.computations import Counts, Target, Window, register
from chinhquyenso.procedures.models import (
    ApplicantType,
    LegalBasis,
    Procedure,
    ProcedureFee,
    ProcedureStatus,
    ServiceLevel,
)
from chinhquyenso.procedures.selectors import procedure_missing_components
from chinhquyenso.workdays import calendar as workdays

PUBLISH_LEAD_WORKING_DAYS = 5  # tỉnh; bộ: 20 (reference §1.3, 1.1)
MAKE_PUBLIC_WORKING_DAYS = 5  # tỉnh; bộ: 10 (1.2)
CITIZEN_APPLICANTS = frozenset({ApplicantType.CITIZEN, ApplicantType.OVERSEAS, ApplicantType.FOREIGNER})


@dataclass
class CatalogSets:
    """Procedure ids of one target, by what the indicators need."""

    public: set[int] = field(default_factory=set)
    online: set[int] = field(default_factory=set)  # DVCTT một phần or toàn trình (3.1, 3.2)
    full_online: set[int] = field(default_factory=set)  # DVCTT toàn trình (the seeds' KPI)
    with_fee: set[int] = field(default_factory=set)  # a fee in force today (3.5)
    # đối tượng: công dân / người VN định cư ở nước ngoài / người nước ngoài (4.5b)
    for_citizens: set[int] = field(default_factory=set)


def _procedures_by_target(targets: Sequence[Target]) -> dict[str, set[int]]:
    """Procedure ids per target (one query for the agency links)."""
    every = set(Procedure.objects.values_list("pk", flat=True))
    links: dict[int, set[int]] = defaultdict(set)
    if any(t.agency_ids is not None for t in targets):
        for pid, aid in Procedure.handling_agencies.through.objects.values_list("procedure_id", "agency_id"):
            links[aid].add(pid)
    out: dict[str, set[int]] = {}
    for t in targets:
        if t.agency_ids is None:
            out[t.key] = every
        else:
            found: set[int] = set()
            for aid in t.agency_ids:
                found |= links.get(aid, set())
            out[t.key] = found
    return out


def catalog_sets(targets: Sequence[Target], *, today: date) -> dict[str, CatalogSets]:
    rows = list(Procedure.objects.values_list("pk", "status", "service_level", "applicant_types"))
    fee_ids = set(
        ProcedureFee.objects.filter(amount__gt=0, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today)).values_list("procedure_id", flat=True)
    )
    whole = CatalogSets()
    for pk, status, level, applicants in rows:
        if status != ProcedureStatus.PUBLIC:
            continue
        whole.public.add(pk)
        if level in (ServiceLevel.FULL_ONLINE, ServiceLevel.PARTIAL_ONLINE):
            whole.online.add(pk)
        if level == ServiceLevel.FULL_ONLINE:
            whole.full_online.add(pk)
        if pk in fee_ids:
            whole.with_fee.add(pk)
        if CITIZEN_APPLICANTS.intersection(applicants or []):
            whole.for_citizens.add(pk)
    by_target = _procedures_by_target(targets)
    return {
        key: CatalogSets(public=whole.public & ids, online=whole.online & ids, full_online=whole.full_online & ids,
                         with_fee=whole.with_fee & ids, for_citizens=whole.for_citizens & ids)
        for key, ids in by_target.items()
    }


def _publications(window: Window) -> list[tuple[int, date, date | None, date | None]]:
    """(procedure, decision date, made public on, latest legal-basis effective date) for decisions in the window."""
    latest = dict(
        LegalBasis.objects.filter(effective_from__isnull=False).values("procedure_id")
        .annotate(m=Max("effective_from")).values_list("procedure_id", "m")
    )
    return [
        (pk, decided, public, latest.get(pk))
        for pk, decided, public in Procedure.objects.filter(
            published_decision_date__gte=window.start, published_decision_date__lte=window.end
        ).values_list("pk", "published_decision_date", "made_public_at")
        if decided is not None
    ]


def publish_on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """1.1 PUBLISH_ON_TIME."""
    rows = _publications(window)
    by_target = _procedures_by_target(targets)
    on_time = {
        pk for pk, decided, _public, basis in rows
        if basis is None or decided <= workdays.add_working_days(basis, -PUBLISH_LEAD_WORKING_DAYS)
    }
    decided_ids = {pk for pk, *_ in rows}
    return {key: Counts(Decimal(len(on_time & ids)), Decimal(len(decided_ids & ids))) for key, ids in by_target.items()}


def public_update_on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """1.2 PUBLIC_UPDATE_ON_TIME."""
    rows = _publications(window)
    by_target = _procedures_by_target(targets)
    on_time = {
        pk for pk, decided, public, _basis in rows
        if public is not None and public <= workdays.add_working_days(decided, MAKE_PUBLIC_WORKING_DAYS)
    }
    decided_ids = {pk for pk, *_ in rows}
    return {key: Counts(Decimal(len(on_time & ids)), Decimal(len(decided_ids & ids))) for key, ids in by_target.items()}


def public_content_full(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """1.3 PUBLIC_CONTENT_FULL: every public procedure with all 7 components (NĐ 63/2010 Đ8 k2)."""
    public = Procedure.objects.filter(status=ProcedureStatus.PUBLIC).prefetch_related("components", "handling_agencies")
    complete = {p.pk for p in public if not procedure_missing_components(p)}
    public_ids = {p.pk for p in public}
    return {
        key: Counts(Decimal(len(complete & ids)), Decimal(len(public_ids & ids)))
        for key, ids in _procedures_by_target(targets).items()
    }


def online_service_provided(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """3.1 ONLINE_SERVICE_PROVIDED: public procedures offered as DVCTT (một phần or toàn trình)."""
    sets = catalog_sets(targets, today=window.today)
    return {key: Counts(Decimal(len(s.online)), Decimal(len(s.public))) for key, s in sets.items()}


def register_all() -> None:
    register("PUBLISH_ON_TIME")(publish_on_time)
    register("PUBLIC_UPDATE_ON_TIME")(public_update_on_time)
    register("PUBLIC_CONTENT_FULL")(public_content_full)
    register("ONLINE_SERVICE_PROVIDED")(online_service_provided)

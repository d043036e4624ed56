"""Petition-based 766 indicators (5.1–5.3) plugged into the indicators app, which sits below feedback.

Each computation reads the window's petitions once for every target (a ranking of all agencies is three
queries, not three per agency) and judges each petition with the same rules as the per-unit selectors
(``selectors.indicator_petition_*``); a test proves both give the same counts.

Also tells the dossier roll-ups which dossiers are the subject of a petition: 766 indicator 5.4 counts a
dossier with a PAKN like a dislike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Q

from chinhquyenso.feedback import rules, selectors
from chinhquyenso.feedback.models import Petition, Topic
from chinhquyenso.indicators.computations import Counts, Target, Window, register
from chinhquyenso.indicators.rollups import register_flag_source
from chinhquyenso.workdays.calendar import get_calendar

T = TypeVar("T")


def _bounds(window: Window) -> tuple[datetime, datetime]:
    """The window as local-midnight bounds, exactly as the per-unit selectors count it."""
    return selectors.period_bounds(window.start, window.end)


def _narrow(targets: Sequence[Target]) -> Q:
    agencies: set[int] = set()
    units: set[int] = set()
    for t in targets:
        if t.agency_ids is None and t.unit_ids is None:
            return Q()
        if t.agency_ids is not None:
            agencies |= t.agency_ids
        else:
            units |= t.unit_ids or frozenset()
    return Q(agency_id__in=agencies) | Q(unit_id__in=units)


def _belongs(target: Target, petition: Petition) -> bool:
    """The same narrowing as the selectors: by agency when the target names agencies, else by unit."""
    if target.agency_ids is not None:
        return petition.agency_id in target.agency_ids
    if target.unit_ids is not None:
        return petition.unit_id in target.unit_ids
    return True


def _per_target(targets: Sequence[Target], petitions: list[Petition],
                count: Callable[[list[Petition]], tuple[int, int]]) -> dict[str, Counts]:
    out = {}
    for t in targets:
        num, den = count([p for p in petitions if _belongs(t, p)])
        out[t.key] = Counts(Decimal(num), Decimal(den))
    return out


def _as_of(window: Window) -> date:
    return window.judged_on


def petition_on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """5.2 for every target: petitions whose clock started in the window, on time as of its end."""
    lo, hi = _bounds(window)
    petitions = list(Petition.objects.filter(_narrow(targets), clock_started_at__gte=lo, clock_started_at__lt=hi)
                     .select_related("rule_set"))
    cal, as_of = get_calendar(), _as_of(window)
    on_time = {p.pk for p in petitions if rules.petition_on_time(p, as_of, cal=cal)}
    return _per_target(targets, petitions, lambda ps: (sum(p.pk in on_time for p in ps), len(ps)))


def petition_satisfaction(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    """5.3 for every target: first petitions received in the window."""
    lo, hi = _bounds(window)
    petitions = list(Petition.objects.filter(_narrow(targets), received_at__gte=lo, received_at__lt=hi,
                                             follow_up_of__isnull=True).select_related("rule_set"))
    cal, as_of = get_calendar(), _as_of(window)

    def count(ps: list[Petition]) -> tuple[int, int]:
        breakdown = rules.petition_satisfaction_breakdown(ps, period_end=as_of, cal=cal)
        return breakdown.numerator, breakdown.denominator

    return _per_target(targets, petitions, count)


def _classification(topic: str) -> Callable[[Window, Sequence[Target]], dict[str, Counts]]:
    def compute(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
        lo, hi = _bounds(window)
        petitions = list(Petition.objects.filter(_narrow(targets), clock_started_at__gte=lo, clock_started_at__lt=hi)
                         .only("pk", "agency_id", "unit_id", "classification", "topic"))

        def count(ps: list[Petition]) -> tuple[int, int]:
            return sum((p.classification or p.topic) == topic for p in ps), len(ps)

        return _per_target(targets, petitions, count)

    compute.__qualname__ = f"petition_classification_{topic}"
    return compute


def _ids(values: Iterable[Any]) -> set[int]:
    return {int(v) for v in values if v is not None}


def dossiers_with_petitions(dossier_ids: Sequence[int]) -> set[int]:
    return _ids(Petition.objects.filter(dossier_id__in=list(dossier_ids)).values_list("dossier_id", flat=True))


def register_all() -> None:
    register("PETITION_PROCESSING_ON_TIME")(petition_on_time)
    register("PETITION_HANDLING_SATISFACTION")(petition_satisfaction)
    register("PETITION_CLASSIFICATION_TTHC")(_classification(Topic.REGULATION))
    register("PETITION_CLASSIFICATION_STAFF")(_classification(Topic.STAFF_CONDUCT))
    register_flag_source("unsatisfied", "feedback.petitions", dossiers_with_petitions)

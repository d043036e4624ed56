"""Petition-based 766 indicators (5.1–5.3) plugged into the indicators app, which sits below feedback.

Also tells the dossier roll-ups which dossiers are the subject of a petition: 766 indicator 5.4 counts
a dossier with a PAKN like a dislike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from chinhquyenso.feedback import selectors
from chinhquyenso.feedback.models import Petition
from chinhquyenso.indicators.computations import Counts, Target, Window, register
from chinhquyenso.indicators.rollups import register_flag_source


def _narrowing(target: Target) -> dict[str, list[int] | None]:
    return {
        "agency_ids": sorted(target.agency_ids) if target.agency_ids is not None else None,
        "unit_ids": sorted(target.unit_ids) if target.unit_ids is not None and target.agency_ids is None else None,
    }


def petition_on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    out = {}
    for t in targets:
        num, den = selectors.indicator_petition_on_time(start=window.start, end=window.end, today=window.today,
                                                        **_narrowing(t))
        out[t.key] = Counts(Decimal(num), Decimal(den))
    return out


def petition_satisfaction(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
    out = {}
    for t in targets:
        num, den = selectors.indicator_petition_satisfaction(start=window.start, end=window.end, today=window.today,
                                                             **_narrowing(t))
        out[t.key] = Counts(Decimal(num), Decimal(den))
    return out


def _classification(index: int) -> object:
    def compute(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
        out = {}
        for t in targets:
            counts = selectors.indicator_petition_classification(start=window.start, end=window.end, **_narrowing(t))
            out[t.key] = Counts(Decimal(counts[index]), Decimal(counts[2]))
        return out

    compute.__qualname__ = f"petition_classification_{index}"
    return compute


def dossiers_with_petitions(dossier_ids: Sequence[int]) -> set[int]:
    return set(Petition.objects.filter(dossier_id__in=list(dossier_ids)).values_list("dossier_id", flat=True))


def register_all() -> None:
    register("PETITION_PROCESSING_ON_TIME")(petition_on_time)
    register("PETITION_HANDLING_SATISFACTION")(petition_satisfaction)
    register("PETITION_CLASSIFICATION_TTHC")(_classification(0))  # type: ignore[arg-type]
    register("PETITION_CLASSIFICATION_STAFF")(_classification(1))  # type: ignore[arg-type]
    register_flag_source("unsatisfied", "feedback.petitions", dossiers_with_petitions)

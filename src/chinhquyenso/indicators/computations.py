"""Indicators counted at read time, outside the dossier roll-ups: registry by indicator code.

Dossier-based indicators come from :mod:`.rollups` (see :mod:`.scorecards`). What is left counts
procedures in the catalog (1.1–1.3, 3.1 and the denominators of 3.5 and 4.5b, in
:mod:`.computations_catalog`) and petitions (5.1–5.3, registered by the ``feedback`` app, which sits
above this one). A computation receives the scoring window and every target at once, so a ranking of
all units costs one call per indicator, not one per unit::

    from chinhquyenso.indicators.computations import Counts, Target, Window, register

    @register("PETITION_PROCESSING_ON_TIME")
    def petitions_on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
        return {t.key: Counts(numerator=..., denominator=...) for t in targets}

Rules: a computation only reads; it returns raw counts, never points; one per code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Target:
    """What one scorecard covers: records of these agencies, or handled in these units.

    ``agency_ids`` are the agencies (for petitions and the catalog); ``unit_ids`` every unit row whose
    records count (the unit, its descendants and, in the new structure, their predecessors). ``None``
    means no narrowing on that axis (the whole province)."""

    key: str
    agency_ids: frozenset[int] | None
    unit_ids: frozenset[int] | None


@dataclass(frozen=True)
class Window:
    """A scoring period, both ends included, and the day open work is judged on."""

    start: date
    end: date
    today: date

    @property
    def judged_on(self) -> date:
        return min(self.end, self.today)

    @property
    def live(self) -> bool:
        """The period has begun and not ended: dossiers still in progress belong to it."""
        return self.start <= self.today <= self.end


@dataclass(frozen=True)
class Counts:
    numerator: Decimal
    denominator: Decimal
    # 1.4 DOSSIER_SYNC: the prior year's total scaled to the period, used when the denominator is 0.
    fallback_denominator: Decimal | None = None


Computation = Callable[[Window, Sequence[Target]], dict[str, Counts]]

_REGISTRY: dict[str, Computation] = {}


def register(code: str) -> Callable[[Computation], Computation]:
    """Decorator: make ``fn`` the computation of indicator ``code`` (exactly one per code)."""
    key = code.strip().upper()

    def decorator(fn: Computation) -> Computation:
        current = _REGISTRY.get(key)
        if current is not None and current is not fn and current.__qualname__ != fn.__qualname__:
            raise RuntimeError(f"Indicator {key} already has a computation: {current!r}")
        _REGISTRY[key] = fn
        return fn

    return decorator


def get(code: str) -> Computation | None:
    return _REGISTRY.get(code.strip().upper())


def registered() -> frozenset[str]:
    return frozenset(_REGISTRY)


def unregister(code: str) -> None:
    """For tests that register a throw-away computation."""
    _REGISTRY.pop(code.strip().upper(), None)

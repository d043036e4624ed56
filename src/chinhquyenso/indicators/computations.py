"""Where each indicator's numerator and denominator will be computed (tử số / mẫu số).

Empty on purpose: the counting rules need the dossiers, procedures and petitions apps, which are
being written. The scorer (:mod:`.scoring`) never needs this module; roll-ups and scorecards will
look a computation up by indicator code, run it for one unit and period, and hand the counts to
:func:`chinhquyenso.indicators.scoring.score`.

How to add one (later, in a module of this app such as ``computations_dossiers.py``, imported from
:meth:`IndicatorsConfig.ready <chinhquyenso.indicators.apps.IndicatorsConfig.ready>`)::

    from chinhquyenso.indicators.computations import Counts, Period, register

    @register("DOSSIER_ON_TIME")
    def dossier_on_time(period: Period) -> Counts:
        received = Dossier.objects.filter(unit_id__in=period.unit_ids, received_at__date__range=...)
        return Counts(numerator=..., denominator=received.count())

Rules: a computation only reads (selectors of other apps); it returns raw counts, never points;
it is registered once per code, and the code must exist in the definitions. The definition's
``subject`` (dossier / procedure / petition) says which app's data it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Period:
    """One scoring window for a set of units (a unit and, if wanted, its subordinate units)."""

    unit_ids: tuple[int, ...]
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Counts:
    numerator: Decimal
    denominator: Decimal
    # 1.4 DOSSIER_SYNC: the prior year's total scaled to the period, used when the denominator is 0.
    fallback_denominator: Decimal | None = None


Computation = Callable[[Period], Counts]

_REGISTRY: dict[str, Computation] = {}


def register(code: str) -> Callable[[Computation], Computation]:
    """Decorator: make ``fn`` the computation of indicator ``code`` (exactly one per code)."""
    key = code.strip().upper()

    def decorator(fn: Computation) -> Computation:
        if key in _REGISTRY and _REGISTRY[key] is not fn:
            raise RuntimeError(f"Indicator {key} already has a computation: {_REGISTRY[key]!r}")
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

"""The (still empty) registry where per-indicator numerator/denominator computations plug in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chinhquyenso.indicators import computations
from chinhquyenso.indicators.computations import Counts, Period
from chinhquyenso.indicators.scoring import SimpleRule, score


def test_nothing_is_registered_yet() -> None:
    assert computations.registered() == frozenset()


def test_register_once_per_code_and_feed_the_scorer() -> None:
    def on_time(period: Period) -> Counts:
        return Counts(numerator=Decimal(393087), denominator=Decimal(443565))

    try:
        computations.register("dossier_on_time")(on_time)
        assert computations.get("DOSSIER_ON_TIME") is on_time
        computations.register("DOSSIER_ON_TIME")(on_time)  # same function again: harmless
        with pytest.raises(RuntimeError, match="already has a computation"):
            computations.register("DOSSIER_ON_TIME")(lambda period: Counts(Decimal(0), Decimal(0)))
        fn = computations.get("DOSSIER_ON_TIME")
        assert fn is not None
        counts = fn(Period(unit_ids=(1,), start=date(2026, 1, 1), end=date(2026, 12, 31)))
        rule = SimpleRule(code="DOSSIER_ON_TIME", group_code="TDGQ", max_points=Decimal(20))
        assert score(rule, counts.numerator, counts.denominator).points == Decimal("17.72")
    finally:
        computations.unregister("DOSSIER_ON_TIME")
    assert computations.get("DOSSIER_ON_TIME") is None

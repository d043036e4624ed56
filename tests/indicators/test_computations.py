"""The registry of read-time computations (catalog and petition indicators) and what is in it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from chinhquyenso.indicators import computations
from chinhquyenso.indicators.computations import Counts, Target, Window
from chinhquyenso.indicators.scoring import SimpleRule, score


def test_catalog_and_petition_indicators_are_registered_at_start_up() -> None:
    assert {"PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL", "ONLINE_SERVICE_PROVIDED",
            "PETITION_PROCESSING_ON_TIME", "PETITION_HANDLING_SATISFACTION", "PETITION_CLASSIFICATION_TTHC",
            "PETITION_CLASSIFICATION_STAFF"} <= computations.registered()


def test_register_once_per_code_and_feed_the_scorer() -> None:
    def on_time(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
        return {t.key: Counts(numerator=Decimal(393087), denominator=Decimal(443565)) for t in targets}

    def other(window: Window, targets: Sequence[Target]) -> dict[str, Counts]:
        return {}

    try:
        computations.register("test_only")(on_time)
        assert computations.get("TEST_ONLY") is on_time
        computations.register("TEST_ONLY")(on_time)  # same function again: harmless
        with pytest.raises(RuntimeError, match="already has a computation"):
            computations.register("TEST_ONLY")(other)
        fn = computations.get("TEST_ONLY")
        assert fn is not None
        window = Window(start=date(2026, 1, 1), end=date(2026, 12, 31), today=date(2026, 11, 25))
        counts = fn(window, [Target(key="p", agency_ids=None, unit_ids=None)])["p"]
        rule = SimpleRule(code="DOSSIER_ON_TIME", group_code="TDGQ", max_points=Decimal(20))
        assert score(rule, counts.numerator, counts.denominator).points == Decimal("17.72")
    finally:
        computations.unregister("TEST_ONLY")
    assert computations.get("TEST_ONLY") is None


def test_window_is_live_only_while_today_is_inside() -> None:
    assert Window(date(2026, 1, 1), date(2026, 12, 31), today=date(2026, 11, 25)).live
    past = Window(date(2025, 1, 1), date(2025, 12, 31), today=date(2026, 11, 25))
    assert not past.live and past.judged_on == date(2025, 12, 31)

"""Scorecards read from the roll-ups equal the same numbers counted straight from the dossiers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.indicators.computations import Window
from chinhquyenso.indicators.scorecards import (
    agency_target,
    metric_sums,
    ranking,
    scorecard_as_dict,
    scorecards,
    unit_target,
)
from chinhquyenso.workdays.calendar import TIMEZONE
from tests.dossiers.conftest import TINY_PDF, receive, to_last_step, vn
from tests.dossiers.factories import Province, build_province

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> Province:
    return build_province()


def finish(world: Province, d: Dossier, at: dt.datetime, *, with_file: bool = True) -> Dossier:
    d = to_last_step(world, d, at=at - dt.timedelta(hours=1))
    upload = services.UploadInput(TINY_PDF, "kq.pdf") if with_file else None
    return services.dossier_finish(dossier=d, actor=world.processor_a, at=at, results=[
        services.ResultInput(procedure_result=world.result, code="KS", upload=upload, signed=True)])


def direct_counts(start: dt.date, end: dt.date, agency_id: int | None = None) -> dict[str, int]:
    """The baseline: the same numbers with plain queries over the dossier table."""
    lo = dt.datetime.combine(start, dt.time(), tzinfo=TIMEZONE)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=TIMEZONE)
    qs = Dossier.objects.filter(received_at__gte=lo, received_at__lt=hi)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    return {"received": qs.count(), "online": qs.filter(channel=2).count(),
            "sync": qs.filter(national_synced_at__isnull=False).count()}


def test_february_scorecard_matches_the_dossiers(world: Province) -> None:
    on_time = finish(world, receive(world, at=vn(2026, 2, 12, 10)), vn(2026, 2, 13, 10))
    finish(world, receive(world, at=vn(2026, 2, 2, 10)), vn(2026, 2, 27, 10), with_file=False)
    receive(world, at=vn(2026, 3, 2, 10))  # March: outside the window
    services.dossier_mark_synced(dossier_ids=[on_time.pk], at=vn(2026, 2, 13, 11))
    window = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25))
    card = scorecards(window, [agency_target(world.ubnd_a)])[0]

    direct = direct_counts(window.start, window.end, world.ubnd_a.pk)
    assert direct == {"received": 2, "online": 0, "sync": 1}
    sync = card.line("DOSSIER_SYNC").result
    assert (sync.numerator, sync.denominator, sync.points) == (1, 2, Decimal("3.00"))
    ontime = card.line("DOSSIER_ON_TIME").result
    assert (ontime.numerator, ontime.denominator, ontime.points) == (1, 2, Decimal("10.00"))
    e_result = card.line("ORIGINAL_RESULT_AVAILABLE").result
    assert (e_result.numerator, e_result.denominator) == (1, 2)
    # 5.4: 100% − (late 50% + unsatisfied 0%) = 50% against a 90% target → 6 × 0.5/0.9
    assert card.line("DOSSIER_RECEIVING_SATISFACTION").result.points == Decimal("3.33")
    assert card.total == sum(g.points for g in card.groups)
    assert scorecard_as_dict(card)["total"] == str(card.total)


def test_custom_ranges_add_up_from_day_and_month_rows(world: Province) -> None:
    for month, day in ((1, 30), (2, 3), (2, 27), (3, 2), (3, 20)):
        receive(world, at=vn(2026, month, day, 9))
    for start, end in ((dt.date(2026, 1, 15), dt.date(2026, 3, 5)), (dt.date(2026, 2, 1), dt.date(2026, 3, 31)),
                       (dt.date(2026, 2, 4), dt.date(2026, 2, 27)), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))):
        info = agency_target(world.ubnd_a)
        sums = metric_sums(Window(start, end, today=dt.date(2026, 11, 25)), [info.target])[info.target.key]
        assert sums.get("received")[1] == direct_counts(start, end)["received"], (start, end)


def test_open_dossiers_count_late_only_in_the_live_period(world: Province) -> None:
    receive(world, at=vn(2026, 2, 12, 10))  # due in February, never finished
    info = agency_target(world.ubnd_a)
    live = scorecards(Window(dt.date(2026, 1, 1), dt.date(2026, 12, 31), today=dt.date(2026, 3, 1)), [info])[0]
    ontime = live.line("DOSSIER_ON_TIME").result
    assert (ontime.numerator, ontime.denominator) == (0, 1)
    before_due = scorecards(Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 2, 13)),
                            [info])[0]
    assert before_due.line("DOSSIER_ON_TIME").result.numerator == 1
    past = scorecards(Window(dt.date(2025, 1, 1), dt.date(2025, 12, 31), today=dt.date(2026, 3, 1)), [info])[0]
    assert past.line("DOSSIER_ON_TIME").result.denominator == 0


def test_zero_denominators_follow_each_definition(world: Province) -> None:
    card = scorecards(Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25)),
                      [agency_target(world.ubnd_b)])[0]
    assert card.line("DOSSIER_ON_TIME").result.points == 0  # no dossiers: no points
    assert card.line("PETITION_PROCESSING_ON_TIME").result.points == Decimal("6.00")  # no petitions: full


def test_units_and_agencies_see_only_their_own_dossiers(world: Province) -> None:
    receive(world, at=vn(2026, 2, 12, 10))
    window = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25))
    a, b = unit_target(world.commune_a), unit_target(world.commune_b)
    sums = metric_sums(window, [a.target, b.target])
    assert sums[a.target.key].get("received") == (1, 1)
    assert sums[b.target.key].get("received") == (0, 0)


def test_ranking_uses_competition_ranks_within_a_level(world: Province) -> None:
    finish(world, receive(world, at=vn(2026, 2, 12, 10)), vn(2026, 2, 13, 10))
    window = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25))
    ranked = ranking(window, [agency_target(world.ubnd_a), agency_target(world.ubnd_b)])
    by_key = {r.card.key: r for r in ranked}
    a, b = by_key[f"agency:{world.ubnd_a.pk}"], by_key[f"agency:{world.ubnd_b.pk}"]
    assert a.card.total > b.card.total and (a.rank, b.rank, a.of) == (1, 2, 2)
    assert b.weakest and b.weakest[0].result.points_at_stake >= b.weakest[-1].result.points_at_stake


def test_cli_scorecard_prints_groups_and_total(world: Province, capsys: pytest.CaptureFixture[str]) -> None:
    receive(world, at=vn(2026, 2, 12, 10))
    call_command("indicators", "scorecard", "--agency", world.ubnd_a.code, "--from", "2026-02-01",
                 "--to", "2026-02-28")
    out = capsys.readouterr().out
    assert "TỔNG ĐIỂM" in out and "DOSSIER_ON_TIME" in out and "MDHL" in out
    call_command("indicators", "scorecard", "--agency", world.ubnd_a.code, "--from", "2026-02-01",
                 "--to", "2026-02-28", "--json")
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["groups"][0]["code"] == "CKMB" and Decimal(data["total"]) >= 0

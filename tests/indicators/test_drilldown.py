"""Drill-down lists equal what the scorecard counts, respect the user's scope, and are ordered by worth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from chinhquyenso.core.errors import PermissionDenied
from chinhquyenso.indicators import drilldown
from chinhquyenso.indicators.computations import Target, Window
from chinhquyenso.indicators.models import Grain
from chinhquyenso.indicators.scorecards import agency_target, province_target, scorecards
from tests.indicators.scorecard_world import ScoreWorld, build

pytestmark = pytest.mark.django_db

FEB = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25))


@pytest.fixture
def sw(db: Any) -> ScoreWorld:
    return build()


def test_failing_metrics_reads_the_facts_of_the_window_and_target() -> None:
    target = Target(key="agency:7", agency_ids=frozenset({7}), unit_ids=None)
    facts = [
        ["sync", Grain.DAY, "2026-02-03", 7, 1, 0, 0, 1],  # failing, inside
        ["online", Grain.DAY, "2026-02-03", 7, 1, 0, 1, 1],  # passing
        ["reused", Grain.DAY, "2026-03-01", 7, 1, 0, 0, 1],  # failing, outside the window
        ["storage", Grain.DAY, "2026-02-03", 8, 1, 0, 0, 1],  # failing, another agency
        ["unsatisfied", Grain.DAY, "2026-02-03", 7, 1, 0, 1, 1],  # numerator = the bad case
        ["sync", Grain.MONTH, "2026-02-01", 7, 1, 0, 0, 1],  # month rows are not facts of a dossier list
    ]
    metrics = ("sync", "online", "reused", "storage", "unsatisfied")
    assert drilldown.failing_metrics(facts, metrics, target, FEB) == ["sync", "unsatisfied"]


def test_open_dossiers_past_due_count_only_in_the_period_containing_today() -> None:
    target = Target(key="p", agency_ids=None, unit_ids=None)
    facts = [["open", Grain.OPEN_DUE, "2026-02-10", 7, 1, 0, 0, 1]]
    live = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 2, 20))
    assert drilldown.failing_metrics(facts, ("ontime", "open"), target, live) == ["open"]
    not_yet_due = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 2, 9))
    assert drilldown.failing_metrics(facts, ("ontime", "open"), target, not_yet_due) == []
    assert drilldown.failing_metrics(facts, ("ontime", "open"), target, FEB) == []  # a past period


def test_sync_list_equals_the_scorecard_and_is_oldest_first(sw: ScoreWorld) -> None:
    info = agency_target(sw.world.ubnd_a)
    line = scorecards(FEB, [info])[0].line("DOSSIER_SYNC")
    assert (line.result.numerator, line.result.denominator) == (1, 3)
    page = drilldown.dossier_gaps(line, info, FEB, user=None)
    assert [g.code for g in page.items] == [sw.late.code, sw.open_a.code]
    assert page.total == line.result.denominator - line.result.numerator
    # 6 points ÷ (3 dossiers × 100%) = 2 points per dossier synced
    assert page.items[0].worth == Decimal("2.0000")
    assert page.items[0].reasons == ("Chưa đồng bộ lên Cổng DVCQG",)


def test_late_and_no_electronic_result(sw: ScoreWorld) -> None:
    info = agency_target(sw.world.ubnd_a)
    card = scorecards(FEB, [info])[0]
    late = drilldown.dossier_gaps(card.line("DOSSIER_ON_TIME"), info, FEB, user=None)
    assert [g.code for g in late.items] == [sw.late.code]
    assert late.items[0].reasons == ("Giải quyết trễ hạn",)
    no_file = drilldown.dossier_gaps(card.line("ORIGINAL_RESULT_AVAILABLE"), info, FEB, user=None)
    assert [g.code for g in no_file.items] == [sw.late.code]


def test_lists_show_only_dossiers_the_user_may_open(sw: ScoreWorld) -> None:
    info = province_target(sw.world.province)
    line = scorecards(FEB, [info])[0].line("DOSSIER_SYNC")
    assert line.result.denominator == 4
    everyone = drilldown.dossier_gaps(line, info, FEB, user=sw.province_user)
    assert {g.code for g in everyone.items} == {sw.late.code, sw.open_a.code, sw.other_b.code}
    commune_b = drilldown.dossier_gaps(line, info, FEB, user=sw.world.processor_b)
    assert [g.code for g in commune_b.items] == [sw.other_b.code]
    assert commune_b.hidden == 2


def test_pagination(sw: ScoreWorld) -> None:
    info = province_target(sw.world.province)
    line = scorecards(FEB, [info])[0].line("DOSSIER_SYNC")
    first = drilldown.dossier_gaps(line, info, FEB, user=None, per_page=2)
    second = drilldown.dossier_gaps(line, info, FEB, user=None, per_page=2, page=2)
    assert (first.total, first.pages, first.has_next, second.has_previous) == (3, 2, True, True)
    assert len(first.items) == 2 and len(second.items) == 1
    assert {g.code for g in first.items + second.items} == {sw.late.code, sw.open_a.code, sw.other_b.code}
    assert [g.code for g in first.items] == [sw.late.code, sw.other_b.code]  # oldest receipt first


def test_procedure_lists(sw: ScoreWorld) -> None:
    info = province_target(sw.world.province)
    card = scorecards(FEB, [info])[0]
    online = card.line("ONLINE_SERVICE_WITH_DOSSIERS")
    gaps = drilldown.procedure_gaps(online, info, FEB)
    assert sw.world.procedure.code in [g.code for g in gaps]  # a DVCTT with only counter dossiers
    assert len(gaps) == online.result.denominator - online.result.numerator
    with pytest.raises(Exception, match="hồ sơ"):
        drilldown.dossier_gaps(online, info, FEB, user=None)


def test_points_at_stake_most_valuable_fix_first(sw: ScoreWorld) -> None:
    card = scorecards(FEB, [agency_target(sw.world.ubnd_a)])[0]
    stakes = drilldown.points_at_stake(card)
    assert stakes and all(s.at_stake > 0 for s in stakes)
    worths = [s.worth for s in stakes]
    assert worths == sorted(worths, reverse=True)
    assert sum((s.at_stake for s in stakes), Decimal(0)) == card.points_at_stake
    sync = next(s for s in stakes if s.code == "DOSSIER_SYNC")
    assert (sync.kind, sync.missing, sync.worth) == ("dossier", 2, Decimal("2.0000"))


def test_who_may_view_which_scorecard(sw: ScoreWorld) -> None:
    w = sw.world
    own = agency_target(w.ubnd_a)
    assert drilldown.can_view(w.processor_a, own)
    assert not drilldown.can_view(w.processor_a, agency_target(w.ubnd_b))
    assert not drilldown.can_view(w.processor_a, province_target(w.province))
    assert drilldown.can_view(sw.province_user, province_target(w.province))
    assert drilldown.can_view(sw.province_user, agency_target(w.ubnd_b))
    assert drilldown.target_for_user(w.processor_a).target.key == own.target.key  # default: own agency
    assert drilldown.target_for_user(sw.province_user).target.agency_ids is None  # default: the province
    with pytest.raises(PermissionDenied):
        drilldown.target_for_user(w.processor_a, agency_code=w.ubnd_b.code)
    with pytest.raises(PermissionDenied):
        drilldown.target_for_user(w.processor_a, unit_id=w.commune_b.pk)
    assert drilldown.target_for_user(w.processor_a, unit_id=w.commune_a.pk).target.unit_ids is not None

"""Roll-ups kept in the dossier's own transaction equal a rebuild from scratch, whatever happened."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinhquyenso.core.errors import DomainError
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier, Status
from chinhquyenso.indicators.models import DossierRollupState, Grain, IndicatorRollup
from chinhquyenso.indicators.rollups import rollup_refresh, rollup_table, rollups_rebuild, rollups_verify
from tests.dossiers.conftest import TINY_PDF, receive, to_last_step, vn
from tests.dossiers.factories import Province, build_province

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> Province:
    return build_province()

ACTIONS = ("to_last_step", "finish", "finish_paper", "return", "supplement", "supplement_back", "withdraw", "stop",
           "sync", "refresh")


def cell(metric: str, grain: str = Grain.MONTH, **filters: Any) -> tuple[int, int]:
    rows = IndicatorRollup.objects.filter(metric=metric, grain=grain, procedure_id=0, **filters)
    return sum(r.numerator for r in rows), sum(r.denominator for r in rows)


def apply(world: Province, dossier: Dossier, action: str, at: dt.datetime) -> Dossier:
    d = Dossier.objects.get(pk=dossier.pk)
    try:
        if action == "to_last_step":
            return to_last_step(world, d, at=at)
        if action in ("finish", "finish_paper"):
            upload = services.UploadInput(TINY_PDF, "kq.pdf") if action == "finish" else None
            return services.dossier_finish(dossier=d, actor=world.processor_a, at=at, results=[
                services.ResultInput(procedure_result=world.result, code="KS", upload=upload, signed=True)])
        if action == "return":
            return services.dossier_return_result(dossier=d, actor=world.counter_a, at=at)
        if action == "supplement":
            return services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason="Thiếu",
                                                       items=["Tờ khai"], at=at)
        if action == "supplement_back":
            return services.dossier_receive_supplement(dossier=d, actor=world.counter_a, at=at)
        if action == "withdraw":
            return services.dossier_withdraw(dossier=d, actor=world.counter_a, reason="Xin rút", at=at)
        if action == "stop":
            return services.dossier_stop(dossier=d, actor=world.processor_a, reason="Tranh chấp", at=at)
        if action == "sync":
            services.dossier_mark_synced(dossier_ids=[d.pk], at=at)
        if action == "refresh":
            rollup_refresh(dossier_ids=[d.pk])  # a spurious refresh changes nothing
    except DomainError:
        pass  # not allowed in this state: the history just goes on
    return Dossier.objects.get(pk=d.pk)


def test_a_dossier_counts_from_the_moment_it_is_received(world: Province) -> None:
    d = receive(world, at=vn(2026, 2, 12, 10))
    assert cell("received", period_start=dt.date(2026, 2, 1)) == (1, 1)
    assert cell("received", grain=Grain.DAY, period_start=dt.date(2026, 2, 12)) == (1, 1)
    assert cell("sync") == (0, 1)
    assert IndicatorRollup.objects.filter(metric="open", grain=Grain.OPEN_DUE).count() == 1
    services.dossier_mark_synced(dossier_ids=[d.pk], at=vn(2026, 2, 12, 11))
    assert cell("sync") == (1, 1)
    services.dossier_mark_synced(dossier_ids=[d.pk], at=vn(2026, 2, 13, 11))  # twice: counted once
    assert cell("sync") == (1, 1)
    assert rollups_verify() == []


def test_finishing_moves_the_dossier_from_open_to_judged(world: Province) -> None:
    d = to_last_step(world, receive(world, at=vn(2026, 2, 12, 10)), at=vn(2026, 2, 12, 11))
    d = services.dossier_finish(dossier=d, actor=world.processor_a, at=vn(2026, 3, 30, 9), results=[
        services.ResultInput(procedure_result=world.result, code="KS", upload=services.UploadInput(
            TINY_PDF, "kq.pdf"), signed=True)])
    assert IndicatorRollup.objects.filter(metric="open", grain=Grain.OPEN_DUE, denominator__gt=0).count() == 0
    # Received in February, finished in March, late (the deadline was in February).
    assert cell("ontime", period_start=dt.date(2026, 3, 1)) == (0, 1)
    assert cell("results_e", period_start=dt.date(2026, 3, 1)) == (1, 1)
    assert cell("digitized", period_start=dt.date(2026, 2, 1))[1] == 1
    assert rollups_verify() == []


def test_a_failed_change_leaves_the_rollups_untouched(world: Province) -> None:
    d = receive(world, at=vn(2026, 2, 12, 10))
    before = rollup_table()
    with pytest.raises(DomainError):
        services.dossier_finish(dossier=d, actor=world.counter_a, at=vn(2026, 2, 13), results=[])
    assert rollup_table() == before


def test_rebuild_equals_incremental_and_verify_spots_tampering(world: Province) -> None:
    for day in (12, 13, 16):
        receive(world, at=vn(2026, 2, day, 10))
    incremental = rollup_table()
    summary = rollups_rebuild()
    assert summary.dossiers == 3 and rollup_table() == incremental
    IndicatorRollup.objects.filter(metric="received", grain=Grain.MONTH).update(numerator=99)
    problems = rollups_verify()
    assert problems and "received" in problems[0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(histories=st.lists(
    st.tuples(st.integers(min_value=0, max_value=40),
              st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=1, max_value=200)), max_size=7)),
    min_size=1, max_size=4))
def test_random_histories_rollups_equal_the_rebuild(world: Province, histories: list[Any]) -> None:
    for start_day, steps in histories:
        at = vn(2026, 1, 5, 8) + dt.timedelta(days=start_day)
        d = receive(world, at=at)
        for action, hours in steps:
            at = at + dt.timedelta(hours=hours)
            d = apply(world, d, action, at)
    incremental = rollup_table()
    states = dict(DossierRollupState.objects.values_list("dossier_id", "facts"))
    rollups_rebuild()
    assert rollup_table() == incremental
    assert dict(DossierRollupState.objects.values_list("dossier_id", "facts")) == states
    assert Dossier.objects.filter(status=Status.RECEIVED).count() >= 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers with IMMEDIATE transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_to_the_same_cells_lose_nothing() -> None:
    """Six threads receive, finish and sync dossiers of one agency on one day at once: every roll-up
    cell they share ends equal to the rebuild (no lost update, no deadlock)."""
    world = build_province()
    threads, per_thread = 6, 4
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                d = receive(world, at=vn(2026, 2, 12, 9, n * per_thread + i))
                services.dossier_mark_synced(dossier_ids=[d.pk], at=vn(2026, 2, 12, 12))
                if i % 2:
                    apply(world, d, "to_last_step", vn(2026, 2, 12, 13))
                    apply(world, d, "finish", vn(2026, 2, 12, 14))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=180)
    assert not errors, errors
    assert cell("received", period_start=dt.date(2026, 2, 1)) == (threads * per_thread, threads * per_thread)
    assert cell("sync", period_start=dt.date(2026, 2, 1)) == (threads * per_thread, threads * per_thread)
    assert rollups_verify() == []


def test_an_import_adds_only_what_it_wrote(db: Any, tmp_path: Any) -> None:
    """After a historical import the roll-ups gain the imported dossiers (its id range) and nothing else is
    recomputed: the dossiers already there keep their state row untouched. Running the projector again (a
    rerun of an import whose roll-up step failed) changes nothing."""
    import datetime as dt_mod

    from chinhquyenso.core import projectors
    from chinhquyenso.dossiers import importing
    from chinhquyenso.dossiers.generate import dossiers_generate
    from chinhquyenso.procedures.services import procedures_load_demo
    from chinhquyenso.units.services import units_load_an_giang

    units_load_an_giang()
    procedures_load_demo()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    dossiers_generate(count=40, year=2025, seed=21, out=first, with_feedback=False)
    dossiers_generate(count=60, year=2026, seed=22, out=second, with_feedback=False)
    importing.dossiers_import(path=first)
    assert DossierRollupState.objects.count() == 40 and rollups_verify() == []
    stamp = dt_mod.datetime(2020, 1, 1, tzinfo=dt_mod.UTC)
    DossierRollupState.objects.update(updated_at=stamp)  # mark the states the first import left

    report = importing.dossiers_import(path=second)
    assert report.imported == 60 and report.finished is not None
    assert DossierRollupState.objects.count() == 100
    assert DossierRollupState.objects.filter(updated_at=stamp).count() == 40  # not recomputed
    assert rollups_verify() == []
    before = rollup_table()
    projectors.dispatch(importing.STREAM, report.finished)  # again: every dossier in the range has a state
    assert rollup_table() == before and DossierRollupState.objects.count() == 100

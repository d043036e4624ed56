"""``bench.inbox`` at a tiny size, so the benchmark does not rot: the generator writes what it claims and the
measured pages are real pages with rows on them (timings are never asserted)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from bench import inbox
from chinhquyenso.dossiers import selectors
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.units.models import Agency

pytestmark = pytest.mark.django_db

N = 500


@pytest.fixture
def demo() -> None:
    call_command("demo", "--no-dossiers", stdout=StringIO())


def test_generate_writes_open_dossiers_spread_over_the_demo(demo: None) -> None:
    now = dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC)
    rate = inbox.generate(N, seed=3, now=now)
    assert rate > 0
    rows = list(Dossier.objects.values("status", "agency_id", "receiving_agency_id", "due_at", "clock_paused_at",
                                       "search_text", "code", "received_at", "current_step_id"))
    assert len(rows) == N and len({r["code"] for r in rows}) == N
    assert {r["status"] for r in rows} <= set(inbox.OPEN_STATUSES) and len({r["status"] for r in rows}) >= 3
    assert len({r["agency_id"] for r in rows}) >= 20  # spread, not one agency
    assert all(r["received_at"] < r["due_at"] for r in rows)
    overdue = sum(1 for r in rows if r["due_at"] < now and r["clock_paused_at"] is None)
    assert 0 < overdue < N // 2
    assert all((r["clock_paused_at"] is not None) == (r["status"] == 5) for r in rows)
    assert all(r["current_step_id"] is not None for r in rows)
    assert all(r["search_text"] and r["search_text"] == r["search_text"].lower() for r in rows)
    # deterministic for a seed and a moment
    first = list(inbox._rows(5, seed=3, now=now))
    assert first == list(inbox._rows(5, seed=3, now=now)) and first != list(inbox._rows(5, seed=4, now=now))


def test_measure_times_real_pages_with_rows(demo: None) -> None:
    inbox.generate(N, seed=3)
    agency = Agency.objects.get(code=inbox.COMMUNE_AGENCY)
    here = Dossier.objects.filter(agency=agency).count()
    assert here > 0
    timings = inbox.measure(samples=2, depth=10)
    by_label = {t.label.split("  ")[0]: t for t in timings}
    assert all(len(t.latencies) == 2 and all(x > 0 for x in t.latencies) for t in timings)
    assert [t.baseline for t in timings].count(True) == 3
    assert by_label["SELECT agency_id=? AND status IN open ORDER BY due_at,id LIMIT 50"].rows == min(50, here)
    from chinhquyenso.accounts.models import User

    officer = User.objects.get(username=inbox.OFFICER)
    in_scope = len(selectors.dossier_inbox(officer, limit=50).items)
    assert by_label["GET /ho-so/?viec="].rows == in_scope > 0
    assert by_label["GET /  (home page: count badges)".split("  ")[0]].rows > 0
    print("\n".join(t.line() for t in timings))


def test_command_line_rejects_nonsense() -> None:
    with pytest.raises(SystemExit):
        inbox.main(["--dossiers", "0"])
    with pytest.raises(SystemExit):
        inbox.main(["--db", "oracle"])

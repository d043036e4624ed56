"""The lookup rate limit is counted in the database, so separate web processes share one budget
(with a per-process cache, N gunicorn workers would allow N times the limit)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from chinhquyenso.citizens import ratelimit
from chinhquyenso.citizens.models import RateLimitCounter

ROOT = Path(__file__).resolve().parents[2]
HITS_PER_PROCESS = 25
LIMIT = 30

#: A separate Python process: Django set up from the environment, then HITS_PER_PROCESS hits on one
#: key once the start file appears (so the two processes overlap); prints how many were allowed.
CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyenso.settings")
    django.setup()
    from django.db import connection
    from chinhquyenso.citizens import ratelimit
    from chinhquyenso.citizens.models import RateLimitCounter
    if sys.argv[1] == "create":
        with connection.schema_editor() as editor:
            editor.create_model(RateLimitCounter)
        sys.exit(0)
    if sys.argv[1] == "count":
        print(RateLimitCounter.objects.get(bucket="test", who="198.51.100.9").count)
        sys.exit(0)
    start = Path(sys.argv[2])
    deadline = time.monotonic() + 60
    while not start.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    allowed = sum(ratelimit.allow("test", "198.51.100.9", limit=int(sys.argv[3]), window=3600)
                  for _ in range(int(sys.argv[4])))
    print(allowed)
""")


def _child_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "CHINHQUYENSO_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1",
           "CHINHQUYENSO_LOG_LEVEL": "ERROR"}
    if connection.vendor == "postgresql":  # the live test database itself
        s = connection.settings_dict
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    else:  # SQLite's test database is in memory: the children share a database file of their own
        env.pop("DATABASE_URL", None)
    return env


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_budget(tmp_path: Path) -> None:
    env = _child_env(tmp_path)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    if connection.vendor != "postgresql":
        subprocess.run([sys.executable, str(script), "create"], env=env, cwd=ROOT, check=True, timeout=120)
    start = tmp_path / "start"
    procs = [subprocess.Popen([sys.executable, str(script), "hit", str(start), str(LIMIT), str(HITS_PER_PROCESS)],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    time.sleep(1.0)  # both are importing Django; the file releases them together
    start.touch()
    allowed = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        allowed.append(int(out.strip().splitlines()[-1]))
    # one budget: exactly LIMIT hits allowed in total, however the two processes interleaved
    assert sum(allowed) == LIMIT, allowed
    counted = subprocess.run([sys.executable, str(script), "count"], env=env, cwd=ROOT, check=True, timeout=120,
                             capture_output=True, text=True)
    assert int(counted.stdout.strip().splitlines()[-1]) == 2 * HITS_PER_PROCESS  # no hit lost to a race


@pytest.mark.django_db
def test_counter_rows_are_per_window_and_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_800_000_000.0]

    class Clock:
        @staticmethod
        def time() -> float:
            return now[0]

    monkeypatch.setattr(ratelimit, "time", Clock)
    assert [ratelimit.hit("lookup", "203.0.113.1") for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("lookup", "203.0.113.2") == 1  # another address, its own row
    assert RateLimitCounter.objects.count() == 2
    assert ratelimit.prune() == 0  # the window is not over yet
    now[0] += ratelimit.WINDOW_SECONDS
    assert ratelimit.hit("lookup", "203.0.113.1") == 1  # a new window starts from zero
    assert ratelimit.prune() == 2  # the old window's rows go
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]


def test_the_prune_job_is_registered() -> None:
    from chinhquyenso.core import jobs

    assert "citizens-ratelimit-prune" in {job.name for job in jobs.registered()}

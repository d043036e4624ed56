"""Fault campaign (issue 6), small enough for ``make test``; the full 2,000-dossier run is ``bench/faults.py``.

The campaign (``tests/integration/campaign.py``) drives seeded random dossier lifecycles while a REAL
worker process delivers the outbox to our mock national portal over loopback HTTP with faults on (30%
HTTP 500, timeouts, garbled answers, an outage, latency), kills that worker with SIGKILL while it holds
claims and starts a new one. Afterwards every dossier's latest state at the mock equals ours, every
event was applied once and in order, nothing went to the dead letters.

- PostgreSQL: the campaign runs here, on the live test database; the worker process connects to it.
- SQLite: pytest-django's test database lives in memory, which no other process can see. The test
  copies its (empty, migrated) schema to a FILE (``VACUUM INTO``, WAL mode on open) and runs the same
  campaign in a child process (``python -m bench.faults --inner``) whose settings point at that file;
  the worker is a third process on the same file, killed for real.

``CHINHQUYENSO_FAULT_DOSSIERS`` sets the number of dossiers (default ``DEFAULT_DOSSIERS``),
``CHINHQUYENSO_FAULT_TIME_LIMIT`` the seconds before the campaign gives up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from chinhquyenso.integration.conf import DeliveryPolicy
from tests.integration.campaign import POLICY_ENV, REPO, run_campaign

DEFAULT_DOSSIERS = 60
DOSSIERS = int(os.environ.get("CHINHQUYENSO_FAULT_DOSSIERS", "") or DEFAULT_DOSSIERS)
SEED = int(os.environ.get("CHINHQUYENSO_FAULT_SEED", "") or 20250917)
HARD_LIMIT_SECONDS = float(os.environ.get("CHINHQUYENSO_FAULT_TIME_LIMIT", "") or 420)


def _assert_converged(result: dict[str, Any]) -> None:
    assert result["problems"] == [], result["problems"]
    assert result["dossiers"] == DOSSIERS
    assert result["duplicates_applied"] == 0 and result["order_violations"] == 0
    assert result["state_mismatches"] == 0 and result["dead"] == 0
    assert result["killed_claims"] and result["killed_claims_taken_over"] == result["killed_claims"]
    assert result["worker_ids"] == 2  # the killed worker and its replacement both delivered
    assert result["attempts"] > result["messages"]  # faults forced retries


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: the campaign on the live test database")
@pytest.mark.django_db(transaction=True)
def test_every_dossier_converges_under_faults_and_a_killed_worker_postgresql(tmp_path: Path) -> None:
    from dataclasses import asdict

    result = run_campaign(dossiers=DOSSIERS, seed=SEED, time_limit=HARD_LIMIT_SECONDS, log_dir=tmp_path)
    print("fault campaign:", {k: v for k, v in asdict(result).items() if k != "problems"})
    _assert_converged(asdict(result))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: the campaign on a file database")
@pytest.mark.django_db(transaction=True)
def test_every_dossier_converges_under_faults_and_a_killed_worker_sqlite(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with connection.cursor() as cursor:  # the migrated, empty test schema, as a file another process can open
        cursor.execute("VACUUM INTO %s", [str(data_dir / "db.sqlite3")])
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env.update({"CHINHQUYENSO_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.faults", "--inner", "--dossiers", str(DOSSIERS), "--seed", str(SEED),
         "--time-limit", str(HARD_LIMIT_SECONDS), "--json", str(out)],
        env=env, cwd=str(REPO), capture_output=True, text=True, timeout=HARD_LIMIT_SECONDS + 120, check=False,
    )
    assert out.exists(), f"campaign crashed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    print("fault campaign:", {k: v for k, v in result.items() if k != "problems"})
    _assert_converged(result)


def test_policy_env_matches_the_campaign_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker processes run the campaign with exactly these delivery knobs."""
    for name, value in POLICY_ENV.items():
        monkeypatch.setenv(name, value)
    policy = DeliveryPolicy.from_env()
    expected = DeliveryPolicy(backoff_base_seconds=0.05, backoff_max_seconds=0.4, max_attempts=100000,
                              max_age_seconds=86400, circuit_failures=5, circuit_cooldown_seconds=0.3,
                              claim_seconds=2, concurrency=8, rng=policy.rng)
    assert policy == replace(expected)

"""The 766 scorecard of every unit from the roll-ups, beside a plain GROUP BY over the dossier table.

    python -m bench.scorecard [--db sqlite|postgresql|both] [--dossiers N] [--seed S] [--repeat R]

Per database, in one run: a fresh database with the An Giang units and the demo catalog, ``generate``
writes a province-year of N dossiers, ``import-dossiers`` loads them (and rebuilds the roll-ups). Then,
in one process:

* **roll-ups**: the full scorecard for all units — ``ranking`` of every agency in force plus the
  province card — for the year (median of R runs);
* **GROUP BY**: one plain SQL query over ``dossiers_dossier`` computing per agency the received, online,
  synced and closed-on-time counts of the year (median of R runs); the received/online/synced counts
  are checked equal to the roll-up sums of every agency;
* **event → scorecard**: a real service call (``dossier_mark_synced`` on one unsynced dossier) followed
  by reading that agency's scorecard, until the scorecard shows it (it does on the first read: the
  roll-up changes in the service's transaction); p50/p99 over 20 dossiers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import cli, database, machine, percentile

YEAR = 2026


def measure(repeat: int) -> dict[str, Any]:
    """Runs inside a process whose environment points at the benchmark database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyenso.settings")
    django.setup()
    from datetime import UTC, datetime

    from django.db import connection

    from chinhquyenso.dossiers import services
    from chinhquyenso.dossiers.models import Dossier
    from chinhquyenso.indicators.rollups import LOCAL_TZ
    from chinhquyenso.indicators.scorecards import (
        agency_target,
        agency_targets,
        metric_sums,
        province_target,
        ranking,
        scorecards,
        window_for,
        year_range,
    )
    from chinhquyenso.units.models import Agency
    from chinhquyenso.units.selectors import province_current

    start, end = year_range(YEAR)
    window = window_for(start, end)
    infos = agency_targets(on=window.judged_on)
    province = province_target(province_current(on=window.judged_on))

    rollup_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ranked = ranking(window, infos)
        card = scorecards(window, [province])[0]
        rollup_times.append(time.perf_counter() - t0)

    lo = datetime(YEAR, 1, 1, tzinfo=LOCAL_TZ)
    hi = datetime(YEAR + 1, 1, 1, tzinfo=LOCAL_TZ)
    table = connection.ops.quote_name(Dossier._meta.db_table)
    sql = (
        f"SELECT agency_id, COUNT(*), "  # noqa: S608 — table name is a constant
        "SUM(CASE WHEN channel = 2 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN national_synced_at IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status IN (9, 10) AND finished_at <= original_due_at THEN 1 ELSE 0 END) "
        f"FROM {table} WHERE received_at >= %s AND received_at < %s GROUP BY agency_id"
    )
    sql_times = []
    rows: list[tuple[Any, ...]] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [lo.astimezone(UTC), hi.astimezone(UTC)])
            rows = list(cursor.fetchall())
        sql_times.append(time.perf_counter() - t0)

    # The same numbers from the roll-ups, agency by agency.
    every = [agency_target(a) for a in Agency.objects.filter(pk__in=[r[0] for r in rows])]
    sums = metric_sums(window, [i.target for i in every])
    mismatches = 0
    for agency_id, received, online, synced, _ontime in rows:
        s = sums[f"agency:{agency_id}"]
        if (s.get("received")[1], s.get("online")[0], s.get("sync")[0]) != (received, online, synced):
            mismatches += 1

    # Event → scorecard delay.
    delays = []
    candidates = list(Dossier.objects.filter(national_synced_at__isnull=True, received_at__gte=lo, received_at__lt=hi)
                      .order_by("pk").values_list("pk", "agency_id")[:20])
    for pk, agency_id in candidates:
        info = agency_target(Agency.objects.get(pk=agency_id))
        before = scorecards(window, [info])[0].line("DOSSIER_SYNC").result.numerator or 0
        t0 = time.perf_counter()
        services.dossier_mark_synced(dossier_ids=[pk], at=datetime.now(UTC))
        while True:
            after = scorecards(window, [info])[0].line("DOSSIER_SYNC").result.numerator or 0
            if after == before + 1:
                break
            if time.perf_counter() - t0 > 60:
                raise RuntimeError("scorecard did not reflect the event within 60 s")
        delays.append(time.perf_counter() - t0)

    return {
        "dossiers": Dossier.objects.count(),
        "agencies": len(infos),
        "ranked": len(ranked),
        "province_total": str(card.total),
        "rollup_s": statistics.median(rollup_times),
        "sql_s": statistics.median(sql_times),
        "sql_agencies": len(rows),
        "mismatches": mismatches,
        "delay_p50_ms": percentile(delays, 50) * 1000,
        "delay_p99_ms": percentile(delays, 99) * 1000,
        "delay_samples": len(delays),
    }


def run(kind: str, dossiers: int, seed: int, repeat: int) -> dict[str, Any]:
    with database(kind, f"scorecard_{kind}") as env:
        cli(env, "migrate", "--noinput")
        cli(env, "load-units")
        cli(env, "load-procedures-demo")
        source = Path(tempfile.mkdtemp(prefix="cqs-scorecard-")) / "dossiers.jsonl"
        t0 = time.perf_counter()
        cli(env, "generate", "--dossiers", str(dossiers), "--year", str(YEAR), "--seed", str(seed),
            "--out", str(source))
        generated = time.perf_counter() - t0
        t0 = time.perf_counter()
        cli(env, "import-dossiers", str(source), "--no-progress")
        imported = time.perf_counter() - t0
        source.unlink(missing_ok=True)
        result = subprocess.run([sys.executable, "-m", "bench.scorecard", "--measure", "--repeat", str(repeat)],
                                env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"measure failed:\n{result.stdout}\n{result.stderr}")
        figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    figures.update(kind=kind, generate_s=generated, import_and_rebuild_s=imported)
    print(f"[{kind}] {figures['dossiers']:,} dossiers (generate {generated:.0f} s, import + roll-up rebuild "
          f"{imported:.0f} s)")
    print(f"[{kind}] full scorecard, {figures['agencies']} agencies + province, from roll-ups: "
          f"{figures['rollup_s'] * 1000:,.0f} ms (median of {repeat})")
    print(f"[{kind}] plain GROUP BY over the dossier table ({figures['sql_agencies']} agencies, 4 counts): "
          f"{figures['sql_s'] * 1000:,.0f} ms; roll-up sums differ for {figures['mismatches']} agencies")
    print(f"[{kind}] dossier event → scorecard shows it: p50 {figures['delay_p50_ms']:.1f} ms, "
          f"p99 {figures['delay_p99_ms']:.1f} ms ({figures['delay_samples']} events)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeat)))
        return
    print(f"bench.scorecard on {machine()}")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.dossiers, args.seed, args.repeat)


if __name__ == "__main__":
    main()

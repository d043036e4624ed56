"""Historical dossier import (``import-dossiers``) beside the database's own bulk load of the same rows.

    python -m bench.import [--db sqlite|postgresql|both] [--dossiers N] [--seed S] [--workers W]

Per database, in one run: a fresh database with the An Giang units and catalog, ``generate`` writes N
dossiers (JSON Lines), ``import-dossiers`` loads them (parse, validate, map units, COPY/executemany of
dossiers, components, fees, results, supplements and events). The baseline then loads **the same rows**,
read back from the tables the import filled, into scratch copies of those tables (same columns and
indexes, no foreign keys): PostgreSQL ``COPY … FROM STDIN`` of pre-rendered text, or SQLite
``executemany``. The figure is dossiers/s of the import beside dossiers/s of the bare bulk load.
The roll-up step the import triggers at the end (adding the imported id range) is in the wall figure only.
``--workers W`` passes ``--workers W`` to ``import-dossiers`` on PostgreSQL (SQLite always imports with one).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import cli, database, machine

TABLES = ["dossiers_dossier", "dossiers_dossiercomponent", "dossiers_dossierfee", "dossiers_dossierresult",
          "dossiers_dossiersupplement", "dossiers_dossierevent"]
_RATE = re.compile(r"trong ([\d.,]+) giây")


def run_import(env: dict[str, str], path: Path, workers: int = 1) -> tuple[float, float, str]:
    """(import seconds as the importer measures it, wall seconds incl. start-up and roll-up step, output)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "chinhquyenso", "import-dossiers", str(path), "--no-progress",
                             "--workers", str(workers)], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"import failed:\n{result.stdout}\n{result.stderr}")
    match = _RATE.search(result.stdout)
    seconds = float(match.group(1).replace(".", "").replace(",", ".")) / 10 if match else wall
    return seconds, wall, result.stdout.strip()


def pg_baseline(url: str) -> tuple[float, dict[str, int]]:
    import psycopg

    counts: dict[str, int] = {}
    buffers: dict[str, bytes] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            out = io.BytesIO()
            with conn.cursor() as cur, cur.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    out.write(chunk)
            buffers[table] = out.getvalue()
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            counts[table] = int(row[0]) if row else 0
            conn.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for table in TABLES:
                with cur.copy(f"COPY scratch_{table} FROM STDIN") as copy:
                    data = buffers[table]
                    for i in range(0, len(data), 1 << 20):
                        copy.write(data[i:i + (1 << 20)])
        seconds = time.perf_counter() - start
        for table in TABLES:
            conn.execute(f"DROP TABLE scratch_{table}")
    return seconds, counts


def sqlite_baseline(path: Path) -> tuple[float, dict[str, int]]:
    lite = sqlite3.connect(path, isolation_level=None)
    lite.execute("PRAGMA journal_mode=WAL")
    lite.execute("PRAGMA synchronous=NORMAL")
    rows: dict[str, list[tuple[object, ...]]] = {}
    for table in TABLES:
        rows[table] = lite.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
        sql = lite.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()[0]
        lite.execute(re.sub(r"REFERENCES \"?\w+\"? \(\"?\w+\"?\)( DEFERRABLE INITIALLY DEFERRED)?", "",
                            sql.replace(f'"{table}"', f'"scratch_{table}"', 1)))
        for (index_sql,) in lite.execute("SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND "
                                         "sql IS NOT NULL", (table,)).fetchall():
            lite.execute(re.sub(r'INDEX "?(\w+)"? ON "?' + table + '"?', rf'INDEX "scratch_\1" ON "scratch_{table}"',
                                index_sql, count=1))
    start = time.perf_counter()
    lite.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        if rows[table]:
            marks = ",".join("?" * len(rows[table][0]))
            lite.executemany(f"INSERT INTO scratch_{table} VALUES ({marks})", rows[table])  # noqa: S608
    lite.execute("COMMIT")
    seconds = time.perf_counter() - start
    for table in TABLES:
        lite.execute(f"DROP TABLE scratch_{table}")
    lite.close()
    return seconds, {t: len(r) for t, r in rows.items()}


def run(kind: str, dossiers: int, seed: int, workers: int = 1) -> dict[str, object]:
    with database(kind, "import") as env, tempfile.TemporaryDirectory(prefix="cqs-bench-import-") as tmp:
        cli(env, "migrate", "--noinput")
        cli(env, "load-units")
        cli(env, "load-procedures-demo")
        source = Path(tmp) / "year.jsonl"
        t0 = time.perf_counter()
        cli(env, "generate", "--dossiers", str(dossiers), "--year", "2026", "--seed", str(seed), "--out", str(source))
        generated = time.perf_counter() - t0
        workers = workers if kind == "postgresql" else 1
        seconds, wall, output = run_import(env, source, workers)
        if kind == "postgresql":
            base_seconds, counts = pg_baseline(env["DATABASE_URL"])
            label = "PostgreSQL COPY FROM STDIN of the same rows"
        else:
            base_seconds, counts = sqlite_baseline(Path(env["CHINHQUYENSO_DATA_DIR"]) / "db.sqlite3")
            label = "SQLite executemany of the same rows"
    rows = sum(counts.values())
    rate = dossiers / seconds
    base = counts["dossiers_dossier"] / base_seconds
    print(f"[{kind}] {output}")
    print(f"[{kind}] generate: {dossiers / generated:,.0f} dossiers/s; file {source.name}")
    print(f"[{kind}] import-dossiers --workers {workers}: {rate:,.0f} dossiers/s ({rows / seconds:,.0f} rows/s over "
          f"{rows:,} rows in 6 tables); wall incl. start-up and roll-ups {wall:.1f} s")
    print(f"[{kind}] baseline, {label}: {base:,.0f} dossiers/s ({rows / base_seconds:,.0f} rows/s)")
    print(f"[{kind}] ratio import/baseline: {rate / base:.2f}")
    return {"db": kind, "import": rate, "baseline": base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--dossiers", type=int, default=int(os.environ.get("BENCH_IMPORT_DOSSIERS", "50000")))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="import-dossiers --workers on PostgreSQL")
    args = parser.parse_args()
    print(f"bench.import on {machine()}")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.dossiers, args.seed, args.workers)


if __name__ == "__main__":
    main()

"""Dossier receipts per second through the HTTP API, beside the database's raw single-row insert rate.

    python -m bench.intake [--db sqlite|postgresql|both] [--requests N] [--clients C]

Both figures come from the same database in the same run: the baseline commits one small row per
transaction from one client (the floor any receipt pays: one durable write); the API figure is full
receipts (validation, scope check, code counter, dossier + components + fees, event, audit chain,
outbox projector) from C concurrent clients over HTTP against gunicorn. The ratio is the figure.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from bench.common import cli, database, machine, server, summary_ms

PROCEDURE = "1.001193"  # Đăng ký khai sinh (commune level)
AGENCY = "H01.30337"  # UBND Xã An Phú


def raw_insert_rate(env: dict[str, str], rows: int) -> float:
    """One row per committed transaction, on the same database and settings the app uses."""
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, payload text, created_at timestamptz)")
            start = time.perf_counter()
            for i in range(rows):
                conn.execute("INSERT INTO bench_raw (payload, created_at) VALUES (%s, now())", (f"row {i}",))
            return rows / (time.perf_counter() - start)
    path = Path(env["CHINHQUYENSO_DATA_DIR"]) / "db.sqlite3"
    lite = sqlite3.connect(path, isolation_level=None)
    lite.execute("PRAGMA journal_mode=WAL")
    lite.execute("PRAGMA synchronous=NORMAL")
    lite.execute("CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, payload TEXT, created_at TEXT)")
    start = time.perf_counter()
    for i in range(rows):
        lite.execute("BEGIN IMMEDIATE")
        lite.execute("INSERT INTO bench_raw (payload, created_at) VALUES (?, datetime('now'))", (f"row {i}",))
        lite.execute("COMMIT")
    rate = rows / (time.perf_counter() - start)
    lite.close()
    return rate


def receipt_body(i: int, component_codes: list[str]) -> dict[str, object]:
    return {
        "procedure_code": PROCEDURE,
        "agency_code": AGENCY,
        "applicant": {"name": f"Người nộp {i}", "id_number": f"0892{i:08d}", "phone": "0912345678",
                      "address": "Xã An Phú, tỉnh An Giang"},
        "components": [{"procedure_component_code": code, "copy_type": "original"} for code in component_codes],
        "summary": "Đăng ký khai sinh",
    }


def required_components(base: str) -> list[str]:
    procedure = httpx.get(f"{base}/api/v1/procedures/{PROCEDURE}", timeout=30).json()
    return [c["code"] for c in procedure["components"] if c.get("required", True)]


def api_rate(base: str, token: str, requests: int, clients: int) -> tuple[float, list[float], int]:
    codes = required_components(base)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    start_ns = time.time_ns()

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                response = client.post("/api/v1/dossiers", json=receipt_body(i, codes),
                                       headers={"Idempotency-Key": f"bench-{i}-{start_ns}"})
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 201 and response.status_code != 200:
                        errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return requests / (time.perf_counter() - start), latencies, errors


def run(kind: str, requests: int, clients: int) -> dict[str, object]:
    with database(kind, "intake") as env:
        cli(env, "migrate", "--noinput")
        cli(env, "demo", "--no-dossiers")
        token = cli(env, "create-token", "anphu.motcua").strip().splitlines()[-1].strip()
        raw = raw_insert_rate(env, max(500, requests))
        with server(env, workers=2) as base:
            api_rate(base, token, 20, 2)  # warm-up: imports, caches, connections
            rate, latencies, errors = api_rate(base, token, requests, clients)
    print(f"[{kind}] raw single-row insert: {raw:,.0f} rows/s")
    print(f"[{kind}] API receipts ({clients} clients, {requests} requests): {rate:,.1f} dossiers/s, "
          f"{summary_ms(latencies)}, errors {errors}")
    print(f"[{kind}] ratio API/raw: {rate / raw:.5f} (one receipt costs as much as {raw / rate:,.0f} bare inserts)")
    return {"db": kind, "raw": raw, "api": rate, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", "600")))
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(f"bench.intake on {machine()}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        run(kind, args.requests, args.clients)


if __name__ == "__main__":
    main()

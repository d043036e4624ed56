"""Shared plumbing for the benchmarks: a fresh database, the demo data, a real server on loopback.

Every benchmark runs against ``127.0.0.1`` only and stops what it started.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(latencies: list[float]) -> str:
    return (f"p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
            f"mean {statistics.fmean(latencies) * 1000:.1f} ms" if latencies else "no samples")


@contextmanager
def database(kind: str, name: str) -> Iterator[dict[str, str]]:
    """A fresh database of ``kind`` ("sqlite" or "postgresql"); yields the environment to use it."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"cqs-bench-{name}-"))
    env = {**os.environ, "CHINHQUYENSO_DATA_DIR": str(data_dir), "CHINHQUYENSO_LOG_LEVEL": "WARNING",
           "CHINHQUYENSO_DEBUG": "0"}
    env.pop("DATABASE_URL", None)
    db_name = f"bench_{name}"
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
            conn.execute(f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name
    try:
        yield env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chinhquyenso", *args], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"chinhquyenso {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def server(env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chinhquyenso", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

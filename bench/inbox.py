"""The officer inbox page with a million open dossiers, beside the plain indexed SQL in the same run.

    python -m bench.inbox [--db sqlite|postgresql|both] [--dossiers N] [--samples S] [--seed S]

For each database: a fresh database, ``migrate``, the An Giang demo (units, agencies, catalog, one
account per role, no sample dossiers), then N open dossiers bulk-inserted (``COPY`` on PostgreSQL,
``executemany`` on SQLite) spread over the demo agencies and procedures with skewed popularity and
realistic due dates (some overdue, some paused for a supplement). Then, in one process, the pages
an officer of Xã An Phú opens, as real HTTP GETs through Django's test client (URL routing,
middleware, session + TOTP check, the view, the template), p50/p95 over S samples:

* the inbox as it opens ("waiting for me"), all dossiers in scope, a deep cursor page, ``overdue``;
* the home page with its count badges; the REST list ``GET /api/v1/dossiers?due=overdue``;

and the baseline, measured on the same connection in the same run: the plain indexed SQL an inbox
cannot beat, ``SELECT … WHERE agency_id = ? AND status IN (open) ORDER BY due_at, id LIMIT 50``
(first page, a deep keyset page, overdue).

The measuring half runs in a child process (``--measure``), so each database gets its own Django
set-up. :func:`generate` and :func:`measure` are importable: ``tests/bench`` runs them on 200 rows.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.common import database, machine, percentile

COMMUNE_AGENCY = "H01.30337"  # UBND Xã An Phú, the demo commune
OFFICER = "anphu.chuyenvien"  # processing officer of the demo commune
OPEN_STATUSES = (2, 4, 5, 6, 9)  # received, processing, supplement, payment, finished (to return)
STATUS_WEIGHTS = {2: 0.14, 4: 0.62, 5: 0.07, 6: 0.03, 9: 0.14}
PROVINCE_SHARE = 0.18  # share of dossiers on provincial procedures (handled by a Sở)
BATCH = 20_000

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ",
            "Ngô", "Hồ", "Dương", "Lâm", "Thạch", "Danh", "Châu", "Quách"]
MIDDLES = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Quốc", "Thị Kim", "Hoàng", "Công"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Ngân", "Nhung", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
         "Uyên", "Vy", "Xuân", "Yến"]

COLUMNS = (
    "code", "procedure_id", "process_version_id", "current_step_id", "agency_id", "receiving_agency_id", "unit_id",
    "channel", "status", "version", "applicant_type", "applicant_name", "applicant_id_number", "applicant_phone",
    "applicant_email", "applicant_address", "summary", "submitted_at", "received_at", "due_at", "original_due_at",
    "finished_at", "clock_paused_at", "supplement_count", "supplement_paused_seconds", "extension_count",
    "vneid_verified", "paid_online", "has_digitized", "has_reused", "used_population_data", "search_text",
    "created_at", "updated_at",
)


# --- Generation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Proc:
    id: int
    name: str
    level: str
    days: float  # time limit in calendar days (working days x 7/5)
    process_id: int | None
    steps: tuple[tuple[int, str], ...]  # (step id, role) in order
    handlers: tuple[tuple[int, int], ...]  # (agency id, unit id) of the Sở that handle it


def _catalog() -> tuple[list[_Proc], list[tuple[int, str, int]], int]:
    from chinhquyenso.procedures.models import Procedure, ProcessStep, ProcessVersion
    from chinhquyenso.units.models import Agency

    procs = []
    for p in Procedure.objects.prefetch_related("handling_agencies").order_by("code"):
        version = ProcessVersion.objects.filter(procedure=p).order_by("-version").first()
        steps = tuple(ProcessStep.objects.filter(process=version).order_by("order").values_list("id", "role")) \
            if version else ()
        unit = 7 / 5 if p.time_limit_unit == "working_day" else 1.0
        procs.append(_Proc(
            id=p.pk, name=p.name, level=p.level, days=max(0.5, float(p.time_limit_amount or 1) * unit),
            process_id=version.pk if version else None, steps=steps,
            handlers=tuple((a.pk, a.unit_id) for a in p.handling_agencies.all()),
        ))
    communes = list(Agency.objects.filter(kind="ubnd", valid_to__isnull=True).order_by("code")
                    .values_list("pk", "code", "unit_id"))
    centre = Agency.objects.filter(kind="ttpvhcc").values_list("pk", flat=True).first()
    if not procs or not communes or centre is None:
        raise RuntimeError("load the demo first: chinhquyenso demo --no-dossiers")
    return procs, communes, centre


def _zipf(n: int, s: float, rng: random.Random) -> list[float]:
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1 / (r ** s) for r in ranks]


def _rows(n: int, *, seed: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """``n`` open dossiers as tuples in :data:`COLUMNS` order; deterministic for ``seed`` and ``now``.

    Reads the catalog before yielding the first row (the caller may then stream into ``COPY`` on the
    same connection, which allows no other query until it ends)."""
    from chinhquyenso.units.models import Agency

    procs, communes, centre = _catalog()
    sos = list(Agency.objects.filter(kind="so").values_list("pk", "unit_id"))
    return _make_rows(n, seed=seed, now=now, procs=procs, communes=communes, centre=centre, sos=sos)


def _make_rows(n: int, *, seed: int, now: datetime, procs: list[_Proc], communes: list[tuple[int, str, int]],
               centre: int, sos: list[tuple[int, int]]) -> Iterator[tuple[Any, ...]]:
    from chinhquyenso.core.text import fold

    rng = random.Random(seed)
    commune_procs = [p for p in procs if p.level == "commune"]
    province_procs = [p for p in procs if p.level != "commune"] or commune_procs
    commune_w = _zipf(len(communes), 0.6, rng)
    anphu = next((i for i, c in enumerate(communes) if c[1] == COMMUNE_AGENCY), None)
    if anphu is not None:  # the measured commune is a busy one, not the quietest
        commune_w[anphu] = sorted(commune_w)[len(commune_w) * 3 // 4]
    cp_w = _zipf(len(commune_procs), 1.1, rng)
    pp_w = _zipf(len(province_procs), 0.9, rng)
    statuses = list(STATUS_WEIGHTS)
    status_w = list(STATUS_WEIGHTS.values())
    cum_commune = _cumulative(commune_w)
    cum_cp, cum_pp, cum_status = _cumulative(cp_w), _cumulative(pp_w), _cumulative(status_w)
    day = 86_400.0
    folded: dict[str, str] = {}
    for i in range(n):
        province = rng.random() < PROVINCE_SHARE
        if province:
            proc = province_procs[_pick(cum_pp, rng)]
            agency_id, unit_id = rng.choice(proc.handlers or sos)
            receiving = centre
            prefix = "H01.20"
        else:
            proc = commune_procs[_pick(cum_cp, rng)]
            agency_id, prefix, unit_id = communes[_pick(cum_commune, rng)]
            receiving = agency_id
        status = statuses[_pick(cum_status, rng)]
        # Age since receipt: most inside the time limit, a tail beyond it (overdue ~ 12 %).
        age = proc.days * day * min(rng.random() ** 0.8 * 1.12, 3.0)
        if rng.random() < 0.03:
            age += rng.uniform(1, 30) * day  # long-forgotten dossiers
        received = now - timedelta(seconds=age)
        due = received + timedelta(seconds=proc.days * day)
        paused = received + timedelta(seconds=age * rng.uniform(0.2, 0.9)) if status == 5 else None
        finished = now - timedelta(seconds=rng.uniform(0, min(age, 3 * day))) if status == 9 else None
        online = rng.random() < 0.35
        steps = proc.steps
        step = None
        if steps:
            if status == 9:
                step = steps[-1][0]
            elif status == 2:
                step = steps[min(1, len(steps) - 1)][0]
            else:
                step = steps[rng.randrange(1, max(2, len(steps) - 1))][0] if len(steps) > 1 else steps[0][0]
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"
        code = f"{prefix}-{received:%y%m%d}-B{i:07d}"
        summary = proc.name[:200]
        # = fold(f"{code} {name} {proc.name} {summary}") (Dossier.build_search_text), folded part by part
        # with a cache: fold is per character, and the parts are few.
        folded_name = folded.get(name) or folded.setdefault(name, fold(name))
        folded_proc = folded.get(summary) or folded.setdefault(summary, fold(f"{proc.name} {summary}"))
        search = f"{code.lower()} {folded_name} {folded_proc}"
        yield (
            code, proc.id, proc.process_id, step, agency_id, receiving, unit_id,
            2 if online else 1, status, 1, 1, name, f"0{rng.randrange(10**10, 10**11)}", "0912345678", "",
            "Tỉnh An Giang", summary, received if online else None, received, due, due, finished, paused,
            1 if status == 5 else 0, 0, 0, online, 0, False, False, False, search, received, now,
        )


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    out, run = [], 0.0
    for w in weights:
        run += w / total
        out.append(run)
    out[-1] = 1.0
    return out


def _pick(cumulative: list[float], rng: random.Random) -> int:
    return min(bisect_left(cumulative, rng.random()), len(cumulative) - 1)


def generate(n: int, *, seed: int = 8, now: datetime | None = None) -> float:
    """Bulk-insert ``n`` open dossiers on the default connection; returns rows per second.

    PostgreSQL: one ``COPY … FROM STDIN``; SQLite: ``executemany`` in batches of :data:`BATCH`. Both
    in one transaction, then ``ANALYZE`` (what autovacuum does on a live database after such a load)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from chinhquyenso.dossiers.models import Dossier

    moment = now or timezone.now()
    table = Dossier._meta.db_table
    start = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw = connection.cursor().cursor  # the psycopg cursor under Django's wrapper
            rows = _rows(n, seed=seed, now=moment)
            with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({values})"  # noqa: S608 - constants
            with connection.cursor() as cur:
                batch: list[tuple[Any, ...]] = []
                for row in _rows(n, seed=seed, now=moment):
                    batch.append(row)
                    if len(batch) >= BATCH:
                        cur.executemany(sql, batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
    rate = n / (time.perf_counter() - start)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return rate


# --- Measurement -----------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    latencies: list[float]
    rows: int  # rows on the page (or the count shown), to prove the page did real work
    baseline: bool = False

    def line(self) -> str:
        kind = "baseline" if self.baseline else "page"
        return (f"{kind:8} {self.label:<58} p50 {percentile(self.latencies, 50) * 1000:8.2f} ms   "
                f"p95 {percentile(self.latencies, 95) * 1000:8.2f} ms   rows {self.rows}")


def _timed(samples: int, fn: Callable[[], int], warmup: int = 2) -> tuple[list[float], int]:
    rows = 0
    for _ in range(warmup):
        rows = fn()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        rows = fn()
        out.append(time.perf_counter() - t0)
    return out, rows


def measure(*, samples: int = 30, username: str = OFFICER, depth: int = 2000,
            now: datetime | None = None) -> list[Timing]:
    """Time the officer's pages and the baseline SQL on the default connection (see the module doc)."""
    import re

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from chinhquyenso.accounts.models import User
    from chinhquyenso.accounts.services import api_token_create
    from chinhquyenso.accounts.testing import login_verified
    from chinhquyenso.dossiers.models import Dossier
    from chinhquyenso.dossiers.selectors import encode_cursor
    from chinhquyenso.units.models import Agency

    moment = now or timezone.now()
    user = User.objects.get(username=username)
    agency_id = Agency.objects.get(code=COMMUNE_AGENCY).pk
    client = Client()
    login_verified(client, user)
    _, token = api_token_create(user=user, name="bench-inbox", actor=None)
    code_re = re.compile(r'class="code"')
    statuses = ", ".join(str(s) for s in OPEN_STATUSES)
    table = Dossier._meta.db_table
    placeholder = "%s"

    # A deep keyset position: the row ``depth`` places down the commune's open work.
    open_here = Dossier.objects.filter(agency_id=agency_id, status__in=OPEN_STATUSES)
    depth = min(depth, open_here.count() // 2)
    deep = open_here.order_by("due_at", "id").only("id", "due_at")[depth:depth + 1].first()
    if deep is None or deep.due_at is None:
        raise RuntimeError(f"no dossiers at {COMMUNE_AGENCY}: generate some first")
    cursor = encode_cursor(deep)

    def page(url: str, *, api: bool = False) -> Callable[[], int]:
        def get() -> int:
            if api:
                response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
            else:
                response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
            if api:
                return len(response.json()["items"])
            body = response.content.decode()
            if url == "/":
                shown = re.findall(r'class="work-count[^"]*">([0-9]+)\+?<', body)
                if not shown:
                    raise RuntimeError("GET /: no count badges (is the user an officer with TOTP?)")
                return sum(int(n) for n in shown)  # the badges' figures added up ("999+" counts 999)
            return len(code_re.findall(body))
        return get

    def sql(where: str, params: list[Any]) -> Callable[[], int]:
        query = (f"SELECT id, code, due_at, status, applicant_name FROM {table} "  # noqa: S608 - constants
                 f"WHERE agency_id = {placeholder} AND status IN ({statuses}){where} ORDER BY due_at, id LIMIT 50")

        def run() -> int:
            with connection.cursor() as cur:
                cur.execute(query, [agency_id, *params])
                return len(cur.fetchall())
        return run

    cases: list[tuple[str, Callable[[], int], bool]] = [
        ("SELECT agency_id=? AND status IN open ORDER BY due_at,id LIMIT 50", sql("", []), True),
        ("same, keyset page (due_at,id) > cursor", sql(
            f" AND (due_at > {placeholder} OR (due_at = {placeholder} AND id > {placeholder}))",
            [deep.due_at, deep.due_at, deep.pk]), True),
        ("same, overdue: clock running AND due_at < now", sql(
            f" AND clock_paused_at IS NULL AND due_at < {placeholder}", [moment]), True),
        ("GET /ho-so/  (inbox as it opens: waiting for me)", page("/ho-so/"), False),
        ("GET /ho-so/?viec=  (everything in scope, first page)", page("/ho-so/?viec="), False),
        (f"GET /ho-so/?viec=&cursor=…  (keyset page {depth} rows down)", page(f"/ho-so/?viec=&cursor={cursor}"),
         False),
        ("GET /ho-so/?viec=&han=overdue", page("/ho-so/?viec=&han=overdue"), False),
        ("GET /  (home page: count badges)", page("/"), False),
        ("GET /api/v1/dossiers?due=overdue&limit=50", page("/api/v1/dossiers?due=overdue&limit=50", api=True),
         False),
    ]
    out = []
    for label, fn, baseline in cases:
        latencies, rows = _timed(samples, fn)
        out.append(Timing(label=label, latencies=latencies, rows=rows, baseline=baseline))
    return out


# --- Orchestration ---------------------------------------------------------------------------------


def _measure_main(args: argparse.Namespace) -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # DEBUG=0 without collectstatic: irrelevant
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyenso.settings")
    django.setup()
    from django.db import connection

    from chinhquyenso.dossiers.models import Dossier
    from chinhquyenso.units.models import Agency

    kind = connection.vendor
    rate = generate(args.dossiers, seed=args.seed)
    ours = Dossier.objects.filter(agency__code=COMMUNE_AGENCY).count()
    print(f"[{kind}] generated {args.dossiers:,} open dossiers at {rate:,.0f} rows/s "
          f"({Agency.objects.count()} agencies; {ours:,} handled by {COMMUNE_AGENCY}, officer {OFFICER})", flush=True)
    for timing in measure(samples=args.samples, depth=args.depth):
        print(f"[{kind}] {timing.line()}", flush=True)


def run(kind: str, dossiers: int, samples: int, seed: int, depth: int) -> None:
    from bench.common import cli

    with database(kind, "inbox") as env:
        cli(env, "migrate", "--noinput")
        cli(env, "demo", "--no-dossiers")
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH", "")]))}
        result = subprocess.run(
            [sys.executable, "-m", "bench.inbox", "--measure", "--dossiers", str(dossiers), "--samples", str(samples),
             "--seed", str(seed), "--depth", str(depth)],
            env=env, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"bench.inbox on {kind} failed (exit {result.returncode})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--depth", type=int, default=2000, help="rows down the list for the deep cursor page")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dossiers < 1 or args.samples < 1:
        parser.error("--dossiers and --samples must be positive")
    if args.measure:
        _measure_main(args)
        return
    print(f"bench.inbox: {args.dossiers:,} open dossiers, {args.samples} samples; {machine()}")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.dossiers, args.samples, args.seed, args.depth)


if __name__ == "__main__":
    main()

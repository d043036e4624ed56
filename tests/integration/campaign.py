"""The fault campaign (issue 6), shared by ``tests/integration/test_fault_campaign.py`` (small, in ``make
test``) and ``bench/faults.py`` (the full 2,000-dossier run on SQLite and PostgreSQL).

Many dossiers take seeded random lifecycles through ``dossiers.services`` while a REAL delivery worker
(``python -m chinhquyenso worker --only outbox-drain``, a separate process on the same database) sends
their outbox to our mock national portal over loopback HTTP, and the mock fails 30% of calls, goes down
for a while (outage: connections dropped), answers slowly, times out and garbles answers. Mid-campaign the
worker is killed with SIGKILL while it holds claims, and a new one is started; the dead worker's claims
expire on their own (no clock tricks) and are taken over.

Afterwards: every dossier's latest state at the mock equals ours, every event arrived once and in order
(no idempotency key applied twice, no out-of-order application), nothing went to the dead letters.

Runs on the current Django ``default`` database, which the worker process must also reach: PostgreSQL
(``DATABASE_URL``), or a SQLite FILE in WAL mode (``CHINHQUYENSO_DATA_DIR/db.sqlite3``) — an in-memory
database is invisible to another process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection
from django.db.models import Count

from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier, DossierEvent
from chinhquyenso.integration.mock_portal import MockPortal
from chinhquyenso.integration.models import TOPIC_NATIONAL_PORTAL, DeliveryAttempt, OutboxMessage, OutboxStatus
from tests.dossiers.conftest import applicant, components_for
from tests.dossiers.factories import Province, build_province

REPO = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 0.5  # seconds; the mock's injected timeouts sleep longer than this
ROUNDS = 6  # lifecycle rounds after the receipts; faults change between rounds

#: Delivery knobs for the campaign (the worker process reads them from its environment, conf.py).
POLICY_ENV = {
    "CHINHQUYENSO_OUTBOX_BACKOFF_BASE_SECONDS": "0.05",
    "CHINHQUYENSO_OUTBOX_BACKOFF_MAX_SECONDS": "0.4",
    "CHINHQUYENSO_OUTBOX_MAX_ATTEMPTS": "100000",  # faults are transient here: nothing may go dead
    "CHINHQUYENSO_OUTBOX_MAX_AGE_SECONDS": "86400",
    "CHINHQUYENSO_OUTBOX_CIRCUIT_FAILURES": "5",
    "CHINHQUYENSO_OUTBOX_CIRCUIT_COOLDOWN_SECONDS": "0.3",
    "CHINHQUYENSO_OUTBOX_CLAIM_SECONDS": "2",
    "CHINHQUYENSO_OUTBOX_CONCURRENCY": "8",
}


def _portal_outbox() -> Any:
    """The national-portal messages (citizen e-mail/SMS rows share the table; another job sends them)."""
    return OutboxMessage.objects.filter(topic=TOPIC_NATIONAL_PORTAL)


class CampaignTimeout(AssertionError):
    pass


@dataclass
class CampaignResult:
    database: str
    dossiers: int
    events: int = 0
    messages: int = 0
    attempts: int = 0
    worker_ids: int = 0
    attempts_by_worker: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    duplicates_acknowledged: int = 0
    duplicates_applied: int = 0
    order_violations: int = 0
    state_mismatches: int = 0
    dead: int = 0
    killed_claims: int = 0
    killed_claims_taken_over: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    duration_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def worker_env(portal_url: str) -> dict[str, str]:
    """The environment a worker process needs to reach THIS process's database and the mock."""
    s = connection.settings_dict
    env = {**os.environ, **POLICY_ENV, "CHINHQUYENSO_NATIONAL_PORTAL_URL": portal_url,
           "CHINHQUYENSO_NATIONAL_PORTAL_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT), "CHINHQUYENSO_LOG_LEVEL": "ERROR"}
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        return env
    path = Path(str(s["NAME"]))
    if connection.vendor != "sqlite" or path.name != "db.sqlite3" or not path.is_file():
        raise RuntimeError(f"the worker process cannot reach this database ({connection.vendor} {s['NAME']!r}); "
                           "use PostgreSQL or a SQLite file CHINHQUYENSO_DATA_DIR/db.sqlite3")
    env.pop("DATABASE_URL", None)
    env["CHINHQUYENSO_DATA_DIR"] = str(path.parent)
    return env


# --- Random lifecycles, through dossiers.services ------------------------------------------------


def _step_actor(world: Province, order: int) -> Any:
    return {1: world.counter_a, 2: world.processor_a, 3: world.leader_a, 4: world.processor_a}[order]


def choices(world: Province, d: Dossier) -> list[tuple[str, Callable[[], Dossier]]]:
    """The actions this dossier can take now, with the officer whose desk it is."""
    status = d.status
    if status in (7, 8, 10):  # withdrawn, stopped, returned: final
        return []
    if status == 9:
        return [("return", lambda: services.dossier_return_result(dossier=d, actor=world.counter_a))]
    if status == 5:
        return [
            ("supplement_received", lambda: services.dossier_receive_supplement(dossier=d, actor=world.counter_a)),
            ("withdraw", lambda: services.dossier_withdraw(dossier=d, actor=world.counter_a,
                                                           reason="Công dân xin rút")),
        ]
    assert d.current_step is not None, (d.code, status)
    order = d.current_step.order
    actor = _step_actor(world, order)
    options: list[tuple[str, Callable[[], Dossier]]] = []
    if order < 4:
        assignee = world.processor_a if order in (1, 3) else None
        options += [("forward", lambda: services.dossier_forward(dossier=d, actor=actor, assignee=assignee))] * 4
    else:
        options += [("finish", lambda: services.dossier_finish(
            dossier=d, actor=actor, results=[services.ResultInput(procedure_result=world.result, code="KQ")]))] * 3
    if order in (1, 2):
        options.append(("supplement", lambda: services.dossier_request_supplement(
            dossier=d, actor=actor, reason="Thiếu giấy tờ", items=["Giấy chứng sinh (bản chính)"])))
    if order in (2, 3):
        options.append(("stop", lambda: services.dossier_stop(dossier=d, actor=actor, reason="Có tranh chấp")))
    options.append(("withdraw", lambda: services.dossier_withdraw(dossier=d, actor=world.counter_a,
                                                                  reason="Công dân xin rút")))
    return options


def think_time() -> None:
    """A pause between two officers' actions. SQLite has one writer at a time and its busy handler is not
    fair: a loop of back-to-back write transactions would starve the worker process entirely, which no
    real counter does. PostgreSQL needs no pause (row locks; the worker never waits for these rows)."""
    if connection.vendor == "sqlite":
        time.sleep(0.01)


def advance(world: Province, dossiers: list[Dossier], rng: random.Random, counts: dict[str, int]) -> None:
    """One round: each live dossier takes one random allowed action with probability 0.8."""
    for i, d in enumerate(dossiers):
        think_time()
        if rng.random() >= 0.8:
            continue
        options = choices(world, d)
        if not options:
            continue
        name, act = rng.choice(options)
        dossiers[i] = act()  # a domain error here is a bug in this model of the workflow: let it fail
        counts[name] = counts.get(name, 0) + 1


# --- The worker processes --------------------------------------------------------------------------


@dataclass
class Workers:
    env: dict[str, str]
    log_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed_worker: str = ""
    killed_claims: list[int] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "chinhquyenso", "worker", "--only", "outbox-drain", "--tick", "0.05"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO),
        )
        log.close()
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("worker-*.log")))

    def kill_mid_batch(self, deadline: Callable[[str], None]) -> None:
        """Wait until the live worker holds claims (mid-batch), SIGKILL it, start a fresh one."""
        proc = self.procs[-1]
        suffix = f":{proc.pid}"
        while True:
            deadline("waiting for the worker to hold claims")
            held = list(_portal_outbox().filter(status=OutboxStatus.IN_FLIGHT, claimed_by__endswith=suffix)
                        .values_list("pk", "claimed_by"))
            if held:
                break
            if proc.poll() is not None:
                raise AssertionError("worker exited early:\n" + self.logs())
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.killed_worker = held[0][1]
        # What the dead worker still held once it was dead: these must be taken over after claim expiry.
        self.killed_claims = list(_portal_outbox().filter(
            status=OutboxStatus.IN_FLIGHT, claimed_by=self.killed_worker).values_list("pk", flat=True))
        self.start()


# --- The campaign ----------------------------------------------------------------------------------


def run_campaign(*, dossiers: int, seed: int, time_limit: float, log_dir: Path,
                 progress: Callable[[str], None] | None = None) -> CampaignResult:
    """Run it on the current database (which must be empty of dossiers of this world) and check it."""
    say = progress or (lambda _msg: None)
    start = time.monotonic()
    result = CampaignResult(database=connection.vendor, dossiers=dossiers)

    def deadline(what: str) -> None:
        if time.monotonic() - start > time_limit:
            stuck = list(_portal_outbox().exclude(status=OutboxStatus.DELIVERED).values_list(
                "key", "seq", "status", "attempts", "claimed_by", "claimed_until", "next_attempt_at")[:10])
            raise CampaignTimeout(f"fault campaign exceeded {time_limit:.0f} s while {what}; undelivered: {stuck}")

    rng = random.Random(seed)
    world = build_province()
    portal = MockPortal(host="127.0.0.1", port=0, seed=seed, timeout_sleep_ms=CLIENT_TIMEOUT * 1000 + 300)
    portal.start()
    workers = Workers(env=worker_env(portal.url), log_dir=log_dir)
    live: list[Dossier] = []
    try:
        portal.set_faults(fail_rate=0.3, garbled_rate=0.02, timeout_rate=0.03)
        workers.start()
        for i in range(dossiers):  # receipts, delivered while they are being made
            live.append(services.dossier_receive(
                actor=world.counter_a, procedure=world.procedure, agency=world.ubnd_a,
                applicant=applicant(name=f"Người nộp {i}"), components=components_for(world)))
            think_time()
            if i % 100 == 99:
                deadline("receiving dossiers")
                say(f"{i + 1} dossiers received")
        result.timings["receipts"] = time.monotonic() - start
        for round_no in range(ROUNDS):
            deadline(f"round {round_no}")
            if round_no == 1:
                portal.state.set_outage(600)  # connections dropped: the circuit opens, probes, closes
                outage_started = time.monotonic()
            if round_no == 2:
                portal.set_faults(latency_ms=25)  # slow answers
            advance(world, live, rng, result.actions)
            if round_no == 1:
                # Down for at least 1.5 s and until the worker has met it (a dropped connection recorded).
                while time.monotonic() - outage_started < 1.5 or not DeliveryAttempt.objects.filter(
                        error_kind="connection").exists():
                    deadline("waiting for the worker to meet the outage")
                    time.sleep(0.05)
                portal.state.set_outage(0)
                result.timings["outage"] = time.monotonic() - outage_started
            if round_no == 3:  # the backlog is fresh: the worker is mid-batch
                portal.set_faults(latency_ms=2)
                workers.kill_mid_batch(deadline)
                say(f"worker {workers.killed_worker} killed holding {len(workers.killed_claims)} claims")
            say(f"round {round_no} done")
        result.timings["rounds"] = time.monotonic() - start
        while any(choices(world, d) for d in live):  # finish the journeys still open: terminal states too
            deadline("finishing lifecycles")
            advance(world, live, rng, result.actions)
        result.timings["lifecycles"] = time.monotonic() - start
        say("lifecycles done; draining")
        while _portal_outbox().exclude(status=OutboxStatus.DELIVERED).exists():  # faults still on
            deadline("draining")
            if _portal_outbox().filter(status=OutboxStatus.DEAD).exists():
                raise AssertionError("a message went to the dead letters")
            if workers.procs[-1].poll() is not None:
                raise AssertionError("worker died:\n" + workers.logs())
            time.sleep(0.2)
        result.timings["drained"] = time.monotonic() - start
    finally:
        workers.stop_all()
        portal.stop()
    result.duration_seconds = time.monotonic() - start
    _check(result, portal, workers)
    return result


def _check(result: CampaignResult, portal: MockPortal, workers: Workers) -> None:
    """Fill in the figures and list every violation in ``result.problems`` (empty = converged)."""
    problems = result.problems
    stats = portal.stats()
    result.faults = dict(stats["faults_injected"])
    result.applied = stats["applied"]
    result.duplicates_acknowledged = stats["duplicates"]
    result.attempts = DeliveryAttempt.objects.count()
    result.attempts_by_worker = {
        row["worker_id"]: row["n"]
        for row in DeliveryAttempt.objects.values("worker_id").annotate(n=Count("id")).order_by("worker_id")
    }
    result.worker_ids = len(result.attempts_by_worker)
    result.dead = _portal_outbox().filter(status=OutboxStatus.DEAD).count()
    result.killed_claims = len(workers.killed_claims)
    # The campaign really hit every fault it claims to.
    for fault in ("http_500", "garbled", "timeout"):
        if not result.faults.get(fault):
            problems.append(f"no {fault} fault was injected: {result.faults}")
    if not DeliveryAttempt.objects.filter(error_kind="connection").exists():
        problems.append("the outage was never met")
    if not workers.killed_claims:
        problems.append("the worker was not killed mid-batch")
    wanted = {"forward", "supplement", "supplement_received", "finish", "return", "stop", "withdraw"}
    if not set(result.actions) >= wanted:
        problems.append(f"actions not covered: {sorted(wanted - set(result.actions))}")

    messages = list(_portal_outbox().order_by("key", "seq", "id").values("key", "seq", "idempotency_key",
                                                                             "payload", "status"))
    result.messages = len(messages)
    result.events = DossierEvent.objects.count()
    if {m["status"] for m in messages} != {OutboxStatus.DELIVERED}:
        problems.append("undelivered messages remain")
    keys = {m["idempotency_key"] for m in messages}
    if not len(keys) == len(messages) == result.events:
        problems.append(f"{len(keys)} keys, {len(messages)} messages, {result.events} events")
    # Every key applied exactly once; replays (after timeouts, the kill) acknowledged, not applied.
    result.duplicates_applied = max(0, stats["applied"] - len(keys))
    if stats["applied"] != len(keys) or set(portal.state.seen_keys) != keys:
        problems.append(f"applied {stats['applied']} for {len(keys)} keys")
    result.order_violations = stats["out_of_order"]
    # The killed worker's claims were taken over and delivered by someone else.
    taken_over = set(DeliveryAttempt.objects.filter(message_id__in=workers.killed_claims, ok=True).exclude(
        worker_id=workers.killed_worker).values_list("message_id", flat=True))
    result.killed_claims_taken_over = len(taken_over)
    if taken_over != set(workers.killed_claims):
        problems.append("some of the killed worker's claims were not taken over")

    last_payload = {m["key"]: m["payload"] for m in messages}  # ordered by seq: the last one wins
    if stats["dossiers"] != result.dossiers:
        problems.append(f"the portal holds {stats['dossiers']} dossiers, we have {result.dossiers}")
    seqs_by_dossier: dict[int, list[int]] = {}
    for dossier_id, seq in DossierEvent.objects.order_by("dossier_id", "seq").values_list("dossier_id", "seq"):
        seqs_by_dossier.setdefault(dossier_id, []).append(seq)
    for d in Dossier.objects.all():
        stored = portal.dossier(d.code)
        if stored is None:
            problems.append(f"{d.code} missing at the portal")
            continue
        seqs = seqs_by_dossier.get(d.pk, [])
        if stored.seqs != seqs or stored.applied != len(seqs) or len(stored.process_log) != len(seqs):
            result.order_violations += 1  # not every event once, in order
            problems.append(f"{d.code}: applied seqs {stored.seqs}, ours {seqs}")
        expected = {k: v for k, v in last_payload[d.code].items() if k != "tienTrinh"}
        if stored.data != expected or stored.data["TrangThaiHoSo"] != d.status:
            result.state_mismatches += 1
            problems.append(f"{d.code}: the portal's state differs from ours")
    del problems[50:]  # enough to diagnose

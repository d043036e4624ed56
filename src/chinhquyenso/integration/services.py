"""Writes of the integration app: the outbox projector, delivery (drain), manual retry/cancel, reconcile.

Delivery never holds a database transaction across an HTTP call:

    claim (one short transaction)  →  send (no transaction)  →  record results (one short transaction)

so a slow or dead portal never keeps rows locked, and a worker killed at any point loses nothing:
its claims expire (``claimed_until``) and the messages are claimed again. The receiver dedupes by
``Idempotency-Key``, which makes the resulting at-least-once delivery safe.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict
from chinhquyenso.dossiers.services import dossier_mark_synced
from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.integration.message_log import LogEntry, message_log_append
from chinhquyenso.integration.models import (
    TOPIC_NATIONAL_PORTAL,
    UNDELIVERED,
    CircuitBreaker,
    CircuitState,
    DeliveryAttempt,
    OutboxMessage,
    OutboxStatus,
)
from chinhquyenso.integration.national_portal import (
    SYNC_PATH,
    NationalPortalClient,
    PortalUnavailable,
    SendResult,
    build_sync_payload,
)

log = logging.getLogger("chinhquyenso.integration")

BREAKER_NAME = "national_portal"
DEFAULT_WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


# --- Projector: one outbox row per dossier event, in the event's transaction ---------------------


def project_dossier_event(event: Any) -> None:
    """Projector for the ``dossier`` stream (registered in ``IntegrationConfig.ready``).

    Runs inside the transaction that records the event, so the outbox row commits or rolls back
    with the dossier change. The payload is the dossier's snapshot at this moment.
    """
    dossier = event.dossier
    OutboxMessage.objects.create(
        topic=TOPIC_NATIONAL_PORTAL,
        key=dossier.code,
        seq=event.seq,
        idempotency_key=f"{dossier.code}:{event.seq}",
        dossier=dossier,
        event_id=event.pk,
        reason="event",
        payload=build_sync_payload(dossier, event),
    )


def _enqueue_snapshot(*, dossier: Any, reason: str) -> OutboxMessage:
    """A fresh message with the dossier's current state (reconciliation, repair). Its seq is the
    latest event's, so it orders after everything already queued and the receiver accepts it."""
    from chinhquyenso.dossiers.models import Dossier

    with transaction.atomic():
        locked = Dossier.objects.select_for_update().select_related("procedure__field", "agency").get(pk=dossier.pk)
        latest = locked.events.order_by("-seq").first()
        seq = latest.seq if latest is not None else 0
        payload = build_sync_payload(locked, None)
        return OutboxMessage.objects.create(
            topic=TOPIC_NATIONAL_PORTAL,
            key=locked.code,
            seq=seq,
            idempotency_key=f"{locked.code}:{seq}:{reason[:1]}{uuid.uuid4().hex[:12]}",
            dossier=locked,
            event_id=latest.pk if latest is not None else None,
            reason=reason,
            payload=payload,
        )


# --- Drain ------------------------------------------------------------------------------------


@dataclass
class DrainResult:
    """What one ``outbox_drain`` call did."""

    worker_id: str
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0
    lost_claims: int = 0
    circuit: str = CircuitState.CLOSED
    blocked_by_circuit: bool = False
    probe: bool = False
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class _Outcome:
    message: OutboxMessage
    started_at: datetime
    result: SendResult


#: Delivers one message over the wire (no database work): the national-portal client, an email or SMS sender...
Sender = Callable[[OutboxMessage], SendResult]


def _breaker(name: str = BREAKER_NAME) -> CircuitBreaker:
    breaker, _ = CircuitBreaker.objects.get_or_create(name=name)
    return breaker


def _gate(
    *, worker_id: str, now: datetime, policy: DeliveryPolicy, breaker_name: str = BREAKER_NAME
) -> tuple[str, CircuitBreaker]:
    """``("normal"|"probe"|"blocked", breaker)``. Transitions use compare-and-set on the row, so
    exactly one worker wins the half-open probe and nobody holds a lock while sending."""
    breaker = _breaker(breaker_name)
    if breaker.state == CircuitState.CLOSED:
        return "normal", breaker
    cooled_down = breaker.open_until is not None and now >= breaker.open_until
    probe_expired = breaker.probe_until is None or now >= breaker.probe_until
    probe_free = (breaker.state == CircuitState.OPEN and cooled_down) or (
        breaker.state == CircuitState.HALF_OPEN and probe_expired
    )
    if not probe_free:
        return "blocked", breaker
    won = CircuitBreaker.objects.filter(
        name=breaker_name, state=breaker.state, updated_at=breaker.updated_at
    ).update(
        state=CircuitState.HALF_OPEN, probe_by=worker_id,
        probe_until=now + timedelta(seconds=policy.claim_seconds), updated_at=now,
    )
    breaker.refresh_from_db()
    return ("probe" if won else "blocked"), breaker


def _claim(
    *, worker_id: str, limit: int, now: datetime, claim_ttl: timedelta, topic: str = TOPIC_NATIONAL_PORTAL
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages, only heads of their key (per-dossier ordering).

    A message is claimable when pending and due, or in flight with an expired claim (its worker
    died). For each key we take the longest run of claimable messages from the key's oldest
    undelivered one; a key whose oldest undelivered message is not claimable by us (backing off,
    in flight elsewhere, locked by another worker right now) is skipped entirely.
    """
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.IN_FLIGHT, claimed_until__lt=now
    )
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(due, topic=topic).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: rows another worker is claiming right now are skipped, never waited on.
            qs = qs.select_for_update(skip_locked=True)
        # On SQLite the IMMEDIATE transaction already holds the single write lock: one claimer at a time.
        candidates = {pk: key for pk, key in qs.values_list("id", "key")[: limit * 4]}
        if not candidates:
            return []
        heads = (
            OutboxMessage.objects.filter(
                topic=topic, key__in=set(candidates.values()), status__in=UNDELIVERED
            )
            .order_by("key", "seq", "id")
            .values_list("id", "key")
        )
        chosen: list[int] = []
        blocked: set[str] = set()
        for pk, key in heads:
            if len(chosen) >= limit:
                break
            if key in blocked:
                continue
            if pk in candidates:
                chosen.append(pk)
            else:
                blocked.add(key)  # an earlier message of this dossier is not ours to send now
        if not chosen:
            return []
        OutboxMessage.objects.filter(pk__in=chosen).update(
            status=OutboxStatus.IN_FLIGHT, claimed_by=worker_id, claimed_until=now + claim_ttl
        )
    return list(OutboxMessage.objects.filter(pk__in=chosen).order_by("key", "seq", "id"))


def _send_groups(
    *, messages: list[OutboxMessage], send: Sender, policy: DeliveryPolicy, start_failures: int, probe: bool,
) -> list[_Outcome]:
    """Send each key's messages in order; stop a key at its first failure; stop everything once the
    endpoint has failed ``circuit_failures`` times in a row (counting the shared state we started from)."""
    groups: OrderedDict[str, list[OutboxMessage]] = OrderedDict()
    for message in messages:
        groups.setdefault(message.key, []).append(message)
    stop = threading.Event()
    lock = threading.Lock()
    failures = {"n": start_failures}

    def run(group: list[OutboxMessage]) -> list[_Outcome]:
        done: list[_Outcome] = []
        for message in group:
            if stop.is_set():
                break
            started = timezone.now()
            result = send(message)
            done.append(_Outcome(message, started, result))
            with lock:
                if result.endpoint_failure:
                    failures["n"] += 1
                    if probe or failures["n"] >= policy.circuit_failures:
                        stop.set()
                else:
                    failures["n"] = 0
            if not result.ok:
                break  # later messages of this dossier wait for this one
        return done

    outcomes: list[_Outcome] = []
    workers = min(policy.concurrency, len(groups))
    if workers <= 1:
        for group in groups.values():
            outcomes.extend(run(group))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox-send") as pool:
            for done in pool.map(run, groups.values()):
                outcomes.extend(done)
    outcomes.sort(key=lambda o: o.started_at)
    return outcomes


def _record(
    *, outcomes: list[_Outcome], claimed: list[OutboxMessage], worker_id: str, policy: DeliveryPolicy,
    probe: bool, result: DrainResult, breaker_name: str = BREAKER_NAME,
) -> None:
    """Attempts, message states, released claims and the shared breaker, in one short transaction."""
    now = timezone.now()
    attempted = {o.message.pk for o in outcomes}
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    message_id=o.message.pk, worker_id=worker_id, started_at=o.started_at,
                    duration_ms=o.result.duration_ms, http_status=o.result.http_status, ok=o.result.ok,
                    error_kind=o.result.error_kind, response_excerpt=o.result.response_excerpt[:500],
                )
                for o in outcomes
            ]
        )
        message_log_append(entries=_message_log_entries(outcomes))  # signed log, same transaction
        acknowledged = [o.message.dossier_id for o in outcomes
                        if o.result.ok and o.message.topic == TOPIC_NATIONAL_PORTAL and o.message.dossier_id]
        if acknowledged:
            dossier_mark_synced(dossier_ids=acknowledged, at=now)  # 766 indicator 1.4, same transaction
        for o in outcomes:
            if o.result.ok:
                # Delivered is the truth even if our claim expired meanwhile: the portal has it.
                changed = OutboxMessage.objects.filter(pk=o.message.pk).exclude(status=OutboxStatus.DELIVERED).update(
                    status=OutboxStatus.DELIVERED, delivered_at=now, attempts=F("attempts") + 1,
                    claimed_by="", claimed_until=None, last_error="", last_error_kind="",
                )
                result.delivered += changed
                continue
            kind = o.result.error_kind
            result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
            row = OutboxMessage.objects.filter(pk=o.message.pk).select_for_update().first()
            if row is None or row.status != OutboxStatus.IN_FLIGHT or row.claimed_by != worker_id:
                result.lost_claims += 1  # another worker took it over after our claim expired
                continue
            row.attempts += 1
            row.last_error = o.result.message[:2000]
            row.last_error_kind = kind
            row.claimed_by, row.claimed_until = "", None
            too_old = (now - row.age_from).total_seconds() >= policy.max_age_seconds
            if kind == "rejected" or row.attempts >= policy.max_attempts or too_old:
                row.status = OutboxStatus.DEAD
                result.dead += 1
                why = "rejected" if kind == "rejected" else ("max_age" if too_old else "max_attempts")
                audit_record(
                    action="integration.outbox_dead", obj=row,
                    summary={"key": row.key, "seq": row.seq, "attempts": row.attempts, "why": why,
                             "error_kind": kind},
                )
            else:
                delay = policy.backoff_seconds(row.attempts)
                if o.result.retry_after_seconds is not None:
                    delay = max(delay, min(o.result.retry_after_seconds, policy.backoff_max_seconds))
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = now + timedelta(seconds=delay)
                result.retrying += 1
            row.save(update_fields=["attempts", "last_error", "last_error_kind", "claimed_by", "claimed_until",
                                    "status", "next_attempt_at"])
        unattempted = [m.pk for m in claimed if m.pk not in attempted]
        if unattempted:
            result.released = OutboxMessage.objects.filter(
                pk__in=unattempted, status=OutboxStatus.IN_FLIGHT, claimed_by=worker_id
            ).update(status=OutboxStatus.PENDING, claimed_by="", claimed_until=None)
        result.circuit = _record_breaker(outcomes=outcomes, worker_id=worker_id, policy=policy, probe=probe, now=now,
                                         breaker_name=breaker_name)


def _message_log_entries(outcomes: list[_Outcome]) -> list[LogEntry]:
    """Each request sent to the national portal, then its reply when one arrived (a timeout or dropped
    connection has none). Only the inter-agency exchange is kept: citizen notifications (email, SMS) carry
    contact details that do not belong in a long-lived evidence log."""
    entries: list[LogEntry] = []
    for o in outcomes:
        if o.message.topic != TOPIC_NATIONAL_PORTAL:
            continue
        endpoint = SYNC_PATH
        entries.append(LogEntry(direction="request", endpoint=endpoint, occurred_at=o.started_at,
                                payload=o.message.payload, message_id=o.message.pk, dossier_code=o.message.key))
        if o.result.http_status is not None:
            entries.append(LogEntry(
                direction="response", endpoint=endpoint,
                occurred_at=o.started_at + timedelta(milliseconds=o.result.duration_ms),
                payload=o.result.response_body, message_id=o.message.pk, dossier_code=o.message.key,
                http_status=o.result.http_status, error_kind=o.result.error_kind,
            ))
    return entries


def _record_breaker(
    *, outcomes: list[_Outcome], worker_id: str, policy: DeliveryPolicy, probe: bool, now: datetime,
    breaker_name: str = BREAKER_NAME,
) -> str:
    CircuitBreaker.objects.get_or_create(name=breaker_name)
    breaker = CircuitBreaker.objects.select_for_update().get(name=breaker_name)
    before = breaker.state
    if not outcomes:
        if probe and breaker.state == CircuitState.HALF_OPEN and breaker.probe_by == worker_id:
            # Nothing to probe with: let the next drain try again straight away.
            breaker.state, breaker.open_until, breaker.probe_by, breaker.probe_until = (
                CircuitState.OPEN, now, "", None)
            breaker.updated_at = now
            breaker.save()
        return breaker.state
    failures = breaker.consecutive_failures
    any_healthy = False
    for o in outcomes:
        if o.result.endpoint_failure:
            failures += 1
        else:
            failures, any_healthy = 0, True
    breaker.consecutive_failures = failures
    if any_healthy and failures == 0:
        breaker.state, breaker.opened_at, breaker.open_until = CircuitState.CLOSED, None, None
        breaker.probe_by, breaker.probe_until = "", None
    elif (probe and not any_healthy) or (breaker.state == CircuitState.CLOSED and failures >= policy.circuit_failures):
        breaker.state, breaker.opened_at = CircuitState.OPEN, now
        breaker.open_until = now + timedelta(seconds=policy.circuit_cooldown_seconds)
        breaker.probe_by, breaker.probe_until = "", None
    breaker.updated_at = now
    breaker.save()
    if breaker.state != before:
        audit_record(
            action=f"integration.circuit_{breaker.state}", object_type="integration.circuitbreaker",
            object_id=breaker_name,
            summary={"from": before, "to": breaker.state, "consecutive_failures": failures, "worker": worker_id},
        )
        log.warning("%s circuit %s -> %s (%d consecutive failures)", breaker_name, before, breaker.state, failures)
    return breaker.state


def outbox_drain(
    *,
    batch_size: int = 50,
    worker_id: str = DEFAULT_WORKER_ID,
    client: NationalPortalClient | None = None,
    policy: DeliveryPolicy | None = None,
) -> DrainResult:
    """Deliver one batch of due outbox messages to the national portal (claim → send → record).

    Deliberately NOT one transaction: see the module docstring. Safe to run in several processes
    at once on PostgreSQL; on SQLite run one worker.
    """
    own_client = client is None
    portal = client or NationalPortalClient()

    def send(message: OutboxMessage) -> SendResult:
        return portal.send_sync(payload=message.payload, idempotency_key=message.idempotency_key, seq=message.seq)

    try:
        return outbox_drain_topic(topic=TOPIC_NATIONAL_PORTAL, send=send, timeout=portal.timeout,
                                  breaker_name=BREAKER_NAME, batch_size=batch_size, worker_id=worker_id,
                                  policy=policy)
    finally:
        if own_client:
            portal.close()


def outbox_drain_topic(
    *,
    topic: str,
    send: Sender,
    timeout: float,
    breaker_name: str | None = None,
    batch_size: int = 50,
    worker_id: str = DEFAULT_WORKER_ID,
    policy: DeliveryPolicy | None = None,
) -> DrainResult:
    """Deliver one batch of ``topic``'s due messages with ``send`` (claim → send → record).

    The same claim, per-key ordering, backoff, dead-letter and circuit-breaker machinery for every
    topic; each topic has its own breaker row (``breaker_name``, default the topic). ``send`` does
    the wire work only and must not raise for a delivery failure: it returns a ``SendResult``.
    ``timeout`` is its worst-case duration, used to size the claim.
    """
    policy = policy or DeliveryPolicy.from_env()
    breaker_name = breaker_name or topic
    result = DrainResult(worker_id=worker_id)
    now = timezone.now()
    mode, breaker = _gate(worker_id=worker_id, now=now, policy=policy, breaker_name=breaker_name)
    result.circuit = breaker.state
    if mode == "blocked":
        result.blocked_by_circuit = True
        return result
    result.probe = mode == "probe"
    limit = 1 if result.probe else max(1, batch_size)
    # A claim must outlive the worst case of the batch (every send timing out), else a slow but
    # alive worker would see its messages taken over mid-batch.
    ttl = timedelta(seconds=max(policy.claim_seconds, limit * (timeout + 1) / max(1, policy.concurrency)
                                + timeout + 10))
    claimed = _claim(worker_id=worker_id, limit=limit, now=now, claim_ttl=ttl, topic=topic)
    result.claimed = len(claimed)
    if not claimed:
        if result.probe:
            result.circuit = _record_breaker_empty_probe(worker_id=worker_id, policy=policy,
                                                         breaker_name=breaker_name)
        return result
    outcomes = _send_groups(messages=claimed, send=send, policy=policy,
                            start_failures=breaker.consecutive_failures, probe=result.probe)
    _record(outcomes=outcomes, claimed=claimed, worker_id=worker_id, policy=policy, probe=result.probe,
            result=result, breaker_name=breaker_name)
    return result


def _record_breaker_empty_probe(*, worker_id: str, policy: DeliveryPolicy, breaker_name: str = BREAKER_NAME) -> str:
    with transaction.atomic():
        return _record_breaker(outcomes=[], worker_id=worker_id, policy=policy, probe=True, now=timezone.now(),
                               breaker_name=breaker_name)


# --- Manual actions (integration page) --------------------------------------------------------


@transaction.atomic
def outbox_retry_dead(*, message: OutboxMessage, actor: Any) -> OutboxMessage:
    """Gửi lại a dead letter: back to pending with a fresh attempt budget and age clock."""
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if row.status != OutboxStatus.DEAD:
        raise Conflict("Chỉ gửi lại được thông điệp ở trạng thái lỗi (thư chết).", code="not_dead")
    now = timezone.now()
    row.status, row.attempts, row.next_attempt_at, row.age_from = OutboxStatus.PENDING, 0, now, now
    row.claimed_by, row.claimed_until = "", None
    row.save(update_fields=["status", "attempts", "next_attempt_at", "age_from", "claimed_by", "claimed_until"])
    audit_record(action="integration.outbox_retry", actor=actor, obj=row,
                 summary={"key": row.key, "seq": row.seq, "last_error_kind": row.last_error_kind})
    return row


@transaction.atomic
def outbox_cancel(*, message: OutboxMessage, actor: Any) -> OutboxMessage:
    """Hủy gửi: a pending or dead message will never be sent. In-flight messages cannot be cancelled
    (the request may already be on the wire)."""
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if row.status not in (OutboxStatus.PENDING, OutboxStatus.DEAD):
        raise Conflict("Chỉ hủy được thông điệp đang chờ gửi hoặc đã lỗi.", code="not_cancellable")
    previous = row.status
    row.status, row.claimed_by, row.claimed_until = OutboxStatus.CANCELLED, "", None
    row.save(update_fields=["status", "claimed_by", "claimed_until"])
    audit_record(action="integration.outbox_cancel", actor=actor, obj=row,
                 summary={"key": row.key, "seq": row.seq, "from": previous})
    return row


# --- Reconciliation ---------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    """Đối soát: what the portal's view of our dossiers looked like, and what was re-sent."""

    checked: int = 0
    in_sync: int = 0
    in_progress: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    ahead: list[str] = field(default_factory=list)
    requeued: int = 0
    dead_letters: int = 0
    errors: int = 0
    aborted: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "checked": self.checked, "in_sync": self.in_sync, "in_progress": self.in_progress,
            "missing": len(self.missing), "stale": len(self.stale), "ahead": len(self.ahead),
            "requeued": self.requeued, "dead_letters": self.dead_letters, "errors": self.errors,
            "aborted": self.aborted,
        }


def national_portal_reconcile(
    *,
    client: NationalPortalClient | None = None,
    since: datetime | None = None,
    codes: list[str] | None = None,
    requeue: bool = True,
    actor: Any = None,
    max_consecutive_errors: int = 5,
) -> ReconcileReport:
    """Compare every dossier's latest state (status, last event seq) with the portal's view and
    re-enqueue a current snapshot for those that differ (missing or stale).

    Dossiers with an undelivered message are skipped (the outbox is already on it). ``since``
    limits the check to dossiers with an event after that moment. Reads go over HTTP outside any
    transaction; each re-enqueue is its own short transaction.
    """
    from chinhquyenso.dossiers.models import Dossier

    report = ReconcileReport()
    report.dead_letters = OutboxMessage.objects.filter(topic=TOPIC_NATIONAL_PORTAL, status=OutboxStatus.DEAD).count()
    undelivered = OutboxMessage.objects.filter(
        dossier=OuterRef("pk"), topic=TOPIC_NATIONAL_PORTAL, status__in=UNDELIVERED
    )
    qs = Dossier.objects.annotate(last_seq=Max("events__seq"), busy=Exists(undelivered)).filter(last_seq__isnull=False)
    if since is not None:
        qs = qs.filter(events__occurred_at__gte=since).distinct()
    if codes:
        qs = qs.filter(code__in=codes)
    own_client = client is None
    client = client or NationalPortalClient()
    consecutive_errors = 0
    try:
        for dossier in qs.order_by("pk").iterator(chunk_size=500):
            report.checked += 1
            if dossier.busy:
                report.in_progress += 1
                continue
            try:
                remote = client.get_dossier(dossier.code)
            except PortalUnavailable as exc:
                report.errors += 1
                consecutive_errors += 1
                if consecutive_errors >= max_consecutive_errors:
                    report.aborted = f"portal unavailable ({exc.kind})"
                    break
                continue
            consecutive_errors = 0
            local_seq = int(dossier.last_seq)
            if remote is None:
                report.missing.append(dossier.code)
            elif remote.seq is not None and remote.seq > local_seq:
                report.ahead.append(dossier.code)  # the portal knows more than we do: a human must look
                continue
            elif remote.status != dossier.status or (remote.seq is not None and remote.seq < local_seq):
                report.stale.append(dossier.code)
            else:
                report.in_sync += 1
                continue
            if requeue:
                _enqueue_snapshot(dossier=dossier, reason="reconcile")
                report.requeued += 1
    finally:
        if own_client:
            client.close()
    audit_record(action="integration.reconcile", actor=actor, object_type="integration.national_portal",
                 object_id=BREAKER_NAME, summary=report.summary())
    return report


# --- Worker jobs ------------------------------------------------------------------------------

_job_client: NationalPortalClient | None = None
_job_lock = threading.Lock()


def _shared_client() -> NationalPortalClient:
    """One client per worker process, so the OAuth2 token is reused across batches."""
    global _job_client
    with _job_lock:
        if _job_client is None:
            _job_client = NationalPortalClient()
        return _job_client


def outbox_drain_job(*, max_batches: int = 20, batch_size: int = 50) -> int:
    """``outbox-drain`` job: drain batches until the backlog is empty (or ``max_batches``)."""
    delivered = 0
    for _ in range(max_batches):
        result = outbox_drain(batch_size=batch_size, client=_shared_client())
        delivered += result.delivered
        if result.blocked_by_circuit or result.claimed < batch_size:
            break
    return delivered


def reconcile_job() -> ReconcileReport:
    """``reconcile`` job: hourly, dossiers that changed in the last 7 days."""
    return national_portal_reconcile(client=_shared_client(), since=timezone.now() - timedelta(days=7))


def outbox_drain_registered(
    *, topic: str, batch_size: int = 50, worker_id: str = DEFAULT_WORKER_ID, policy: DeliveryPolicy | None = None
) -> DrainResult:
    """One batch of ``topic`` with the deliverer registered for it (``delivery_registry.register``)."""
    from chinhquyenso.integration import delivery_registry

    deliverer = delivery_registry.get(topic)
    return outbox_drain_topic(topic=topic, send=deliverer.send, timeout=deliverer.timeout, batch_size=batch_size,
                              worker_id=worker_id, policy=policy)

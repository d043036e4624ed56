"""Worker delivery against the mock portal: success, retries with backoff, dead letters, circuit breaker."""

from __future__ import annotations

import dataclasses
import random
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict
from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.integration.models import CircuitBreaker, CircuitState, DeliveryAttempt, OutboxMessage, OutboxStatus
from chinhquyenso.integration.national_portal import NationalPortalClient
from chinhquyenso.integration.services import outbox_cancel, outbox_drain, outbox_retry_dead

from .conftest import close_cool_down, make_due
from .factories import make_dossier, record_event


def _wait_applied(portal, n: int) -> None:
    """The mock applies a timed-out request after its sleep: wait (bounded) until it has."""
    for _ in range(100):
        if portal.stats()["applied"] >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"mock portal never applied {n} requests: {portal.stats()}")


def test_delivers_snapshot_to_portal(world, portal, portal_client, policy) -> None:
    dossiers = [make_dossier(world) for _ in range(3)]
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert (result.claimed, result.delivered, result.retrying, result.dead) == (3, 3, 0, 0)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}
    assert DeliveryAttempt.objects.filter(ok=True, http_status=200).count() == 3
    stats = portal.stats()
    assert (stats["applied"], stats["duplicates"], stats["out_of_order"]) == (3, 0, 0)
    stored = portal.dossier(dossiers[0].code)
    assert stored is not None and stored.data["TrangThaiHoSo"] == 2 and stored.seq == 1
    assert stored.process_log[0]["TrangThai"] == 2
    message = OutboxMessage.objects.get(key=dossiers[0].code)
    assert message.delivered_at is not None and message.attempts == 1 and message.claimed_by == ""
    # Nothing left: a second drain claims nothing and sends nothing.
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).claimed == 0
    assert portal.stats()["received"] == 3


def test_backoff_is_full_jitter_within_cap() -> None:
    policy = DeliveryPolicy(backoff_base_seconds=2.0, backoff_max_seconds=60.0, rng=random.Random(1))
    for attempts in range(1, 10):
        cap = min(60.0, 2.0 * 2 ** (attempts - 1))
        samples = [policy.backoff_seconds(attempts) for _ in range(400)]
        assert all(0.0 <= s <= cap for s in samples)
        assert max(samples) > 0.9 * cap and min(samples) < 0.1 * cap  # spread over the whole window


@pytest.mark.parametrize(
    ("faults", "kind", "http_status"),
    [
        ({"fail_rate": 1.0}, "http_5xx", 500),
        ({"rate_limit_rate": 1.0}, "http_429", 429),
        ({"garbled_rate": 1.0}, "garbled", 200),
        ({"timeout_rate": 1.0}, "timeout", None),
    ],
)
def test_retries_with_backoff_then_delivers(
    world, portal, portal_client, short_timeout_client, policy, faults, kind, http_status
) -> None:
    dossier = make_dossier(world)
    portal.set_faults(**faults)
    before = timezone.now()
    first_client = short_timeout_client if kind == "timeout" else portal_client
    result = outbox_drain(worker_id="w1", client=first_client, policy=policy)
    assert (result.delivered, result.retrying, result.error_kinds) == (0, 1, {kind: 1})
    message = OutboxMessage.objects.get(key=dossier.code)
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.last_error_kind == kind and message.claimed_by == ""
    attempt = DeliveryAttempt.objects.get(message=message)
    assert (attempt.ok, attempt.error_kind, attempt.http_status) == (False, kind, http_status)
    # Backoff: first retry within [now, now + base]; a 429's Retry-After (1 s) is honoured.
    low = before + timedelta(seconds=1) if kind == "http_429" else before
    assert low <= message.next_attempt_at <= timezone.now() + timedelta(seconds=policy.backoff_base_seconds)
    # Not due yet: the next drain leaves it alone.
    if message.next_attempt_at > timezone.now() + timedelta(milliseconds=50):
        assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).claimed == 0

    if kind == "timeout":
        _wait_applied(portal, 1)  # the mock applied it after the client gave up
    portal.set_faults(fail_rate=0, rate_limit_rate=0, garbled_rate=0, timeout_rate=0)
    make_due()
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert result.delivered == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 2
    stats = portal.stats()
    assert stats["applied"] == 1
    # Garbled and timed-out requests were applied by the portal: the retry is a duplicate, not a re-apply.
    assert stats["duplicates"] == (1 if kind in {"garbled", "timeout"} else 0)


def test_dead_letter_after_max_attempts(world, portal, portal_client, policy) -> None:
    policy = dataclasses.replace(policy, circuit_failures=100)
    dossier = make_dossier(world)
    portal.set_faults(fail_rate=1.0)
    for _ in range(policy.max_attempts):
        make_due()
        result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
        assert result.claimed == 1
    message = OutboxMessage.objects.get(key=dossier.code)
    assert message.status == OutboxStatus.DEAD and message.attempts == policy.max_attempts == 4
    assert DeliveryAttempt.objects.filter(message=message, ok=False).count() == policy.max_attempts
    assert AuditEvent.objects.filter(action="integration.outbox_dead", object_id=str(message.pk)).exists()
    make_due()
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).claimed == 0  # dead stays dead


def test_dead_letter_after_max_age(world, portal, portal_client, policy) -> None:
    dossier = make_dossier(world)
    OutboxMessage.objects.update(age_from=timezone.now() - timedelta(seconds=policy.max_age_seconds + 1))
    portal.set_faults(fail_rate=1.0)
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert result.dead == 1
    assert OutboxMessage.objects.get(key=dossier.code).status == OutboxStatus.DEAD


def test_rejected_content_is_dead_at_once_and_does_not_block_later_messages(
    world, portal, portal_client, policy
) -> None:
    dossier = make_dossier(world)
    broken = OutboxMessage.objects.get(key=dossier.code)
    broken.payload = {**broken.payload, "MaTTHC": ""}  # the portal refuses it (400, error_code 1)
    broken.save()
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    broken.refresh_from_db()
    assert result.dead == 1 and broken.status == OutboxStatus.DEAD and broken.attempts == 1
    assert broken.last_error_kind == "rejected" and portal.stats()["rejected"] == 1
    # The breaker is not fed by content rejections: the endpoint answered.
    assert CircuitBreaker.objects.get().consecutive_failures == 0
    record_event(dossier, "forwarded", to_status=4)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 1
    assert portal.dossier(dossier.code).data["TrangThaiHoSo"] == 4


def test_retry_and_cancel_dead_letters(world, portal, portal_client, policy, django_user_model) -> None:
    admin = django_user_model.objects.create(username="admin", is_superuser=True)
    first, second = make_dossier(world), make_dossier(world)
    OutboxMessage.objects.update(status=OutboxStatus.DEAD, attempts=4, last_error_kind="http_5xx")
    m1, m2 = (OutboxMessage.objects.get(key=d.code) for d in (first, second))
    outbox_retry_dead(message=m1, actor=admin)
    outbox_cancel(message=m2, actor=admin)
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (m1.status, m1.attempts) == (OutboxStatus.PENDING, 0)
    assert m2.status == OutboxStatus.CANCELLED
    with pytest.raises(Conflict):
        outbox_retry_dead(message=m2, actor=admin)  # cancelled is final
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 1
    assert portal.dossier(first.code) is not None and portal.dossier(second.code) is None
    actions = set(AuditEvent.objects.filter(actor_id=admin.pk).values_list("action", flat=True))
    assert {"integration.outbox_retry", "integration.outbox_cancel"} <= actions


def test_in_flight_message_cannot_be_cancelled(world, django_user_model) -> None:
    admin = django_user_model.objects.create(username="admin", is_superuser=True)
    make_dossier(world)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.update(status=OutboxStatus.IN_FLIGHT, claimed_by="w9")
    with pytest.raises(Conflict):
        outbox_cancel(message=message, actor=admin)
    message.refresh_from_db()
    assert message.status == OutboxStatus.IN_FLIGHT


def test_circuit_opens_blocks_and_recovers(world, portal, portal_client, policy) -> None:
    policy = dataclasses.replace(policy, concurrency=1)
    for _ in range(6):
        make_dossier(world)
    portal.set_faults(fail_rate=1.0)
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    # Three consecutive failures open the circuit; the rest of the batch is released untouched.
    assert result.error_kinds == {"http_5xx": 3} and result.released == 3 and result.circuit == CircuitState.OPEN
    breaker = CircuitBreaker.objects.get()
    assert breaker.state == CircuitState.OPEN and breaker.open_until > timezone.now()
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts=0).count() == 3
    assert AuditEvent.objects.filter(action="integration.circuit_open").count() == 1

    make_due()
    blocked = outbox_drain(worker_id="w2", client=portal_client, policy=policy)
    assert blocked.blocked_by_circuit and blocked.claimed == 0
    assert portal.stats()["received"] == 3  # nothing sent while open

    # Cool-down over, portal still failing: one probe, it fails, open again.
    close_cool_down()
    probe = outbox_drain(worker_id="w2", client=portal_client, policy=policy)
    assert probe.probe and probe.claimed == 1 and probe.circuit == CircuitState.OPEN
    assert portal.stats()["received"] == 4

    # Portal healthy: the probe succeeds and closes the circuit; the backlog drains.
    portal.set_faults(fail_rate=0.0)
    close_cool_down()
    make_due()
    probe = outbox_drain(worker_id="w2", client=portal_client, policy=policy)
    assert probe.probe and probe.delivered == 1 and probe.circuit == CircuitState.CLOSED
    assert CircuitBreaker.objects.get().consecutive_failures == 0
    make_due()
    rest = outbox_drain(worker_id="w2", client=portal_client, policy=policy)
    assert rest.delivered == 5
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 6
    assert AuditEvent.objects.filter(action="integration.circuit_closed").count() == 1


def test_only_one_worker_gets_the_half_open_probe(world, portal, portal_client, policy) -> None:
    for _ in range(3):
        make_dossier(world)
    now = timezone.now()
    CircuitBreaker.objects.create(name="national_portal", state=CircuitState.OPEN, consecutive_failures=5,
                                  opened_at=now, open_until=now - timedelta(seconds=1))
    from chinhquyenso.integration.services import _gate

    first, _ = _gate(worker_id="a", now=now, policy=policy)
    second, _ = _gate(worker_id="b", now=now, policy=policy)
    assert (first, second) == ("probe", "blocked")
    assert CircuitBreaker.objects.get().probe_by == "a"


def test_connection_errors_and_outage(world, portal, policy) -> None:
    make_dossier(world)
    portal.state.set_outage(60)
    with NationalPortalClient(base_url=portal.url, timeout=0.5) as client:
        result = outbox_drain(worker_id="w1", client=client, policy=policy)
    assert result.error_kinds == {"connection": 1}
    with NationalPortalClient(base_url="http://127.0.0.1:9", timeout=0.5) as nowhere:  # nothing listens there
        make_due()
        assert outbox_drain(worker_id="w1", client=nowhere, policy=policy).error_kinds == {"connection": 1}


def test_token_is_cached_and_refreshed_when_refused(world, portal, portal_client, policy) -> None:
    make_dossier(world)
    make_dossier(world)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 2
    assert portal.stats()["tokens_issued"] == 1  # one token for the whole batch
    with portal.state.lock:
        portal.state.tokens.clear()  # the portal forgets it (rotation, restart)
    make_dossier(world)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 1
    assert portal.stats()["tokens_issued"] == 2


def test_bad_credentials_are_retried_not_dead(world, portal, policy) -> None:
    make_dossier(world)
    with NationalPortalClient(base_url=portal.url, client_secret="wrong", timeout=0.5) as client:
        result = outbox_drain(worker_id="w1", client=client, policy=policy)
    assert result.error_kinds == {"auth": 1} and result.dead == 0
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING

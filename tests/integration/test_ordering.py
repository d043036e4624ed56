"""Per-dossier ordering and crash safety (expired claims)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.utils import timezone

from chinhquyenso.integration.models import DeliveryAttempt, OutboxMessage, OutboxStatus
from chinhquyenso.integration.services import _claim, outbox_drain

from .conftest import close_cool_down, make_due
from .factories import make_dossier, record_event

LIFECYCLE = [("forwarded", 4), ("supplement_requested", 5), ("supplement_received", 4), ("finished", 9)]


def test_later_message_waits_for_an_earlier_undelivered_one(world, portal, portal_client, policy) -> None:
    dossier = make_dossier(world)
    record_event(dossier, "forwarded", to_status=4)
    portal.set_faults(fail_rate=1.0)
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    # Both were claimed (a run of one key), seq 1 failed, seq 2 was released without being sent.
    assert (result.claimed, result.retrying, result.released) == (2, 1, 1)
    first, second = OutboxMessage.objects.filter(key=dossier.code).order_by("seq")
    assert (first.status, first.attempts, second.status, second.attempts) == ("pending", 1, "pending", 0)
    assert not DeliveryAttempt.objects.filter(message=second).exists()
    # seq 2 is due, seq 1 is backing off: nothing of this dossier may go.
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    OutboxMessage.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    portal.set_faults(fail_rate=0.0)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).claimed == 0
    # An in-flight seq 1 (another worker) blocks seq 2 as well.
    OutboxMessage.objects.filter(pk=first.pk).update(
        status=OutboxStatus.IN_FLIGHT, claimed_by="other", claimed_until=timezone.now() + timedelta(minutes=1))
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).claimed == 0
    # Once seq 1 is back and due, both go, in order.
    OutboxMessage.objects.filter(pk=first.pk).update(status=OutboxStatus.PENDING, claimed_by="", claimed_until=None)
    make_due()
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 2
    assert portal.dossier(dossier.code).seqs == [1, 2]


def test_per_dossier_order_holds_under_faults(world, portal, short_timeout_client, policy) -> None:
    portal_client = short_timeout_client  # the injected timeouts (600 ms sleeps) must really time out
    policy = dataclasses.replace(policy, max_attempts=1000, circuit_failures=4, concurrency=3)
    dossiers = [make_dossier(world) for _ in range(8)]
    for dossier in dossiers:
        for kind, status in LIFECYCLE:
            record_event(dossier, kind, to_status=status)
    total = OutboxMessage.objects.count()
    assert total == 8 * 5
    portal.set_faults(fail_rate=0.25, rate_limit_rate=0.1, garbled_rate=0.1, timeout_rate=0.03)
    for _ in range(300):
        outbox_drain(worker_id="w1", client=portal_client, policy=policy, batch_size=10)
        if not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists():
            break
        make_due()
        close_cool_down()
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == total
    stats = portal.stats()
    assert sum(stats["faults_injected"].values()) > 0  # the faults really happened
    assert stats["out_of_order"] == 0
    for dossier in dossiers:
        stored = portal.dossier(dossier.code)
        assert stored.seqs == [1, 2, 3, 4, 5]  # applied exactly once each, in order
        assert stored.data["TrangThaiHoSo"] == 9
        assert [e["TrangThai"] for e in stored.process_log] == [2, 4, 5, 4, 9]


def test_claims_of_a_killed_worker_expire_and_nothing_is_lost(world, portal, portal_client, policy) -> None:
    dossiers = [make_dossier(world) for _ in range(4)]
    record_event(dossiers[0], "forwarded", to_status=4)
    # Worker "k" claims everything, sends the first message, then is killed (SIGKILL) before recording.
    claimed = _claim(worker_id="k", limit=50, now=timezone.now(), claim_ttl=timedelta(seconds=60))
    assert len(claimed) == 5
    head = claimed[0]
    assert portal_client.send_sync(payload=head.payload, idempotency_key=head.idempotency_key, seq=head.seq).ok
    # While the claims are valid, nobody else touches those messages.
    assert outbox_drain(worker_id="w2", client=portal_client, policy=policy).claimed == 0
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.IN_FLIGHT}
    # The claims expire: another worker takes over and delivers everything.
    OutboxMessage.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    result = outbox_drain(worker_id="w2", client=portal_client, policy=policy)
    assert result.claimed == 5 and result.delivered == 5
    assert set(OutboxMessage.objects.values_list("claimed_by", flat=True)) == {""}
    stats = portal.stats()
    # The message the dead worker had already sent arrives twice and is applied once.
    assert (stats["applied"], stats["duplicates"], stats["out_of_order"]) == (5, 1, 0)
    assert portal.dossier(dossiers[0].code).seqs == [1, 2]


def test_a_result_recorded_after_losing_the_claim_does_not_undo_the_new_owner(
    world, portal, portal_client, policy
) -> None:
    make_dossier(world)
    [message] = _claim(worker_id="slow", limit=1, now=timezone.now(), claim_ttl=timedelta(seconds=60))
    # The slow worker's claim expires; "fast" re-claims the message and delivers it.
    OutboxMessage.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox_drain(worker_id="fast", client=portal_client, policy=policy).delivered == 1
    # The slow worker finally records a failure for its old claim: the message stays delivered.
    from chinhquyenso.integration.national_portal import SendResult
    from chinhquyenso.integration.services import DrainResult, _Outcome, _record

    failure = SendResult(False, 500, "http_5xx", "HTTP 500", 10, "")
    result = DrainResult(worker_id="slow")
    _record(outcomes=[_Outcome(message, timezone.now(), failure)], claimed=[message], worker_id="slow",
            policy=policy, probe=False, result=result)
    message.refresh_from_db()
    assert result.lost_claims == 1 and message.status == OutboxStatus.DELIVERED
    assert DeliveryAttempt.objects.filter(message=message).count() == 2  # both attempts are on record

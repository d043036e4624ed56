"""Several workers draining one outbox on PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from django.db import connection

from chinhquyenso.integration.models import DeliveryAttempt, OutboxMessage, OutboxStatus
from chinhquyenso.integration.national_portal import NationalPortalClient
from chinhquyenso.integration.services import outbox_drain

from .conftest import close_cool_down, make_due
from .factories import build_world, make_dossier, record_event

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")

WORKERS = 4


def _run_workers(portal, policy, *, rounds: int, heal: bool) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)

    def work(n: int) -> None:
        try:
            with NationalPortalClient(base_url=portal.url, timeout=3.0) as client:
                barrier.wait()
                for _ in range(rounds):
                    outbox_drain(worker_id=f"w{n}", client=client, policy=policy, batch_size=7)
                    if not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists():
                        break
                    if heal:
                        make_due()
                        close_cool_down()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_workers_never_deliver_a_message_twice(portal, policy) -> None:
    world = build_world()
    dossiers = [make_dossier(world) for _ in range(24)]
    for dossier in dossiers:
        record_event(dossier, "forwarded", to_status=4)
        record_event(dossier, "finished", to_status=9)
    total = OutboxMessage.objects.count()
    assert total == 72
    portal.set_faults(latency_ms=3)

    assert _run_workers(portal, dataclasses.replace(policy, concurrency=2), rounds=200, heal=False) == []

    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == total
    stats = portal.stats()
    # Each message sent exactly once: no concurrent copies, no replays, nothing out of order.
    assert (stats["received"], stats["applied"]) == (total, total)
    assert (stats["concurrent_duplicates"], stats["duplicates"], stats["out_of_order"]) == (0, 0, 0)
    assert DeliveryAttempt.objects.count() == total
    assert len(set(DeliveryAttempt.objects.values_list("worker_id", flat=True))) > 1  # the work was shared
    for dossier in dossiers:
        assert portal.dossier(dossier.code).seqs == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_workers_keep_order_under_faults(portal, policy) -> None:
    world = build_world()
    dossiers = [make_dossier(world) for _ in range(12)]
    for dossier in dossiers:
        record_event(dossier, "forwarded", to_status=4)
        record_event(dossier, "finished", to_status=9)
    portal.set_faults(fail_rate=0.2, rate_limit_rate=0.1, garbled_rate=0.1, latency_ms=2)
    policy = dataclasses.replace(policy, max_attempts=1000, circuit_failures=6)

    assert _run_workers(portal, policy, rounds=400, heal=True) == []

    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()
    stats = portal.stats()
    assert stats["concurrent_duplicates"] == 0 and stats["out_of_order"] == 0
    for dossier in dossiers:
        assert portal.dossier(dossier.code).seqs == [1, 2, 3]

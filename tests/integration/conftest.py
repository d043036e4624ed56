"""Fixtures for the integration tests: our mock national portal on loopback, a client pointed at it,
a fast delivery policy, and a small province with dossiers whose events go through the projectors."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.integration.mock_portal import MockPortal
from chinhquyenso.integration.models import CircuitBreaker, OutboxMessage, OutboxStatus
from chinhquyenso.integration.national_portal import NationalPortalClient

from .factories import World, build_world


@pytest.fixture(autouse=True)
def _national_portal_outbox_only() -> Iterator[None]:
    """These tests count the national-portal outbox alone; citizen notifications (their own topics, written
    by the notifications app's projector, tested in tests/notifications) are switched off here."""
    from chinhquyenso.core import projectors

    entries = projectors._projectors["dossier"]
    saved = list(entries)
    entries[:] = [(name, fn) for name, fn in entries if name != "notifications.citizen"]
    try:
        yield
    finally:
        entries[:] = saved


@pytest.fixture
def portal() -> Iterator[MockPortal]:
    """The mock portal in a thread on 127.0.0.1, a free port, seeded RNG."""
    mock = MockPortal(host="127.0.0.1", port=0, seed=20250701, timeout_sleep_ms=600)
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def portal_client(portal: MockPortal) -> Iterator[NationalPortalClient]:
    # Generous: a loaded CI machine must not turn a normal answer into a timeout. Tests that want a
    # timeout use ``short_timeout_client`` against the mock's 600 ms sleep.
    client = NationalPortalClient(base_url=portal.url, timeout=3.0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def short_timeout_client(portal: MockPortal) -> Iterator[NationalPortalClient]:
    client = NationalPortalClient(base_url=portal.url, timeout=0.3)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def policy() -> DeliveryPolicy:
    """Small numbers so every path is reached in a few drains; tests make messages due by hand
    (``make_due``) instead of sleeping."""
    return DeliveryPolicy(
        backoff_base_seconds=2.0, backoff_max_seconds=60.0, max_attempts=4, max_age_seconds=3600.0,
        circuit_failures=3, circuit_cooldown_seconds=30.0, claim_seconds=60.0, concurrency=2,
        rng=random.Random(42),
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


def make_due(qs: QuerySet[OutboxMessage] | None = None) -> int:
    """Skip the backoff wait: every pending message is due now (tests never sleep through backoff)."""
    qs = qs if qs is not None else OutboxMessage.objects.all()
    return qs.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())


def close_cool_down() -> None:
    """Skip the circuit's cool-down: it may probe now."""
    CircuitBreaker.objects.filter(open_until__isnull=False).update(open_until=timezone.now())

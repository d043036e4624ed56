"""Fixtures: a small province (integration's factories), the mock SMS gateway on loopback, a fast policy."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.notifications import channels
from chinhquyenso.notifications.mock_sms import MockSmsGateway
from tests.integration.factories import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def gateway() -> Iterator[MockSmsGateway]:
    mock = MockSmsGateway(host="127.0.0.1", port=0, seed=7).start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def sms_sender(gateway: MockSmsGateway) -> Iterator[channels.HttpSmsSender]:
    """The process's SMS sender points at the mock for the test, then goes back to the environment's."""
    sender = channels.HttpSmsSender(gateway.url, timeout=3.0)
    previous = channels.set_sms_sender(sender)
    try:
        yield sender
    finally:
        channels.set_sms_sender(previous)
        sender.close()


@pytest.fixture
def policy() -> DeliveryPolicy:
    return DeliveryPolicy(backoff_base_seconds=2.0, backoff_max_seconds=60.0, max_attempts=4, max_age_seconds=3600.0,
                          circuit_failures=3, circuit_cooldown_seconds=30.0, claim_seconds=60.0, concurrency=2,
                          rng=random.Random(1))

"""Deliverers by outbox topic: how apps above ``integration`` plug their channels into its drain.

``integration`` owns the outbox machinery (claim, per-key ordering, backoff, dead letters, circuit
breaker: ``services.outbox_drain_topic``). An app that writes outbox rows of its own topic registers
a :class:`Deliverer` here in its ``AppConfig.ready``; its worker job then calls
``outbox_drain_registered(topic=...)``. ``integration`` never imports that app back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chinhquyenso.integration.models import OutboxMessage
    from chinhquyenso.integration.national_portal import SendResult


@dataclass(frozen=True)
class Deliverer:
    """``send`` puts one message on the wire (no database work, never raises for a delivery
    failure); ``timeout`` is its worst-case duration in seconds, used to size claims."""

    topic: str
    send: Callable[[OutboxMessage], SendResult]
    timeout: float = 10.0


_deliverers: dict[str, Deliverer] = {}


def register(topic: str, send: Callable[[OutboxMessage], SendResult], *, timeout: float = 10.0) -> None:
    """Deliver ``topic``'s messages with ``send``; registering a topic again replaces its deliverer."""
    _deliverers[topic] = Deliverer(topic=topic, send=send, timeout=timeout)


def get(topic: str) -> Deliverer:
    try:
        return _deliverers[topic]
    except KeyError:
        raise LookupError(f"no deliverer registered for outbox topic {topic!r}") from None


def registered() -> list[str]:
    return sorted(_deliverers)

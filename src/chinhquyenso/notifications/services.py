"""Writes of the notifications app: the projector that queues citizen notifications, and the drain.

Thông báo cho công dân: on every status change of a dossier the citizen gets an email (if the
dossier has an address) and an SMS (if it has a phone number). Nothing is sent from here directly:
the projector writes ``OutboxMessage`` rows (topics ``notify.email`` / ``notify.sms``) in the dossier's
own transaction, and the worker delivers them with integration's outbox machinery (claim, per-key
ordering, backoff with jitter, dead letters, circuit breaker per topic), so a notification is never
lost with a crash and never sent for a change that rolled back.
"""

from __future__ import annotations

from typing import Any

from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.integration.models import OutboxMessage
from chinhquyenso.integration.services import DEFAULT_WORKER_ID, DrainResult, outbox_drain_registered
from chinhquyenso.notifications.messages import TOPIC_EMAIL, TOPIC_SMS, render, should_notify

TOPICS = (TOPIC_EMAIL, TOPIC_SMS)
CHANNEL_BY_TOPIC = {TOPIC_EMAIL: "email", TOPIC_SMS: "sms"}


def idempotency_key(*, topic: str, code: str, seq: int) -> str:
    """One notification per (channel, dossier, event): a replay of the same event cannot queue another."""
    return f"notify:{CHANNEL_BY_TOPIC[topic]}:{code}:{seq}"


def project_dossier_event(event: Any) -> None:
    """Projector for the ``dossier`` stream (registered in ``NotificationsConfig.ready``)."""
    notifications_enqueue(event=event)


def notifications_enqueue(*, event: Any) -> list[OutboxMessage]:
    """Queue the notifications for one dossier event; returns the rows written (none if nothing to say).

    Runs inside the transaction that records the event: the rows commit or roll back with it.
    The ordering key is the dossier code plus the channel, so one citizen's messages arrive in order
    on each channel and a slow SMS gateway never holds back the emails.
    """
    if not should_notify(event):
        return []
    dossier = event.dossier
    recipients = {TOPIC_EMAIL: (dossier.applicant_email or "").strip(),
                  TOPIC_SMS: (dossier.applicant_phone or "").strip()}
    if not any(recipients.values()):
        return []
    text = render(dossier, event)
    rows = [
        OutboxMessage(
            topic=topic, key=f"{dossier.code}:{CHANNEL_BY_TOPIC[topic]}", seq=event.seq,
            idempotency_key=idempotency_key(topic=topic, code=dossier.code, seq=event.seq),
            dossier=dossier, event_id=event.pk, reason="event",
            payload={"to": to, **text, "dossier_code": dossier.code, "status": event.to_status},
        )
        for topic, to in recipients.items()
        if to
    ]
    OutboxMessage.objects.bulk_create(rows)  # email and SMS in one INSERT
    return rows


def notifications_drain(
    *, topic: str, batch_size: int = 50, worker_id: str = DEFAULT_WORKER_ID, policy: DeliveryPolicy | None = None
) -> DrainResult:
    """One batch of ``notify.email`` or ``notify.sms`` through integration's drain and the registered sender."""
    if topic not in TOPICS:
        raise ValueError(f"not a notification topic: {topic!r}")
    return outbox_drain_registered(topic=topic, batch_size=batch_size, worker_id=worker_id, policy=policy)


def notify_drain_job(*, max_batches: int = 20, batch_size: int = 50) -> int:
    """``notify-drain`` job: drain each channel until its backlog is empty (or ``max_batches``)."""
    delivered = 0
    for topic in TOPICS:
        for _ in range(max_batches):
            result = notifications_drain(topic=topic, batch_size=batch_size)
            delivered += result.delivered
            if result.blocked_by_circuit or result.claimed < batch_size:
                break
    return delivered

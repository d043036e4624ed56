"""Delivery through integration's outbox drain: email to Django's mail outbox, SMS over real HTTP to the mock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from chinhquyenso.dossiers.models import Status
from chinhquyenso.integration.conf import DeliveryPolicy
from chinhquyenso.integration.models import DeliveryAttempt, OutboxMessage, OutboxStatus
from chinhquyenso.integration.services import outbox_drain
from chinhquyenso.notifications import channels
from chinhquyenso.notifications.messages import TOPIC_EMAIL, TOPIC_SMS
from chinhquyenso.notifications.mock_sms import MockSmsGateway
from chinhquyenso.notifications.services import notifications_drain, notify_drain_job
from tests.integration.factories import World, make_dossier, record_event


def make_due() -> None:
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())


def test_email_is_delivered_once(world: World, policy: DeliveryPolicy) -> None:
    dossier = make_dossier(world)
    record_event(dossier, "finished", to_status=Status.FINISHED)
    result = notifications_drain(topic=TOPIC_EMAIL, policy=policy)
    assert result.delivered == 2
    assert [m.to for m in mail.outbox] == [["an@example.vn"], ["an@example.vn"]]
    first, second = mail.outbox
    assert "Được tiếp nhận" in first.body and "Đã xử lý xong" in second.body  # in event order
    assert dossier.code in second.subject
    assert second.extra_headers["X-Idempotency-Key"] == f"notify:email:{dossier.code}:2"
    assert not OutboxMessage.objects.filter(topic=TOPIC_EMAIL).exclude(status=OutboxStatus.DELIVERED).exists()
    assert notifications_drain(topic=TOPIC_EMAIL, policy=policy).claimed == 0
    assert len(mail.outbox) == 2
    # The national-portal drain leaves notifications alone, and the SMS rows are still waiting.
    assert OutboxMessage.objects.filter(topic=TOPIC_SMS, status=OutboxStatus.PENDING).count() == 2


def test_sms_is_delivered_to_the_gateway_over_http(world: World, gateway: MockSmsGateway,
                                                   sms_sender: channels.HttpSmsSender, policy: DeliveryPolicy) -> None:
    dossier = make_dossier(world)
    record_event(dossier, "forwarded", to_status=Status.PROCESSING)
    result = notifications_drain(topic=TOPIC_SMS, policy=policy)
    assert result.delivered == 2
    received = gateway.messages()
    assert [m["to"] for m in received] == ["0912345678", "0912345678"]
    assert [m["idempotency_key"] for m in received] == [f"notify:sms:{dossier.code}:1", f"notify:sms:{dossier.code}:2"]
    assert received[1]["text"].startswith(f"Hồ sơ {dossier.code} (Thủ tục đăng ký khai sinh) đã chuyển sang")
    attempts = DeliveryAttempt.objects.filter(message__topic=TOPIC_SMS)
    assert attempts.count() == 2 and all(a.ok and a.http_status == 200 for a in attempts)
    # Phone numbers stay out of the long-lived signed message log (national-portal exchange only).
    from chinhquyenso.integration.models import MessageLogRecord

    assert not MessageLogRecord.objects.filter(dossier_code__startswith=dossier.code).exists()


def test_a_failing_gateway_is_retried_then_succeeds(world: World, gateway: MockSmsGateway,
                                                    sms_sender: channels.HttpSmsSender, policy: DeliveryPolicy) -> None:
    dossier = make_dossier(world)
    gateway.state.fail_rate = 1.0
    first = notifications_drain(topic=TOPIC_SMS, policy=policy)
    assert (first.delivered, first.retrying) == (0, 1)
    row = OutboxMessage.objects.get(topic=TOPIC_SMS, dossier=dossier)
    assert (row.status, row.attempts, row.last_error_kind) == (OutboxStatus.PENDING, 1, "http_5xx")
    assert row.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert gateway.messages() == [] and gateway.stats()["failures_injected"] == 1

    gateway.state.fail_rate = 0.0
    make_due()  # skip the backoff wait instead of sleeping
    second = notifications_drain(topic=TOPIC_SMS, policy=policy)
    assert second.delivered == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED, 2)
    assert [a.ok for a in row.attempts_log.order_by("started_at")] == [False, True]
    assert len(gateway.messages()) == 1


def test_a_dead_gateway_turns_the_message_into_a_dead_letter(world: World, sms_sender: channels.HttpSmsSender,
                                                              gateway: MockSmsGateway, policy: DeliveryPolicy) -> None:
    make_dossier(world)
    gateway.state.fail_rate = 1.0
    for _ in range(policy.max_attempts):
        make_due()
        notifications_drain(topic=TOPIC_SMS, policy=DeliveryPolicy(max_attempts=policy.max_attempts,
                                                                  circuit_failures=100, rng=policy.rng))
    row = OutboxMessage.objects.get(topic=TOPIC_SMS)
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, policy.max_attempts)


def test_no_duplicate_delivery_for_one_idempotency_key(world: World, gateway: MockSmsGateway,
                                                       sms_sender: channels.HttpSmsSender,
                                                       policy: DeliveryPolicy) -> None:
    make_dossier(world)
    notifications_drain(topic=TOPIC_SMS, policy=policy, worker_id="a")
    # Worker "a" sent it but died before recording: its claim expires and "b" sends it again.
    OutboxMessage.objects.filter(topic=TOPIC_SMS).update(
        status=OutboxStatus.IN_FLIGHT, claimed_by="a", claimed_until=timezone.now() - timedelta(seconds=1))
    again = notifications_drain(topic=TOPIC_SMS, policy=policy, worker_id="b")
    assert again.claimed == 1
    assert len(gateway.messages()) == 1 and gateway.stats()["duplicates"] == 1
    assert OutboxMessage.objects.get(topic=TOPIC_SMS).status == OutboxStatus.DELIVERED


def test_unreachable_gateway_is_a_connection_failure(world: World, policy: DeliveryPolicy) -> None:
    closed = MockSmsGateway(port=0)
    url = closed.url
    closed.server.server_close()  # nothing listens there now
    sender = channels.HttpSmsSender(url, timeout=2.0)
    previous = channels.set_sms_sender(sender)
    try:
        make_dossier(world)
        result = notifications_drain(topic=TOPIC_SMS, policy=policy)
    finally:
        channels.set_sms_sender(previous)
        sender.close()
    assert result.error_kinds == {"connection": 1}
    assert OutboxMessage.objects.get(topic=TOPIC_SMS).status == OutboxStatus.PENDING


def test_worker_job_drains_both_channels(world: World, gateway: MockSmsGateway,
                                         sms_sender: channels.HttpSmsSender) -> None:
    make_dossier(world)
    make_dossier(world)
    assert notify_drain_job() == 4
    assert len(mail.outbox) == 2 and len(gateway.messages()) == 2
    assert OutboxMessage.objects.filter(topic__in=[TOPIC_EMAIL, TOPIC_SMS], status=OutboxStatus.DELIVERED).count() == 4


def test_the_national_portal_drain_does_not_touch_notifications(world: World, policy: DeliveryPolicy) -> None:
    make_dossier(world)
    from chinhquyenso.integration.national_portal import NationalPortalClient

    closed = MockSmsGateway(port=0)  # a free loopback port with nothing behind it
    url = closed.url
    closed.server.server_close()
    client = NationalPortalClient(base_url=url, timeout=1.0)
    try:
        outbox_drain(client=client, policy=policy)
    finally:
        client.close()
    assert not DeliveryAttempt.objects.filter(message__topic__in=[TOPIC_EMAIL, TOPIC_SMS]).exists()


def test_mock_gateway_refuses_non_loopback_and_bad_rates() -> None:
    with pytest.raises(CommandError):
        call_command("mock_sms_gateway", "--host", "8.8.8.8", "--port", "0")
    with pytest.raises(ValueError):
        MockSmsGateway(port=0, fail_rate=1.5)

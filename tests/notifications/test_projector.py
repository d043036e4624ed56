"""The projector queues notifications in the dossier's own transaction, with the right text."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from chinhquyenso.core import jobs, projectors
from chinhquyenso.dossiers.models import Dossier, DossierEvent, Status
from chinhquyenso.integration import delivery_registry
from chinhquyenso.integration.models import OutboxMessage, OutboxStatus
from chinhquyenso.notifications.messages import TOPIC_EMAIL, TOPIC_SMS
from chinhquyenso.notifications.services import notifications_enqueue
from tests.integration.factories import World, make_dossier, record_event

NOTIFY = (TOPIC_EMAIL, TOPIC_SMS)


def notify_rows(dossier: Dossier) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dossier=dossier, topic__in=NOTIFY).order_by("seq", "topic"))


def test_wired_at_start_up() -> None:
    assert "notifications.citizen" in projectors.registered("dossier")
    assert {TOPIC_EMAIL, TOPIC_SMS} <= set(delivery_registry.registered())
    job = next(j for j in jobs.registered() if j.name == "notify-drain")
    assert job.every_seconds == 2


def test_receipt_queues_email_and_sms_with_the_appointment_date(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHINHQUYENSO_PUBLIC_BASE_URL", "https://dichvucong.angiang.gov.vn/")
    dossier = make_dossier(world)
    email, sms = notify_rows(dossier)
    assert (email.topic, sms.topic) == (TOPIC_EMAIL, TOPIC_SMS)
    assert email.key == f"{dossier.code}:email" and sms.key == f"{dossier.code}:sms"
    assert email.seq == sms.seq == 1 and email.status == OutboxStatus.PENDING
    assert email.idempotency_key != sms.idempotency_key
    assert email.payload["to"] == "an@example.vn" and sms.payload["to"] == "0912345678"
    due = timezone.localtime(dossier.due_at).strftime("%d/%m/%Y")
    assert email.payload["body"] == (
        f"Hồ sơ {dossier.code} (Thủ tục đăng ký khai sinh) đã chuyển sang trạng thái: Được tiếp nhận. "
        f"Ngày hẹn trả kết quả: {due}. "
        f"Tra cứu: https://dichvucong.angiang.gov.vn/cong-dan/tra-cuu/?ma={dossier.code}"
    )
    assert sms.payload["body"] == email.payload["body"]
    assert dossier.code in email.payload["subject"]


def test_each_status_change_queues_one_message_per_channel_and_other_events_none(world: World) -> None:
    dossier = make_dossier(world)
    record_event(dossier, "forwarded", to_status=Status.PROCESSING)
    record_event(dossier, "consulted")  # to_status stays PROCESSING: no change, nothing to tell
    record_event(dossier, "finished", to_status=Status.FINISHED)
    rows = notify_rows(dossier)
    assert [(r.seq, r.topic) for r in rows] == [(1, TOPIC_EMAIL), (1, TOPIC_SMS), (2, TOPIC_EMAIL), (2, TOPIC_SMS),
                                                (4, TOPIC_EMAIL), (4, TOPIC_SMS)]
    assert "đã chuyển sang trạng thái: Đã xử lý xong. Tra cứu: http://127.0.0.1:8000/cong-dan/tra-cuu/?ma=" in (
        rows[-1].payload["body"])
    assert "Ngày hẹn trả" not in rows[-1].payload["body"]


def test_event_without_a_to_status_queues_nothing(world: World) -> None:
    dossier = make_dossier(world)
    event = DossierEvent.objects.create(dossier=dossier, seq=9, kind="digitized", from_status=Status.RECEIVED,
                                        to_status=None, occurred_at=timezone.now(), payload={})
    assert notifications_enqueue(event=event) == []


def test_rows_roll_back_with_the_dossier_change(world: World) -> None:
    dossier = make_dossier(world)
    before = len(notify_rows(dossier))
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(dossier, "finished", to_status=Status.FINISHED)
        assert len(notify_rows(dossier)) == before + 2  # written in the same transaction...
        raise RuntimeError("the service fails after the event")
    assert len(notify_rows(dossier)) == before  # ...and gone with it
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RECEIVED


def test_only_the_channels_the_dossier_has(world: World) -> None:
    dossier = make_dossier(world, received=False)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_email="")
    record_event(dossier, "received", to_status=Status.RECEIVED)
    assert [r.topic for r in notify_rows(dossier)] == [TOPIC_SMS]
    Dossier.objects.filter(pk=dossier.pk).update(applicant_phone="")
    record_event(dossier, "finished", to_status=Status.FINISHED)
    assert len(notify_rows(dossier)) == 1


def test_no_personal_id_number_in_any_message(world: World) -> None:
    dossier = make_dossier(world)
    world.procedure.name = "Cấp bản sao cho 089201000123"  # even a careless catalog entry does not leak one
    world.procedure.save()
    record_event(dossier, "finished", to_status=Status.FINISHED)
    assert dossier.applicant_id_number == "089201000123"
    for row in notify_rows(dossier):
        text = row.payload["subject"] + row.payload["body"]
        assert "089201000123" not in text and "201000123" not in text


def test_one_event_cannot_be_queued_twice(world: World) -> None:
    dossier = make_dossier(world)
    event = dossier.events.get(seq=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        notifications_enqueue(event=event)

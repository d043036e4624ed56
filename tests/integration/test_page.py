"""Integration page and its selectors: health figures, synced ratio per agency, dead-letter actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.integration.models import CircuitBreaker, CircuitState, DeliveryAttempt, OutboxMessage, OutboxStatus
from chinhquyenso.integration.selectors import outbox_overview, synced_ratio_by_agency
from chinhquyenso.integration.services import outbox_drain

from .factories import make_dossier, record_event


def test_synced_ratio_by_agency(world, portal, portal_client, policy) -> None:
    commune = [make_dossier(world) for _ in range(3)]
    department = make_dossier(world, agency=world.so_tu_phap)
    outside = make_dossier(world)
    Dossier.objects.filter(pk=outside.pk).update(received_at=timezone.now() - timedelta(days=90))
    never_received = make_dossier(world, received=False)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 5
    record_event(commune[0], "forwarded", to_status=4)  # latest event not delivered yet
    start, end = timezone.now() - timedelta(days=30), timezone.now() + timedelta(minutes=1)

    rows = {r.portal_code: r for r in synced_ratio_by_agency(start, end)}
    assert (rows["H01.30337"].received, rows["H01.30337"].synced) == (3, 2)
    assert rows["H01.30337"].ratio == pytest.approx(2 / 3) and rows["H01.30337"].percent == 66.7
    assert (rows["H01.15"].received, rows["H01.15"].synced) == (1, 1)
    only = synced_ratio_by_agency(start, end, agency_ids=[world.so_tu_phap.pk])
    assert [r.agency_id for r in only] == [department.agency_id]
    assert never_received.received_at is None

    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 1
    rows = {r.portal_code: r for r in synced_ratio_by_agency(start, end)}
    assert rows["H01.30337"].synced == 3


def test_outbox_overview(world, portal, portal_client, policy) -> None:
    for _ in range(3):
        make_dossier(world)
    portal.set_faults(fail_rate=1.0)
    outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.order_by("pk").first().pk).update(status=OutboxStatus.DEAD)
    overview = outbox_overview()
    assert (overview.pending, overview.in_flight, overview.dead, overview.backlog) == (2, 0, 1, 2)
    assert overview.failures_by_kind == {"http_5xx": 3} and overview.failed_attempts_last_hour == 3
    assert overview.circuit_state == CircuitState.OPEN and overview.oldest_age_seconds is not None
    assert overview.delivered_last_hour == 0


@pytest.fixture
def people(world, django_user_model):
    def make(username: str, role: str, **where):
        user = django_user_model.objects.create(username=username, full_name=username)
        RoleAssignment.objects.create(user=user, role=role, **where)
        return user

    return {
        "province_admin": make("tinh", Role.PROVINCE_ADMIN, unit=world.province),
        "unit_admin": make("xa", Role.UNIT_ADMIN, unit=world.commune),
        "auditor": make("thanhtra", Role.AUDITOR, unit=world.province),
        "officer": make("chuyenvien", Role.PROCESSING_OFFICER, agency=world.ubnd_xa),
    }


@pytest.fixture
def dead(world) -> dict[str, OutboxMessage]:
    at_commune = make_dossier(world, code="H01.30337-250701-0001")
    at_department = make_dossier(world, agency=world.so_tu_phap, code="H01.15-250701-0002")
    OutboxMessage.objects.update(status=OutboxStatus.DEAD, attempts=12, last_error_kind="http_5xx",
                                 last_error="HTTP 500")
    DeliveryAttempt.objects.create(message=OutboxMessage.objects.first(), started_at=timezone.now(),
                                   error_kind="timeout")
    CircuitBreaker.objects.create(name="national_portal", state=CircuitState.OPEN,
                                  open_until=timezone.now() + timedelta(seconds=30))
    return {"commune": OutboxMessage.objects.get(key=at_commune.code),
            "department": OutboxMessage.objects.get(key=at_department.code)}


def test_page_requires_an_admin_or_auditor_role(client, people) -> None:
    url = reverse("integration:dashboard")
    assert client.get(url).status_code == 302  # to the login page
    login_verified(client, people["officer"])
    assert client.get(url).status_code == 403
    for who in ("province_admin", "unit_admin", "auditor"):
        login_verified(client, people[who])
        assert client.get(url).status_code == 200, who


def test_page_shows_health_and_scoped_dead_letters(client, people, dead) -> None:
    url = reverse("integration:dashboard")
    login_verified(client, people["province_admin"])
    page = client.get(url).content.decode()
    assert "H01.30337-250701-0001" in page and "H01.15-250701-0002" in page
    assert "Mở — tạm ngừng gửi" in page and "Hết thời gian chờ" in page
    assert reverse("integration:retry", args=[dead["commune"].pk]) in page
    login_verified(client, people["unit_admin"])
    page = client.get(url).content.decode()
    assert "H01.30337-250701-0001" in page and "H01.15-250701-0002" not in page  # another agency's dossier
    login_verified(client, people["auditor"])
    page = client.get(url).content.decode()
    assert "H01.15-250701-0002" in page and reverse("integration:retry", args=[dead["commune"].pk]) not in page


def test_retry_and_cancel_buttons(client, people, dead) -> None:
    commune, department = dead["commune"], dead["department"]
    retry = reverse("integration:retry", args=[commune.pk])
    login_verified(client, people["auditor"])
    assert client.post(retry).status_code == 403  # auditors look, they do not act
    login_verified(client, people["unit_admin"])
    assert client.get(retry).status_code == 405  # POST only
    assert client.post(reverse("integration:cancel", args=[department.pk])).status_code == 403  # out of scope
    response = client.post(retry)
    assert response.status_code == 302 and response["Location"] == reverse("integration:dashboard")
    commune.refresh_from_db()
    department.refresh_from_db()
    assert commune.status == OutboxStatus.PENDING and department.status == OutboxStatus.DEAD
    assert AuditEvent.objects.filter(action="integration.outbox_retry", actor_id=people["unit_admin"].pk).exists()
    # Retrying something that is no longer dead is refused with a message, nothing changes.
    response = client.post(retry, follow=True)
    assert "Chỉ gửi lại được" in response.content.decode()
    login_verified(client, people["province_admin"])
    client.post(reverse("integration:cancel", args=[department.pk]))
    department.refresh_from_db()
    assert department.status == OutboxStatus.CANCELLED


def test_csrf_is_enforced(people, dead) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    login_verified(strict, people["province_admin"])
    assert strict.post(reverse("integration:retry", args=[dead["commune"].pk])).status_code == 403
    dead["commune"].refresh_from_db()
    assert dead["commune"].status == OutboxStatus.DEAD

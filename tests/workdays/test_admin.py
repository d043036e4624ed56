"""The admin edits overrides through the services: audited, and the calendar follows."""

from __future__ import annotations

from datetime import date

import pytest

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.workdays import calendar as workcal
from chinhquyenso.workdays.models import CalendarOverride

pytestmark = pytest.mark.django_db
URL = "/quan-tri/workdays/calendaroverride/"


@pytest.fixture
def admin_client_logged_in(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="quantri", password="x-Strong-Pass-42")
    login_verified(client, user)
    return client


def test_add_change_delete_through_admin(admin_client_logged_in) -> None:
    c = admin_client_logged_in
    form = {"day": "2026-12-31", "kind": "day_off", "name": "Nghỉ cuối năm", "decision": "QĐ 9/QĐ-UBND", "note": ""}
    response = c.post(URL + "add/", form)
    assert response.status_code == 302, response.content[:2000]
    row = CalendarOverride.objects.get(day=date(2026, 12, 31))
    assert not workcal.is_working_day(row.day)
    assert AuditEvent.objects.filter(action="workdays.override_set", object_id=str(row.pk)).exists()

    response = c.post(f"{URL}{row.pk}/change/", {**form, "kind": "working_day", "name": "Làm việc"})
    assert response.status_code == 302
    assert workcal.is_working_day(row.day)

    duplicate = c.post(URL + "add/", form)
    assert duplicate.status_code == 200  # form error: the day already has an override
    assert CalendarOverride.objects.filter(day=date(2026, 12, 31)).count() == 1

    response = c.post(f"{URL}{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarOverride.objects.filter(pk=row.pk).exists()
    assert AuditEvent.objects.filter(action="workdays.override_remove").count() == 1


def test_bulk_remove_action_is_audited(admin_client_logged_in) -> None:
    days = [date(2026, 12, 30), date(2026, 12, 31)]
    for d in days:
        CalendarOverride.objects.create(day=d, kind="day_off", name="Nghỉ", decision="QĐ")
    ids = [str(pk) for pk in CalendarOverride.objects.filter(day__in=days).values_list("pk", flat=True)]
    response = admin_client_logged_in.post(URL, {"action": "remove_selected", "_selected_action": ids})
    assert response.status_code == 302
    assert not CalendarOverride.objects.filter(day__in=days).exists()
    assert AuditEvent.objects.filter(action="workdays.override_remove").count() == 2
    assert workcal.is_working_day(days[1])

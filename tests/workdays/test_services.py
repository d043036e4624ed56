from __future__ import annotations

from datetime import date, datetime

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.workdays import calendar as workcal
from chinhquyenso.workdays.models import CalendarOverride
from chinhquyenso.workdays.selectors import calendar_override_get, calendar_override_list
from chinhquyenso.workdays.services import calendar_override_remove, calendar_override_set

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 31)  # a Thursday


def test_set_update_remove_audited_and_cache_follows(officer) -> None:
    assert workcal.is_working_day(DAY)
    row = calendar_override_set(
        day=DAY, kind="day_off", name="  Nghỉ cuối năm ", decision="Quyết định 1/QĐ-UBND", actor=officer
    )
    assert row.name == "Nghỉ cuối năm"
    assert not workcal.is_working_day(DAY)
    event = AuditEvent.objects.get(action="workdays.override_set")
    assert event.actor_id == officer.pk and event.object_id == str(row.pk)
    assert event.summary["before"] is None and event.summary["after"]["kind"] == "day_off"

    again = calendar_override_set(day=DAY, kind="working_day", name="Làm việc", decision="QĐ 2", actor=officer)
    assert again.pk == row.pk and CalendarOverride.objects.count() == calendar_override_list().count()
    assert workcal.is_working_day(DAY)
    second = AuditEvent.objects.filter(action="workdays.override_set").order_by("seq").last()
    assert second is not None and second.summary["before"]["kind"] == "day_off"

    calendar_override_remove(day=DAY, actor=officer)
    assert AuditEvent.objects.filter(action="workdays.override_remove").count() == 1
    with pytest.raises(NotFound):
        calendar_override_get(day=DAY)
    assert workcal.is_working_day(DAY)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "holiday"},
        {"name": "   "},
        {"decision": ""},
        {"name": "x" * 201},
        {"day": datetime(2026, 12, 31, 8, 0)},
        {"day": "2026-12-31"},
    ],
)
def test_bad_input_changes_nothing(officer, kwargs) -> None:
    args = {"day": DAY, "kind": "day_off", "name": "Nghỉ", "decision": "QĐ 1", "actor": officer, **kwargs}
    before = CalendarOverride.objects.count()
    with pytest.raises(ValidationFailed):
        calendar_override_set(**args)
    assert CalendarOverride.objects.count() == before
    assert not AuditEvent.objects.filter(action__startswith="workdays.").exists()
    assert workcal.is_working_day(DAY)


def test_remove_missing_is_not_found(officer) -> None:
    with pytest.raises(NotFound):
        calendar_override_remove(day=DAY, actor=officer)


def test_selectors_filter_by_year(officer) -> None:
    calendar_override_set(day=date(2027, 1, 4), kind="day_off", name="A", decision="QĐ", actor=officer)
    calendar_override_set(day=DAY, kind="day_off", name="B", decision="QĐ", actor=officer)
    assert [r.name for r in calendar_override_list(year=2027)] == ["A"]
    assert calendar_override_get(day=DAY).name == "B"


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_does_not_stick_in_the_cache(officer) -> None:
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        calendar_override_set(day=DAY, kind="day_off", name="Tạm", decision="QĐ", actor=officer)
        assert not workcal.is_working_day(DAY)  # seen inside the transaction
        raise Boom
    assert workcal.is_working_day(DAY)

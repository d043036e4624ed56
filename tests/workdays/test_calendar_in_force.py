"""The calendar in force (holidays package + override table): known 2025/2026 days."""

from __future__ import annotations

import importlib
from datetime import date, datetime

import pytest
from django.apps import apps as django_apps

from chinhquyenso.workdays import calendar as workcal
from chinhquyenso.workdays.models import CalendarOverride

pytestmark = pytest.mark.django_db
TZ = workcal.TIMEZONE


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        *[(date(2026, 2, d), False) for d in range(16, 21)],  # Tết Bính Ngọ 16–20/02/2026
        (date(2026, 2, 23), True),
        (date(2026, 4, 26), False),  # Giỗ Tổ on Sunday
        (date(2026, 4, 27), False),  # ... nghỉ bù Monday
        (date(2026, 4, 28), True),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        (date(2026, 8, 22), True),  # Saturday made a working day
        (date(2026, 8, 31), False),  # ... in exchange for Monday 31/08
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        (date(2026, 11, 24), False),  # Ngày Văn hóa Việt Nam, from 2026
        (date(2025, 11, 24), True),  # ... not before
        (date(2025, 4, 26), True),  # make-up Saturday 2025
        (date(2025, 5, 2), False),  # ... for Friday 02/05/2025
        (date(2025, 1, 27), False),  # Tết Ất Tỵ
        (date(2025, 4, 7), False),  # Giỗ Tổ 2025
        (date(2025, 11, 22), False),  # an ordinary Saturday
    ],
)
def test_known_days(day: date, working: bool) -> None:
    assert workcal.is_working_day(day) is working


def test_reference_cases() -> None:
    assert workcal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert workcal.working_days_between(date(2026, 2, 12), date(2026, 2, 26)) == 5
    # Friday 21/08 + 1 working day is Saturday 22/08 (làm bù)
    assert workcal.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert workcal.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)  # 31/08, 01/09, 02/09 off
    assert workcal.add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_days_off_lists_names_without_weekends() -> None:
    listing = dict(workcal.days_off(2026))
    assert listing[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert "nghỉ bù" in listing[date(2026, 4, 27)]
    assert listing[date(2026, 11, 24)] == "Ngày Văn hóa Việt Nam"
    assert date(2026, 4, 26) not in listing  # Sunday
    assert all(d.weekday() < 5 and d.year == 2026 for d in listing)
    assert list(listing) == sorted(listing)
    extra = dict(workcal.extra_working_days(2025))
    assert extra[date(2025, 4, 26)] == "Ngày làm việc bù (cho ngày 02/05/2025)"


def test_after_hours_receipt_and_lunch_break() -> None:
    # received Friday 13/02/2026 at 17:30: counted from Monday 23/02 07:00 (Tết in between)
    assert workcal.next_working_moment(at(2026, 2, 13, 17, 30)) == at(2026, 2, 23, 7, 0)
    assert workcal.deadline(at(2026, 2, 13, 17, 30), 1, "working_day") == at(2026, 2, 24, 17, 0)
    assert workcal.deadline(at(2026, 2, 13, 16, 0), 1, "working_day") == at(2026, 2, 23, 17, 0)
    # received at 12:00 (lunch): counted from 13:30
    assert workcal.next_working_moment(at(2026, 3, 2, 12, 0)) == at(2026, 3, 2, 13, 30)
    assert workcal.add_working_hours(at(2026, 3, 2, 12, 0), 1) == at(2026, 3, 2, 14, 30)
    assert workcal.working_hours_between(at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)) == 1.0
    assert workcal.add_working_days(at(2026, 2, 12, 9, 30), 5) == at(2026, 2, 26, 9, 30)


def test_deadline_calendar_days_move_off_holidays() -> None:
    # 25/08 + 7 days = 01/09 (Quốc khánh) -> 03/09
    assert workcal.deadline(at(2026, 8, 25, 8, 0), 7, "Ngày") == at(2026, 9, 3, 17, 0)
    # 17/01 (Sat, not working): received Monday 19/01; + 1 month = 19/02 (Tết) -> 23/02
    assert workcal.deadline(at(2026, 1, 17, 9, 0), 1, "tháng") == at(2026, 2, 23, 17, 0)


def test_override_wins_and_cache_follows_the_table() -> None:
    assert workcal.is_working_day(date(2026, 3, 4))
    row = CalendarOverride.objects.create(day=date(2026, 3, 4), kind="day_off", name="Nghỉ đột xuất", decision="QĐ 1")
    assert not workcal.is_working_day(date(2026, 3, 4))  # direct ORM write: the fingerprint notices
    assert (date(2026, 3, 4), "Nghỉ đột xuất") in workcal.days_off(2026)
    assert workcal.add_working_days(date(2026, 3, 3), 1) == date(2026, 3, 5)
    row.kind = "working_day"
    row.save()
    row2 = CalendarOverride.objects.create(day=date(2026, 2, 17), kind="working_day", name="Trực Tết", decision="QĐ 2")
    assert workcal.is_working_day(date(2026, 2, 17))  # beats the library's Tết
    assert workcal.is_working_day(date(2026, 3, 4))
    CalendarOverride.objects.create(day=date(2026, 8, 22), kind="day_off", name="Không làm bù", decision="QĐ 3")
    assert not workcal.is_working_day(date(2026, 8, 22))  # beats the library's make-up Saturday
    assert date(2026, 8, 22) not in dict(workcal.extra_working_days(2026))
    row2.delete()
    assert not workcal.is_working_day(date(2026, 2, 17))


def test_office_hours_come_from_settings(settings) -> None:
    settings.CHINHQUYENSO = {**settings.CHINHQUYENSO, "OFFICE_HOURS": "08:00-12:00,13:00-17:00"}
    assert workcal.next_working_moment(at(2026, 3, 2, 7, 30)) == at(2026, 3, 2, 8, 0)
    assert workcal.get_calendar().hours_per_day == 8


def test_years_outside_the_precomputed_range_are_loaded_lazily() -> None:
    assert not workcal.is_working_day(date(2040, 9, 3))  # Quốc khánh 2040: 02/09 Sunday, 03/09 nghỉ bù
    assert workcal.get_calendar(years=(2040,)).days_off(2040)
    assert workcal.days_off(2012)  # before 2015 too


def test_shipped_overrides_for_new_year_2026() -> None:
    """The data migration carries the Tết Dương lịch 2026 swap (Văn bản 12729/VPCP-KGVX)."""
    migration = importlib.import_module("chinhquyenso.workdays.migrations.0002_known_overrides")
    CalendarOverride.objects.all().delete()  # a transactional test may have flushed them; start clean
    migration.add_known(django_apps, None)
    assert not workcal.is_working_day(date(2026, 1, 2))
    assert workcal.is_working_day(date(2026, 1, 10))
    assert workcal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)  # 01/01 holiday, 02/01 swapped
    assert workcal.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)  # Saturday worked
    migration.remove_known(django_apps, None)
    assert workcal.is_working_day(date(2026, 1, 2))

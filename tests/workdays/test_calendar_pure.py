"""WorkingCalendar without a database: worked examples and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinhquyenso.workdays.calendar import TIMEZONE, WorkingCalendar, add_months, normalize_unit, parse_office_hours

TZ = TIMEZONE


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


# Tết 2026 week off, plus a swapped pair: Friday 02/01 off, Saturday 10/01 working.
TET = WorkingCalendar(
    {date(2026, 2, d): "Tết" for d in range(16, 21)} | {date(2026, 1, 2): "Nghỉ hoán đổi"},
    {date(2026, 1, 10): "Làm bù"},
)


def test_plain_week_and_tet():
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 19)  # no holidays known
    assert TET.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert TET.working_days_between(date(2026, 2, 12), date(2026, 2, 26)) == 5
    assert TET.working_days_between(date(2026, 2, 26), date(2026, 2, 12)) == -5
    assert TET.add_working_days(date(2026, 2, 26), -5) == date(2026, 2, 12)
    assert TET.add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 14)


def test_swapped_days():
    assert not TET.is_working_day(date(2026, 1, 2))
    assert TET.is_working_day(date(2026, 1, 10))
    assert not TET.is_working_day(date(2026, 1, 11))
    # Wed 31/12/2025 + 2 working days: Thu 01/01 is a plain weekday here, Fri 02/01 is off -> Mon 05/01
    assert TET.add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 5)
    assert TET.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert TET.working_days_between(date(2026, 1, 4), date(2026, 1, 11)) == 6


def test_days_off_listing_excludes_weekends_unless_asked():
    cal = WorkingCalendar({date(2026, 4, 26): "Giỗ Tổ", date(2026, 4, 27): "Giỗ Tổ (nghỉ bù)"})
    assert cal.days_off(2026) == [(date(2026, 4, 27), "Giỗ Tổ (nghỉ bù)")]
    assert [d for d, _ in cal.days_off(2026, include_weekends=True)] == [date(2026, 4, 26), date(2026, 4, 27)]
    assert cal.days_off(2025) == []


def test_overlapping_sets_are_rejected():
    with pytest.raises(ValueError):
        WorkingCalendar([date(2026, 1, 2)], [date(2026, 1, 2)])


def test_next_working_moment_rules():
    cal = TET
    assert cal.next_working_moment(at(2026, 3, 2, 9, 15)) == at(2026, 3, 2, 9, 15)  # inside: itself
    assert cal.next_working_moment(at(2026, 3, 2, 6, 0)) == at(2026, 3, 2, 7, 0)  # before opening
    assert cal.next_working_moment(at(2026, 3, 2, 11, 30)) == at(2026, 3, 2, 13, 30)  # lunch break
    assert cal.next_working_moment(at(2026, 3, 2, 12, 45)) == at(2026, 3, 2, 13, 30)
    assert cal.next_working_moment(at(2026, 3, 2, 17, 0)) == at(2026, 3, 3, 7, 0)  # at closing: next morning
    assert cal.next_working_moment(at(2026, 2, 13, 17, 30)) == at(2026, 2, 23, 7, 0)  # Friday evening before Tết
    # UTC input, same instant: 02:00 UTC = 09:00 in Vietnam
    assert cal.next_working_moment(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == at(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError):
        cal.next_working_moment(datetime(2026, 3, 2, 9, 0))  # naive


def test_add_working_hours_skips_lunch_nights_and_holidays():
    cal = TET
    assert cal.add_working_hours(at(2026, 3, 2, 10, 0), 2) == at(2026, 3, 2, 14, 0)  # 1.5 h + lunch + 0.5 h
    assert cal.add_working_hours(at(2026, 3, 2, 7, 0), 4.5) == at(2026, 3, 2, 11, 30)  # ends at closing of morning
    assert cal.add_working_hours(at(2026, 3, 2, 7, 0), 8) == at(2026, 3, 2, 17, 0)
    assert cal.add_working_hours(at(2026, 3, 2, 7, 0), 8.5) == at(2026, 3, 3, 7, 30)
    assert cal.add_working_hours(at(2026, 2, 13, 16, 0), 2) == at(2026, 2, 23, 8, 0)  # over Tết
    assert cal.add_working_hours(at(2026, 3, 2, 20, 0), 0.25) == at(2026, 3, 3, 7, 15)  # received after hours
    assert cal.working_hours_between(at(2026, 3, 2, 10, 0), at(2026, 3, 3, 10, 0)) == 8
    assert cal.working_hours_between(at(2026, 2, 13, 0, 0), at(2026, 2, 24, 0, 0)) == 16
    assert cal.working_hours_between(at(2026, 3, 3, 10, 0), at(2026, 3, 2, 10, 0)) == -8
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 3, 2, 10, 0), -1)


def test_add_working_days_for_a_moment_keeps_the_clock_time():
    assert TET.add_working_days(at(2026, 3, 2, 9, 40), 3) == at(2026, 3, 5, 9, 40)
    assert TET.add_working_days(at(2026, 2, 13, 17, 30), 1) == at(2026, 2, 24, 7, 0)  # after hours -> next morning


def test_deadline_units():
    cal = TET
    receipt = at(2026, 2, 12, 9, 0)  # Thursday before Tết
    assert cal.deadline(receipt, 5, "working_day") == at(2026, 2, 26, 17, 0)
    assert cal.deadline(receipt, 5, "Ngày làm việc") == at(2026, 2, 26, 17, 0)
    assert cal.deadline(receipt, 3, "hour") == at(2026, 2, 12, 14, 0)
    assert cal.deadline(receipt, 0.5, "working_day") == at(2026, 2, 12, 15, 0)  # 4 office hours
    # calendar days: 12/02 + 5 = 17/02 (Tết) -> first working day after it, 23/02
    assert cal.deadline(receipt, 5, "day") == at(2026, 2, 23, 17, 0)
    assert cal.deadline(receipt, 10, "Ngày") == at(2026, 2, 23, 17, 0)  # 22/02 is Sunday
    assert cal.deadline(receipt, 1, "month") == at(2026, 3, 12, 17, 0)
    assert cal.deadline(at(2026, 1, 31, 10, 0), 1, "tháng") == at(2026, 3, 2, 17, 0)  # Sat 31/01 -> Mon 02/02 +1m
    # after-hours receipt: Friday 13/02 17:30 counts from Monday 23/02
    assert cal.deadline(at(2026, 2, 13, 17, 30), 1, "working_day") == at(2026, 2, 24, 17, 0)
    assert cal.deadline(at(2026, 2, 13, 17, 30), 0, "working_day") == at(2026, 2, 23, 17, 0)
    for bad in [(1, "week"), (-1, "day"), (1.5, "day"), (float("nan"), "hour")]:
        with pytest.raises(ValueError):
            cal.deadline(receipt, *bad)


def test_office_hours_parsing():
    assert parse_office_hours("07:30-11:30, 13:00-17:00")[1] == (timedelta(hours=13), timedelta(hours=17))
    assert WorkingCalendar(office_hours="08:00-12:00,13:00-17:00").hours_per_day == 8
    assert WorkingCalendar(office_hours=[(time(13, 0), time(16, 0)), (time(8, 0), time(11, 0))]).hours_per_day == 6
    for bad in ["", "7-11", "11:00-07:00", "07:00-12:00,11:00-17:00", "25:00-26:00"]:
        with pytest.raises(ValueError):
            parse_office_hours(bad)


def test_units_and_months():
    assert normalize_unit("Giờ") == "hour" and normalize_unit("NGÀY LÀM VIỆC") == "working_day"
    assert normalize_unit("Ngày") == "day" and normalize_unit("Tháng") == "month"
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


# --- properties ---------------------------------------------------------------------------------

LO, HI = date(2024, 1, 1), date(2028, 12, 31)
days_in_range = st.dates(min_value=LO, max_value=HI)
office_specs = st.sampled_from(
    ["07:00-11:30,13:30-17:00", "08:00-12:00,13:00-17:00", "07:30-11:30", "07:00-09:00,10:00-11:00,14:00-18:30"]
)


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    off = draw(st.sets(days_in_range, max_size=80))
    extra = draw(st.sets(days_in_range.filter(lambda d: d.weekday() >= 5), max_size=15)) - off
    return WorkingCalendar(off, extra, draw(office_specs))


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    d = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
    minute = draw(st.integers(0, 24 * 60 - 1))
    return datetime(d.year, d.month, d.day, tzinfo=TZ) + timedelta(minutes=minute)


starts = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
PROPS = settings(max_examples=150, deadline=None)


def brute_count(cal: WorkingCalendar, a: date, b: date) -> int:
    return sum(cal.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


@PROPS
@given(cal=calendars(), a=starts, b=starts)
def test_count_matches_day_by_day(cal: WorkingCalendar, a: date, b: date) -> None:
    expected = brute_count(cal, a, b) if a <= b else -brute_count(cal, b, a)
    assert cal.working_days_between(a, b) == expected


@PROPS
@given(cal=calendars(), d=starts, n=st.integers(0, 300))
def test_add_then_count_gives_back_n_and_lands_on_a_working_day(cal: WorkingCalendar, d: date, n: int) -> None:
    end = cal.add_working_days(d, n)
    assert cal.working_days_between(d, end) == n
    if n > 0:
        assert cal.is_working_day(end)
        assert end > d
        # it is the first day with that count: the day before has one fewer
        assert cal.working_days_between(d, end - timedelta(days=1)) == n - 1


@PROPS
@given(cal=calendars(), d=starts, n=st.integers(1, 200))
def test_backwards(cal: WorkingCalendar, d: date, n: int) -> None:
    begin = cal.add_working_days(d, -n)
    assert begin < d and cal.is_working_day(begin)
    assert brute_count(cal, begin - timedelta(days=1), d - timedelta(days=1)) == n  # n working days in [begin, d)


@PROPS
@given(cal=calendars(), d1=starts, d2=starts, n1=st.integers(0, 120), n2=st.integers(0, 120))
def test_monotonic(cal: WorkingCalendar, d1: date, d2: date, n1: int, n2: int) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    n1, n2 = min(n1, n2), max(n1, n2)
    assert cal.add_working_days(d1, n1) <= cal.add_working_days(d2, n1)
    assert cal.add_working_days(d1, n1) <= cal.add_working_days(d1, n2)


@PROPS
@given(cal=calendars(), t=moments())
def test_next_working_moment_is_the_first_office_moment(cal: WorkingCalendar, t: datetime) -> None:
    m = cal.next_working_moment(t)
    assert m >= t and cal.is_office_time(m)
    assert cal.working_hours_between(t, m) == 0
    if cal.is_office_time(t):
        assert m == t


def in_office_hours_closed(cal: WorkingCalendar, t: datetime) -> bool:
    """Inside [opening, closing] of an interval of a working day (a result may end at a closing time)."""
    midnight = datetime(t.year, t.month, t.day, tzinfo=TZ)
    return cal.is_working_day(t.date()) and any(midnight + s <= t <= midnight + e for s, e in cal.intervals)


@PROPS
@given(cal=calendars(), t=moments(), hours=st.floats(0.01, 400, allow_nan=False))
def test_add_working_hours_lands_in_office_hours_and_round_trips(
    cal: WorkingCalendar, t: datetime, hours: float
) -> None:
    end = cal.add_working_hours(t, hours)
    assert end > t
    assert in_office_hours_closed(cal, end)
    assert cal.working_hours_between(t, end) == pytest.approx(hours, abs=1e-6)


@PROPS
@given(cal=calendars(), t=moments(), h1=st.floats(0, 100), h2=st.floats(0, 100))
def test_add_working_hours_monotonic_and_additive(cal: WorkingCalendar, t: datetime, h1: float, h2: float) -> None:
    h1, h2 = min(h1, h2), max(h1, h2)
    assert cal.add_working_hours(t, h1) <= cal.add_working_hours(t, h2)
    whole1, whole2 = round(h1), round(h2)  # whole hours: no rounding to the microsecond in between
    assert cal.add_working_hours(cal.add_working_hours(t, whole1), whole2) == cal.add_working_hours(t, whole1 + whole2)


@PROPS
@given(cal=calendars(), a=moments(), b=moments())
def test_working_hours_between_matches_day_by_day(cal: WorkingCalendar, a: datetime, b: datetime) -> None:
    lo, hi = min(a, b), max(a, b)
    total = timedelta()
    day = lo.date()
    while day <= hi.date():
        if cal.is_working_day(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=TZ)
            for s, e in cal.intervals:
                seg = min(hi, midnight + e) - max(lo, midnight + s)
                total += max(seg, timedelta())
        day += timedelta(days=1)
    expected = total.total_seconds() / 3600
    assert cal.working_hours_between(a, b) == pytest.approx(expected if a <= b else -expected, abs=1e-9)


@PROPS
@given(
    cal=calendars(),
    t=moments(),
    amount=st.integers(0, 90),
    unit=st.sampled_from(["working_day", "day", "month"]),
)
def test_day_based_deadlines_end_at_closing_of_a_working_day(
    cal: WorkingCalendar, t: datetime, amount: int, unit: str
) -> None:
    due = cal.deadline(t, amount, unit)
    assert cal.is_working_day(due.date())
    assert due == cal.closing(due.date())
    assert due > t
    received = cal.next_working_moment(t).date()
    if unit == "working_day":
        assert cal.working_days_between(received, due.date()) == amount
    else:
        floor = received + timedelta(days=amount) if unit == "day" else add_months(received, amount)
        assert due.date() >= floor
        # moved forward only over days off
        assert cal.working_days_between(floor, due.date()) <= 1

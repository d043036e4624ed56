"""Vietnamese working calendar and deadline arithmetic (lịch làm việc, tính thời hạn giải quyết).

Two layers:

* :class:`WorkingCalendar` — a pure value: a set of days off, a set of extra working days
  (ngày làm bù) and the office hours. Every method is a pure function of those inputs, so the
  arithmetic is property-tested without a database.
* :func:`get_calendar` — the calendar in force: the ``holidays`` package (Bộ luật Lao động 2019
  Điều 112, with nghỉ bù and the swapped Saturdays the government announces) plus the
  :class:`~chinhquyenso.workdays.models.CalendarOverride` rows, which win. The module-level
  functions (:func:`is_working_day`, :func:`deadline`, ...) call it for you.

**Receipt after office hours** (tiếp nhận ngoài giờ): a dossier received outside office hours —
after closing, during the lunch break, on a weekend or a day off (e.g. submitted online at
night) — is counted from the next working moment, i.e. the next opening of the office. This
follows the rule used by the one-stop systems (reference ``vn-methodology.md`` §5.2: "a receipt
after closing time starts the next morning", 8 working hours = 1 working day, office hours
configurable, default 07:00–11:30 and 13:30–17:00). No general statutory cut-off hour exists;
a procedure that sets its own (e.g. "sau 15 giờ thì tính từ ngày làm việc tiếp theo") can model
it by passing a later ``start``.

**Day-based deadlines end at closing time**: the appointment (NgayHenTra) is a day; we set the
due moment to the end of office hours of that day, so finishing at any time that day is on time.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, overload
from zoneinfo import ZoneInfo

from chinhquyenso.core.text import fold

DEFAULT_OFFICE_HOURS = "07:00-11:30,13:30-17:00"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKEND = frozenset({5, 6})  # thứ Bảy, Chủ nhật
DEFAULT_YEARS = (2015, 2035)  # precomputed on first use, extended lazily when a date falls outside

DEFAULT_DAY_OFF_NAME = "Ngày nghỉ"
DEFAULT_WORKING_DAY_NAME = "Ngày làm việc bù"

UNITS = ("hour", "working_day", "day", "month")
# DonViTinh / LoaiThoiGianThucHien of the national catalogue, folded, to our unit codes.
_UNIT_ALIASES = {
    "hour": "hour",
    "hours": "hour",
    "gio": "hour",
    "gio lam viec": "hour",
    "working_day": "working_day",
    "working day": "working_day",
    "ngay lam viec": "working_day",
    "day": "day",
    "days": "day",
    "ngay": "day",
    "month": "month",
    "months": "month",
    "thang": "month",
}

Interval = tuple[timedelta, timedelta]  # offsets from local midnight: [opening, closing)
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_office_hours(spec: str | Sequence[tuple[time, time]]) -> tuple[Interval, ...]:
    """``"07:00-11:30,13:30-17:00"`` (or a list of ``(time, time)``) to sorted, disjoint intervals."""
    pairs: list[tuple[int, int]] = []  # minutes from midnight
    if isinstance(spec, str):
        for part in spec.split(","):
            match = _HHMM.match(part)
            if not match:
                raise ValueError(f"Giờ làm việc không hợp lệ: {part!r} (cần dạng 07:00-11:30,13:30-17:00).")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
                raise ValueError(f"Giờ làm việc không hợp lệ: {part!r}.")
            pairs.append((h1 * 60 + m1, h2 * 60 + m2))
    else:
        for start, end in spec:
            pairs.append((start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    if not pairs:
        raise ValueError("Cần ít nhất một khoảng giờ làm việc.")
    pairs.sort()
    for i, (opens, closes) in enumerate(pairs):
        if opens >= closes:
            raise ValueError("Giờ mở cửa phải trước giờ đóng cửa trong mỗi khoảng giờ làm việc.")
        if i and opens < pairs[i - 1][1]:
            raise ValueError("Các khoảng giờ làm việc không được chồng lên nhau.")
    return tuple((timedelta(minutes=s), timedelta(minutes=e)) for s, e in pairs)


def normalize_unit(unit: str) -> str:
    """Our unit code for ``"hour"``/``"Giờ"``, ``"working_day"``/``"Ngày làm việc"``, ``"day"``/``"Ngày"``,
    ``"month"``/``"Tháng"``."""
    code = _UNIT_ALIASES.get(fold(unit))
    if code is None:
        raise ValueError(f"Đơn vị thời gian không hợp lệ: {unit!r} (giờ, ngày làm việc, ngày, tháng).")
    return code


def add_months(d: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31/01 + 1 tháng = 28/02 or 29/02)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(d.day, last_day))


def _named(days: Mapping[date, str] | Iterable[date], default: str) -> dict[date, str]:
    items: Iterable[tuple[date, str]]
    if isinstance(days, Mapping):
        items = days.items()
    else:
        items = ((d, default) for d in days)
    named: dict[date, str] = {}
    for d, name in items:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"Cần kiểu date, không phải {type(d).__name__}.")
        named[d] = name or default
    return named


def _check_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("Số ngày làm việc phải là số nguyên.")
    return n


class WorkingCalendar:
    """A working calendar (lịch làm việc): pure, immutable, cheap to query.

    A day is a working day when it is listed in ``working_days`` (ngày làm bù, or an override),
    else when it is not in ``days_off`` and not a weekend day. The two sets must not overlap:
    the caller (:func:`get_calendar`) has already decided which one wins.

    Counting is O(log n) for any range: plain weekdays are counted by arithmetic, then the
    weekday days off and the weekend working days inside the range are found by bisection.
    """

    def __init__(
        self,
        days_off: Mapping[date, str] | Iterable[date] = (),
        working_days: Mapping[date, str] | Iterable[date] = (),
        office_hours: str | Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        *,
        tz: tzinfo = TIMEZONE,
        weekend: Iterable[int] = WEEKEND,
    ) -> None:
        self._off = _named(days_off, DEFAULT_DAY_OFF_NAME)
        self._extra = _named(working_days, DEFAULT_WORKING_DAY_NAME)
        clash = sorted(self._off.keys() & self._extra.keys())
        if clash:
            raise ValueError(f"Ngày vừa là ngày nghỉ vừa là ngày làm việc: {clash[0].isoformat()}.")
        self.weekend = frozenset(weekend)
        if not self.weekend <= set(range(7)) or len(self.weekend) == 7:
            raise ValueError("Ngày nghỉ hằng tuần phải là một phần của 0..6 (thứ Hai = 0).")
        self.tz = tz
        self.intervals = parse_office_hours(office_hours)
        self.day_length = sum((end - start for start, end in self.intervals), timedelta())
        self.hours_per_day = self.day_length.total_seconds() / 3600
        # Only the entries that change the plain Mon–Fri answer matter for counting.
        self._off_weekdays = sorted(d for d in self._off if d.weekday() not in self.weekend)
        self._extra_weekend = sorted(d for d in self._extra if d.weekday() in self.weekend)
        # _prefix[r]: working weekdays among the first r days of a week starting on Monday.
        self._prefix = [sum(1 for w in range(r) if w not in self.weekend) for r in range(8)]

    def __repr__(self) -> str:
        return (
            f"<WorkingCalendar {len(self._off)} days off, {len(self._extra)} working days, "
            f"{self.hours_per_day:g} h/day>"
        )

    # --- days -------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Ngày làm việc: Mon–Fri and not a day off, or an explicit working day (làm bù)."""
        d = self._as_date(d)
        if d in self._extra:
            return True
        if d in self._off:
            return False
        return d.weekday() not in self.weekend

    def _plain(self, ordinal: int) -> int:
        """Non-weekend days in ordinals 1..ordinal (ordinal 1 = Monday 01/01/0001)."""
        weeks, rest = divmod(ordinal, 7)
        return weeks * self._prefix[7] + self._prefix[rest]

    def _count(self, a: date, b: date) -> int:
        """Working days in (a, b], for a <= b."""
        plain = self._plain(b.toordinal()) - self._plain(a.toordinal())
        off = bisect.bisect_right(self._off_weekdays, b) - bisect.bisect_right(self._off_weekdays, a)
        extra = bisect.bisect_right(self._extra_weekend, b) - bisect.bisect_right(self._extra_weekend, a)
        return plain - off + extra

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (−count of (b, a]) when b < a.

        ``working_days_between(d, add_working_days(d, n)) == n`` for every n ≥ 0.
        """
        a, b = self._as_date(a), self._as_date(b)
        return self._count(a, b) if a <= b else -self._count(b, a)

    @overload
    def add_working_days(self, start: datetime, n: int) -> datetime: ...

    @overload
    def add_working_days(self, start: date, n: int) -> date: ...

    def add_working_days(self, start: date | datetime, n: int) -> date | datetime:
        """For a date: the n-th working day after it (n = 0 gives the date itself; n < 0 the |n|-th
        working day before it). For a datetime: the same clock time n working days later, counted
        from :meth:`next_working_moment` (a receipt after hours counts from the next opening)."""
        n = _check_count(n)
        if isinstance(start, datetime):
            moment = self.next_working_moment(start)
            day = self._add_days(moment.date(), n)
            return self._at(day, moment - self._at(moment.date(), timedelta()))
        return self._add_days(start, n)

    def _add_days(self, d: date, n: int) -> date:
        if n == 0:
            return d
        per_week = self._prefix[7]
        if n > 0:
            lo, hi = d.toordinal(), d.toordinal() + n * 7 // per_week + 7
            while (got := self._count(d, date.fromordinal(hi))) < n:
                lo, hi = hi, hi + (n - got) * 7 // per_week + 7
            # smallest e in (lo, hi] with count(d, e) >= n: that e is the n-th working day
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self._count(d, date.fromordinal(mid)) >= n:
                    hi = mid
                else:
                    lo = mid
            return date.fromordinal(hi)
        m = -n
        before = d - timedelta(days=1)

        def in_range(ordinal: int) -> int:  # working days in [e, d)
            return self._count(date.fromordinal(ordinal - 1), before)

        hi, lo = d.toordinal(), d.toordinal() - m * 7 // per_week - 7
        while (got := in_range(lo)) < m:
            hi, lo = lo, lo - (m - got) * 7 // per_week - 7
        # largest e in [lo, hi) with at least m working days in [e, d): e is a working day
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if in_range(mid) >= m:
                lo = mid
            else:
                hi = mid
        return date.fromordinal(lo)

    def days_off(self, year: int, *, include_weekends: bool = False) -> list[tuple[date, str]]:
        """Days off (ngày nghỉ lễ, Tết, nghỉ bù, overrides) of a year with their names, sorted.

        Weekend days are left out unless asked: they are off anyway (a holiday on a Sunday shows
        up as its weekday nghỉ bù instead)."""
        return sorted(
            (d, name)
            for d, name in self._off.items()
            if d.year == year and (include_weekends or d.weekday() not in self.weekend)
        )

    def extra_working_days(self, year: int) -> list[tuple[date, str]]:
        """Working days that the weekly rule would make days off (ngày làm bù), with names, sorted."""
        return sorted((d, name) for d, name in self._extra.items() if d.year == year)

    # --- moments ----------------------------------------------------------------------------------

    def _as_date(self, d: date) -> date:
        if isinstance(d, datetime):
            return self._local(d).date()
        return d

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("Cần thời điểm có múi giờ (aware datetime).")
        return t.astimezone(self.tz)

    def _at(self, d: date, offset: timedelta) -> datetime:
        """Local wall-clock moment ``offset`` after midnight of ``d`` (Vietnam has no DST)."""
        return datetime(d.year, d.month, d.day, tzinfo=self.tz) + offset

    def opening(self, d: date) -> datetime:
        """Giờ mở cửa of the day."""
        return self._at(d, self.intervals[0][0])

    def closing(self, d: date) -> datetime:
        """Giờ đóng cửa of the day: the due moment of day-based deadlines."""
        return self._at(d, self.intervals[-1][1])

    def is_office_time(self, t: datetime) -> bool:
        """Inside office hours of a working day (opening included, closing excluded)."""
        local = self._local(t)
        if not self.is_working_day(local.date()):
            return False
        offset = local - self._at(local.date(), timedelta())
        return any(start <= offset < end for start, end in self.intervals)

    def next_working_moment(self, t: datetime) -> datetime:
        """``t`` itself (in local time) if inside office hours, else the next opening.

        This is the receipt-after-hours rule (vn-methodology.md §5.2): a dossier received after
        closing, at lunch, on a weekend or a holiday counts from the next time the office opens.
        """
        local = self._local(t)
        day = local.date()
        if self.is_working_day(day):
            for start, end in self.intervals:
                if local < self._at(day, end):
                    return max(local, self._at(day, start))
        return self.opening(self._add_days(day, 1))

    def _overlap(self, day: date, lo: datetime, hi: datetime) -> timedelta:
        """Office time of ``day`` inside [lo, hi)."""
        total = timedelta()
        if not self.is_working_day(day):
            return total
        for start, end in self.intervals:
            seg = min(hi, self._at(day, end)) - max(lo, self._at(day, start))
            if seg > timedelta():
                total += seg
        return total

    def _consume(self, day: date, since: datetime, remaining: timedelta) -> tuple[datetime | None, timedelta]:
        """Spend office time of ``day`` from ``since``; the moment it runs out, or what is left."""
        if self.is_working_day(day):
            for start, end in self.intervals:
                seg_start, seg_end = max(since, self._at(day, start)), self._at(day, end)
                if seg_start >= seg_end:
                    continue
                if remaining <= seg_end - seg_start:
                    return seg_start + remaining, timedelta()
                remaining -= seg_end - seg_start
        return None, remaining

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` office hours after ``start`` (giờ làm việc; lunch, nights and days
        off do not count). The result may be a closing time: work done by 11:30 is done by 11:30.
        Resolution is one microsecond."""
        if isinstance(hours, bool) or not math.isfinite(hours) or hours < 0:
            raise ValueError("Số giờ làm việc phải là số không âm.")
        local = self._local(start)
        remaining = timedelta(hours=hours)
        if remaining == timedelta():
            return local
        day = local.date()
        done, remaining = self._consume(day, local, remaining)
        if done is not None:
            return done
        skip = (remaining - timedelta(microseconds=1)) // self.day_length  # whole days before the last one
        remaining -= skip * self.day_length
        last_day = self._add_days(day, skip + 1)
        done, _ = self._consume(last_day, self.opening(last_day), remaining)
        assert done is not None  # remaining <= day_length
        return done

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Office hours in [a, b) (negative if b < a): the inverse of :meth:`add_working_hours`."""
        a, b = self._local(a), self._local(b)
        if b < a:
            return -self.working_hours_between(b, a)
        first, last = a.date(), b.date()
        if first == last:
            total = self._overlap(first, a, b)
        else:
            total = self._overlap(first, a, self._at(first, timedelta(days=1)))
            total += self._overlap(last, self._at(last, timedelta()), b)
            total += self._count(first, last - timedelta(days=1)) * self.day_length
        return total.total_seconds() / 3600

    def deadline(self, start: datetime, amount: float, unit: str) -> datetime:
        """Due moment (hạn giải quyết) of a time limit counted from a receipt at ``start``.

        ``unit`` (DonViTinh; English code or Vietnamese label):

        * ``"hour"`` / Giờ: ``amount`` office hours after ``start``.
        * ``"working_day"`` / Ngày làm việc: closing time of the ``amount``-th working day after
          the receipt day. A fractional amount is counted as office hours (0,5 ngày = 4 giờ).
        * ``"day"`` / Ngày: calendar days, then moved forward to a working day if it lands on a day off.
        * ``"month"`` / Tháng: calendar months (clamped to the month's end), same rule.

        The receipt day is the day of :meth:`next_working_moment` (after-hours rule). Day-based
        units are due at closing time of the due day: the appointment (NgayHenTra) is a day, and
        finishing any time that day is on time.
        """
        code = normalize_unit(unit)
        if isinstance(amount, bool) or not math.isfinite(amount) or amount < 0:
            raise ValueError("Thời hạn phải là số không âm.")
        if code == "hour":
            return self.add_working_hours(start, amount)
        whole = int(amount)
        if whole != amount:
            if code == "working_day":
                return self.add_working_hours(start, amount * self.hours_per_day)
            raise ValueError("Thời hạn tính theo ngày hoặc tháng phải là số nguyên.")
        received = self.next_working_moment(start).date()
        if code == "working_day":
            due = self._add_days(received, whole)
        else:
            due = received + timedelta(days=whole) if code == "day" else add_months(received, whole)
            if not self.is_working_day(due):
                due = self._add_days(due, 1)
        return self.closing(due)


# --- the calendar in force ------------------------------------------------------------------------

_SUBSTITUTE = re.compile(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})")


def base_calendar(first_year: int, last_year: int) -> tuple[dict[date, str], dict[date, str]]:
    """Days off and make-up working days from the ``holidays`` package, Vietnamese names.

    The package lists a swapped day off as "Ngày nghỉ (thay cho ngày 26/04/2025)"; the Saturday
    it names is in ``weekend_workdays`` and gets the name "Ngày làm việc bù (cho ngày 02/05/2025)".
    """
    import holidays

    calendar = holidays.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")
    days_off = {d: str(name) for d, name in calendar.items() if first_year <= d.year <= last_year}
    swapped: dict[date, date] = {}
    for d, name in days_off.items():
        if match := _SUBSTITUTE.search(name):
            dd, mm, yyyy = (int(g) for g in match.groups())
            swapped[date(yyyy, mm, dd)] = d
    working: dict[date, str] = {}
    for d in calendar.weekend_workdays:
        if first_year <= d.year <= last_year:
            instead = swapped.get(d)
            working[d] = (
                f"{DEFAULT_WORKING_DAY_NAME} (cho ngày {instead:%d/%m/%Y})" if instead else DEFAULT_WORKING_DAY_NAME
            )
    return days_off, working


@dataclass(frozen=True)
class _Entry:
    key: tuple[Any, ...]
    first_year: int
    last_year: int
    calendar: WorkingCalendar


_lock = threading.Lock()
_entry: _Entry | None = None
_base: tuple[int, int, dict[date, str], dict[date, str]] | None = None


def invalidate_calendar_cache() -> None:
    """Drop the cached calendar (the services call it when an override changes)."""
    global _entry
    _entry = None


def _overrides_state() -> tuple[Any, ...]:
    """A cheap fingerprint of the override table, so every process sees a change at once.

    One small aggregate query (raw SQL: the ORM would cost ten times more on this hot path). It
    also catches changes made by another process, by a data migration, or undone by a
    rolled-back transaction, where no service could tell us."""
    from django.db import DatabaseError, connection

    from chinhquyenso.workdays.models import CalendarOverride

    table = connection.ops.quote_name(CalendarOverride._meta.db_table)
    sql = f"SELECT COUNT(*), MAX(id), MAX(updated_at) FROM {table}"  # noqa: S608 - no user input
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        return ("unavailable",)  # not migrated yet: the library calendar alone
    return tuple(row) if row else ()


def _load_overrides(state: tuple[Any, ...]) -> list[tuple[date, str, str]]:
    if state == ("unavailable",):
        return []
    from chinhquyenso.workdays.models import CalendarOverride

    return list(CalendarOverride.objects.order_by("day").values_list("day", "kind", "name"))


def compose(
    base_off: Mapping[date, str], base_working: Mapping[date, str], overrides: Iterable[tuple[date, str, str]]
) -> tuple[dict[date, str], dict[date, str]]:
    """Library calendar plus overrides; an override wins over the library for its day."""
    days_off, working = dict(base_off), dict(base_working)
    for day, kind, name in overrides:
        if kind == "day_off":
            working.pop(day, None)
            days_off[day] = name
        else:
            days_off.pop(day, None)
            working[day] = name
    return days_off, working


def _office_hours_setting() -> str:
    from django.conf import settings

    return str(getattr(settings, "CHINHQUYENSO", {}).get("OFFICE_HOURS") or DEFAULT_OFFICE_HOURS)


def get_calendar(*, years: Iterable[int] = ()) -> WorkingCalendar:
    """The working calendar in force: ``holidays`` (VN, Vietnamese names) + CalendarOverride rows.

    The library part is precomputed for 2015–2035 (and lazily widened when ``years`` asks for
    more); the result is cached and rebuilt only when the override table or the office-hours
    setting changes. Cost of a cache hit: one tiny aggregate query. Call it once and use the
    methods when computing many deadlines in a loop.
    """
    global _entry, _base
    wanted = list(years)
    first = min([DEFAULT_YEARS[0], *wanted])
    last = max([DEFAULT_YEARS[1], *wanted])
    key = (_overrides_state(), _office_hours_setting())
    entry = _entry
    if entry is not None and entry.key == key and entry.first_year <= first and entry.last_year >= last:
        return entry.calendar
    with _lock:
        base = _base
        if base is None or base[0] > first or base[1] < last:
            if base is not None:
                first, last = min(first, base[0]), max(last, base[1])
            base = (first, last, *base_calendar(first, last))
            _base = base
        days_off, working = compose(base[2], base[3], _load_overrides(key[0]))
        calendar = WorkingCalendar(days_off, working, key[1])
        _entry = _Entry(key=key, first_year=base[0], last_year=base[1], calendar=calendar)
        return calendar


def _years_around(d: date, spread_days: float = 0) -> tuple[int, ...]:
    """Years a computation from ``d`` may touch, with a year of margin either side."""
    if isinstance(d, datetime):
        d = d.astimezone(TIMEZONE).date() if d.tzinfo else d.date()
    spread = abs(spread_days) if math.isfinite(spread_days) else 0.0
    reach = min(math.ceil(spread / 365), 50) + 1  # absurd amounts fail in the arithmetic, not here
    return (d.year - reach, d.year + reach)


# --- module-level functions: the calendar in force ------------------------------------------------


def is_working_day(d: date) -> bool:
    """Ngày làm việc according to the calendar in force (see :meth:`WorkingCalendar.is_working_day`)."""
    return get_calendar(years=_years_around(d)).is_working_day(d)


def next_working_moment(t: datetime) -> datetime:
    """See :meth:`WorkingCalendar.next_working_moment`: the receipt-after-hours rule."""
    return get_calendar(years=_years_around(t, 30)).next_working_moment(t)


@overload
def add_working_days(start: datetime, n: int) -> datetime: ...


@overload
def add_working_days(start: date, n: int) -> date: ...


def add_working_days(start: date | datetime, n: int) -> date | datetime:
    """See :meth:`WorkingCalendar.add_working_days`; ``add_working_days(date(2026, 2, 12), 5)`` is 26/02/2026."""
    return get_calendar(years=_years_around(start, _check_count(n) * 1.5)).add_working_days(start, n)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """See :meth:`WorkingCalendar.add_working_hours`."""
    return get_calendar(years=_years_around(start, hours / 8 * 1.5)).add_working_hours(start, hours)


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b]; see :meth:`WorkingCalendar.working_days_between`."""
    return get_calendar(years=_years_around(a) + _years_around(b)).working_days_between(a, b)


def working_hours_between(a: datetime, b: datetime) -> float:
    """Office hours in [a, b); see :meth:`WorkingCalendar.working_hours_between`."""
    return get_calendar(years=_years_around(a) + _years_around(b)).working_hours_between(a, b)


def deadline(start: datetime, amount: float, unit: str) -> datetime:
    """Due moment of a TTHC time limit; see :meth:`WorkingCalendar.deadline` for the units and rules."""
    spread = {"month": 31, "day": 1}.get(_UNIT_ALIASES.get(fold(unit), ""), 1.5) * amount
    return get_calendar(years=_years_around(start, spread)).deadline(start, amount, unit)


def days_off(year: int) -> list[tuple[date, str]]:
    """Days off of ``year`` (holidays + overrides, weekends excluded), sorted, with Vietnamese names."""
    return get_calendar(years=(year,)).days_off(year)


def extra_working_days(year: int) -> list[tuple[date, str]]:
    """Make-up working days (ngày làm bù) of ``year``, with names."""
    return get_calendar(years=(year,)).extra_working_days(year)

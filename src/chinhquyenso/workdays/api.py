"""``/api/v1/workdays/...``: the public working calendar (read-only; the calendar is public information).

Citizens' pages and the counter use it to show an appointment date (NgayHenTra) before a
dossier is saved; the dossier services call :mod:`chinhquyenso.workdays.calendar` directly.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.workdays import calendar as workcal

router = Router(tags=["Lịch làm việc"])
MIN_YEAR, MAX_YEAR = 1990, 2100


class NamedDay(Schema):
    day: date
    name: str


class YearOut(Schema):
    year: int
    days_off: list[NamedDay]
    working_days: list[NamedDay]


class DeadlineIn(Schema):
    start: datetime
    amount: float
    unit: str


class DeadlineOut(Schema):
    received_at: datetime
    due_at: datetime
    unit: str


@router.get("/workdays/years/{year}", response=YearOut, summary="Ngày nghỉ và ngày làm bù trong năm", auth=None)
def year_calendar(request: HttpRequest, year: int) -> YearOut:
    """Days off (holidays, nghỉ bù, overrides; weekends left out) and make-up working days of a year."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.")
    calendar = workcal.get_calendar(years=(year,))
    return YearOut(
        year=year,
        days_off=[NamedDay(day=d, name=n) for d, n in calendar.days_off(year)],
        working_days=[NamedDay(day=d, name=n) for d, n in calendar.extra_working_days(year)],
    )


@router.get("/workdays/deadline", response=DeadlineOut, summary="Tính hạn giải quyết", auth=None)
def compute_deadline(request: HttpRequest, params: Query[DeadlineIn]) -> DeadlineOut:
    """Due moment of a time limit from a receipt moment (after-hours receipts count from the next opening).
    ``unit``: hour | working_day | day | month (or Giờ, Ngày làm việc, Ngày, Tháng)."""
    start = params.start
    if start.tzinfo is None:
        start = start.replace(tzinfo=workcal.TIMEZONE)
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise ValidationFailed(f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.")
    try:
        unit = workcal.normalize_unit(params.unit)
        due = workcal.deadline(start, params.amount, unit)
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed(str(exc)) from exc
    return DeadlineOut(received_at=workcal.next_working_moment(start), due_at=due, unit=unit)

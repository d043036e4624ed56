"""Reads of the calendar table. The arithmetic itself is in :mod:`chinhquyenso.workdays.calendar`."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from chinhquyenso.core.errors import NotFound
from chinhquyenso.workdays.models import CalendarOverride


def calendar_override_list(*, year: int | None = None) -> QuerySet[CalendarOverride]:
    """Overrides in date order, optionally of one year."""
    rows = CalendarOverride.objects.order_by("day")
    if year is not None:
        rows = rows.filter(day__year=year)
    return rows


def calendar_override_get(*, day: date) -> CalendarOverride:
    try:
        return CalendarOverride.objects.get(day=day)
    except CalendarOverride.DoesNotExist:
        raise NotFound(f"Không có điều chỉnh lịch cho ngày {day:%d/%m/%Y}.") from None

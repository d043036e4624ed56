"""Vietnamese formatting for printed forms: money ``1.250.000 đ``, dates ``25/11/2026``, and the
administrative date wording ``ngày 05 tháng 3 năm 2026`` of Nghị định 30/2020/NĐ-CP (a day below
10, and the months 1 and 2, take a leading zero)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

#: Forms are printed in Vietnam time whatever the server's zone; aware datetimes are converted.
LOCAL_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")


def nfc(text: object) -> str:
    """Composed Unicode: reportlab places NFD combining marks badly."""
    return unicodedata.normalize("NFC", "" if text is None else str(text))


def format_number_vn(value: int | Decimal) -> str:
    """``1250000`` -> ``1.250.000`` (dot as thousands separator)."""
    amount = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")


def format_vnd(amount: int | Decimal) -> str:
    """``1250000`` -> ``1.250.000 đ``; đồng has no minor unit, so half rounds up."""
    return f"{format_number_vn(amount)} đ"


def to_local(value: datetime) -> datetime:
    """Vietnam wall-clock time (aware); a naive datetime is taken as already local."""
    return value.astimezone(LOCAL_TZ) if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def _as_date(value: date | datetime) -> date:
    return to_local(value).date() if isinstance(value, datetime) else value


def format_date_vn(value: date | datetime | None) -> str:
    """``25/11/2026``; empty for None."""
    if value is None:
        return ""
    return _as_date(value).strftime("%d/%m/%Y")


def format_datetime_vn(value: datetime | None) -> str:
    """``09:05 25/11/2026``; empty for None."""
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M %d/%m/%Y")


def _day(day: int) -> str:
    return f"{day:02d}"


def _month(month: int) -> str:
    return f"{month:02d}" if month <= 2 else str(month)


def format_date_words(value: date | datetime) -> str:
    """``ngày 25 tháng 11 năm 2026`` (``ngày 05 tháng 02 năm 2026``, ``ngày 15 tháng 3 năm 2026``)."""
    day = _as_date(value)
    return f"ngày {_day(day.day)} tháng {_month(day.month)} năm {day.year}"


def format_place_date(place: str, value: date | datetime) -> str:
    """``An Giang, ngày 25 tháng 11 năm 2026``: the line under the national motto."""
    return f"{nfc(place)}, {format_date_words(value)}"


def format_datetime_words(value: datetime) -> str:
    """``10 giờ 05 phút, ngày 25 tháng 11 năm 2026``: how the forms state receipt and return times."""
    local = to_local(value)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {format_date_words(local)}"


def timeliness_label(finished_at: datetime | None, due_at: datetime | None) -> str:
    """Trước hạn / Đúng hạn / Quá hạn for Mẫu 06: finished on an earlier day than due is early,
    on the due day (not after the due time) is on time, anything later is late."""
    if finished_at is None or due_at is None:
        return ""
    if to_local(finished_at) > to_local(due_at):
        return "Quá hạn"
    if _as_date(finished_at) < _as_date(due_at):
        return "Trước hạn"
    return "Đúng hạn"

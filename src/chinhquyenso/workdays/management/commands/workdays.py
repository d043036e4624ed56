"""``chinhquyenso workdays add|between|deadline|list``: the working calendar from the shell."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.workdays import calendar as workcal

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VN_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
MIN_YEAR, MAX_YEAR = 1990, 2100


def parse_day(text: str) -> date:
    """``2026-02-12`` or ``12/02/2026``."""
    text = text.strip()
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        if _VN_DATE.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        pass
    raise CommandError(f"Ngày không hợp lệ: {text!r} (cần dạng 2026-02-12 hoặc 12/02/2026) / invalid date.")


def parse_moment(text: str) -> date | datetime:
    """A day, or a moment ``2026-02-12T16:30`` / ``12/02/2026 16:30`` (local time if no offset)."""
    text = text.strip()
    if _ISO_DATE.match(text) or _VN_DATE.match(text):
        return parse_day(text)
    moment: datetime | None = None
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
    if moment is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(
                f"Thời điểm không hợp lệ: {text!r} (cần dạng 2026-02-12T16:30 hoặc 12/02/2026 16:30) / invalid moment."
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=workcal.TIMEZONE)


def parse_int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise CommandError(f"{what} phải là số nguyên: {text!r} / must be an integer.") from None


def _show(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(workcal.TIMEZONE).isoformat(timespec="minutes")
    return value.isoformat()


class Command(BaseCommand):
    help = (
        "Lịch làm việc: cộng ngày làm việc, đếm ngày làm việc, tính hạn, liệt kê ngày nghỉ / "
        "Working calendar: add working days, count them, compute a deadline, list days off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,between,deadline,list}")
        add = sub.add_parser(
            "add",
            help="Ngày làm việc thứ N sau một ngày / the N-th working day after a date",
            description="In ra ngày làm việc thứ N sau START (N âm: trước START) / "
            "print the N-th working day after START (negative N: before it). "
            "Ví dụ / example: workdays add 2026-02-12 5 -> 2026-02-26",
        )
        add.add_argument("start", help="Ngày (2026-02-12 hoặc 12/02/2026) hoặc thời điểm / date or moment")
        add.add_argument("n", help="Số ngày làm việc / number of working days")
        between = sub.add_parser(
            "between",
            help="Số ngày làm việc trong (A, B] / working days in (A, B]",
            description="Đếm ngày làm việc sau A đến hết B (âm nếu B trước A) / "
            "count working days after A up to and including B (negative if B is before A).",
        )
        between.add_argument("a", help="Ngày bắt đầu / start date")
        between.add_argument("b", help="Ngày kết thúc / end date")
        due = sub.add_parser(
            "deadline",
            help="Hạn giải quyết từ thời điểm tiếp nhận / due moment from a receipt",
            description="Hạn giải quyết: tiếp nhận lúc START, thời hạn AMOUNT UNIT / "
            "due moment of a time limit AMOUNT UNIT counted from a receipt at START. "
            "UNIT: hour|working_day|day|month (giờ, ngày làm việc, ngày, tháng).",
        )
        due.add_argument("start", help="Thời điểm tiếp nhận, ví dụ 2026-02-12T16:30 / receipt moment")
        due.add_argument("amount", help="Thời hạn / amount")
        due.add_argument("unit", help="hour | working_day | day | month")
        listing = sub.add_parser(
            "list",
            help="Các ngày nghỉ và ngày làm bù trong năm / days off and make-up working days of a year",
            description="Liệt kê ngày nghỉ (lễ, Tết, nghỉ bù, điều chỉnh) và ngày làm bù [làm bù] / "
            "list days off (holidays, substitutes, overrides) and make-up working days [làm bù].",
        )
        listing.add_argument("year", help="Năm / year, ví dụ 2026")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "add":
                start = parse_moment(options["start"])
                n = parse_int(options["n"], "Số ngày làm việc / N")
                self.stdout.write(_show(workcal.add_working_days(start, n)))
            elif action == "between":
                a, b = parse_day(options["a"]), parse_day(options["b"])
                self.stdout.write(str(workcal.working_days_between(a, b)))
            elif action == "deadline":
                moment = parse_moment(options["start"])
                if not isinstance(moment, datetime):
                    moment = datetime(moment.year, moment.month, moment.day, tzinfo=workcal.TIMEZONE)
                try:
                    amount = float(options["amount"].replace(",", "."))
                except ValueError:
                    raise CommandError(
                        f"Thời hạn phải là số: {options['amount']!r} / amount must be a number."
                    ) from None
                self.stdout.write(_show(workcal.deadline(moment, amount, options["unit"])))
            else:
                self._list(parse_int(options["year"], "Năm / year"))
        except (ValueError, TypeError, OverflowError) as exc:
            raise CommandError(f"{exc} / invalid input.") from exc

    def _list(self, year: int) -> None:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR} / year out of range.")
        calendar = workcal.get_calendar(years=(year,))
        rows = [(d, name) for d, name in calendar.days_off(year)]
        rows += [(d, f"[làm bù] {name}") for d, name in calendar.extra_working_days(year)]
        for d, label in sorted(rows):
            self.stdout.write(f"{d:%d/%m/%Y}  {label}")

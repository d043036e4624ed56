"""``chinhquyenso feedback-rules [list|add|due]``: the dated PAKN time limits, from the shell.

``list`` shows every rule set; ``add`` writes a new version (the open-ended one in force before it
is closed the day before); ``due`` prints the deadlines of a petition received at a moment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.core.errors import DomainError
from chinhquyenso.feedback import rules
from chinhquyenso.feedback.selectors import rule_set_in_force, rule_sets
from chinhquyenso.feedback.services import rule_set_create
from chinhquyenso.workdays import calendar
from chinhquyenso.workdays.calendar import TIMEZONE


def _day(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CommandError(f"Ngày không hợp lệ: {text!r} (cần dạng 2026-07-01 hoặc 01/07/2026) / invalid date.")


def _moment(text: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            moment = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return moment.replace(tzinfo=TIMEZONE)
    raise CommandError(f"Thời điểm không hợp lệ: {text!r} (cần dạng 2026-02-13T10:00) / invalid moment.")


class Command(BaseCommand):
    help = "Quy tắc thời hạn xử lý PAKN (list, add, due) / PAKN time-limit rule sets (list, add, due)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Liệt kê các bộ quy tắc / list rule sets")
        add = sub.add_parser("add", help="Thêm bộ quy tắc mới có hiệu lực từ một ngày / add a new dated rule set")
        add.add_argument("--code", required=True, help="Mã bộ quy tắc / rule-set code")
        add.add_argument("--name", required=True, help="Tên / name")
        add.add_argument("--valid-from", required=True, help="Hiệu lực từ ngày / valid from (2026-07-01)")
        add.add_argument("--valid-to", help="Hiệu lực đến ngày (gồm cả ngày này) / valid to, inclusive")
        add.add_argument("--legal-basis", default="", help="Căn cứ pháp lý / legal basis")
        for flag, label in (("reply", "trả lời / reply"), ("refuse", "từ chối / refuse"),
                            ("first-info-request", "yêu cầu bổ sung lần đầu / first info request"),
                            ("publish", "công khai / publish"), ("in-progress", "đang xử lý cuối kỳ / in progress")):
            add.add_argument(f"--{flag}-days", type=int, required=True,
                             help=f"Số ngày làm việc: {label} / working days")
        due = sub.add_parser("due", help="Hạn xử lý của PAKN tiếp nhận lúc… / deadlines of a petition received at…")
        due.add_argument("received_at", help="Thời điểm tiếp nhận / received at (2026-02-13T10:00)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for r in rule_sets():
                end = f"{r.valid_to:%d/%m/%Y}" if r.valid_to else "nay / now"
                self.stdout.write(
                    f"{r.code}\t{r.valid_from:%d/%m/%Y} – {end}\ttrả lời {r.reply_days}, từ chối {r.refuse_days}, "
                    f"bổ sung {r.first_info_request_days}, công khai {r.publish_days}, "
                    f"đang xử lý {r.in_progress_days} NLV\t{r.legal_basis}"
                )
            return
        try:
            if action == "add":
                created = rule_set_create(
                    code=options["code"], name=options["name"], valid_from=_day(options["valid_from"]),
                    valid_to=_day(options["valid_to"]) if options.get("valid_to") else None,
                    legal_basis=options["legal_basis"], reply_days=options["reply_days"],
                    refuse_days=options["refuse_days"], first_info_request_days=options["first_info_request_days"],
                    publish_days=options["publish_days"], in_progress_days=options["in_progress_days"],
                )
                self.stdout.write(f"Đã thêm / added {created}")
                return
            start = _moment(options["received_at"])
            rule_set = rule_set_in_force(start.date())
            dues = rules.due_dates(start, rules.PetitionRules.from_rule_set(rule_set), calendar.get_calendar())
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{rule_set.code}")
        self.stdout.write(f"từ chối / refuse\t{dues.refuse:%d/%m/%Y}")
        self.stdout.write(f"bổ sung lần đầu / first info request\t{dues.first_info_request:%d/%m/%Y}")
        self.stdout.write(f"trả lời / reply\t{dues.reply:%d/%m/%Y}")

"""``chinhquyenso indicators score|definitions|classify``: the Decision 766 scorer from the shell.

Each sub-command is one ``_cmd_<name>`` method registered in :data:`Command.SUBCOMMANDS`, so later
ones (scorecard, rebuild) slot in without touching the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.core.errors import DomainError
from chinhquyenso.indicators import scoring, selectors

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VN_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
USAGE_ERROR = 2


def fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def parse_day(text: str | None) -> date | None:
    """``2026-10-10`` or ``10/10/2026``; None for today."""
    if text is None:
        return None
    text = text.strip()
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        if _VN_DATE.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        pass
    raise fail(f"Ngày không hợp lệ: {text!r} (cần dạng 2026-10-10 hoặc 10/10/2026) / invalid date.")


def _num(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format(value.normalize(), "f")


class Command(BaseCommand):
    help = (
        "Chỉ số 766: tính điểm một chỉ số, liệt kê định nghĩa, xếp loại / "
        "Decision 766 indicators: score one indicator, list definitions, classify a total."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{score,definitions,classify}")
        score = sub.add_parser(
            "score",
            help="Điểm của một chỉ số từ tử số và mẫu số / points of one indicator from numerator and denominator",
            description="In ra điểm (2 chữ số thập phân) theo định nghĩa áp dụng ngày --on / "
            "print the points (2 decimals) under the definition in force on --on. "
            "Ví dụ / example: indicators score DOSSIER_ON_TIME 393087 443565 -> 17.72",
        )
        score.add_argument("code", help="Mã chỉ số, ví dụ DOSSIER_ON_TIME / indicator code")
        score.add_argument("numerator", help="Tử số / numerator")
        score.add_argument("denominator", help="Mẫu số / denominator")
        score.add_argument("--on", help="Ngày áp dụng (mặc định hôm nay) / date of the definition (default today)")
        score.add_argument("--fallback-denominator", dest="fallback",
                           help="Mẫu số thay thế từ năm trước (chỉ số 1.4) / prior-year substitute denominator")
        score.add_argument("--detail", action="store_true",
                           help="In cả tỷ lệ, điểm tối đa, điểm còn mất / also print rate, max, points at stake")
        definitions = sub.add_parser(
            "definitions",
            help="Bảng định nghĩa chỉ số áp dụng một ngày / table of the definitions in force on a date",
            description="Mã, số hiệu, nhóm, điểm tối đa, chỉ tiêu, quy tắc mẫu số 0, độ chắc chắn / "
            "code, ref, group, max, target, zero-denominator policy, certainty.",
        )
        definitions.add_argument("--on", help="Ngày áp dụng (mặc định hôm nay) / date (default today)")
        classify = sub.add_parser(
            "classify",
            help="Xếp loại một tổng điểm / classify a total score",
            description="Ví dụ / example: indicators classify 76.37 -> Khá",
        )
        classify.add_argument("total", help="Tổng điểm / total score")
        classify.add_argument("--on", help="Ngày áp dụng (mặc định hôm nay) / date (default today)")

    SUBCOMMANDS: dict[str, str] = {"score": "_cmd_score", "definitions": "_cmd_definitions",
                                   "classify": "_cmd_classify"}

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Callable[[dict[str, Any]], None] = getattr(self, self.SUBCOMMANDS[options["action"]])
        try:
            handler(options)
        except DomainError as exc:
            raise fail(f"{exc.message} / {exc.code}") from exc

    def _cmd_score(self, options: dict[str, Any]) -> None:
        result = scoring.score_code(
            options["code"], options["numerator"], options["denominator"], parse_day(options.get("on")),
            fallback_denominator=options.get("fallback"),
        )
        if not options.get("detail"):
            self.stdout.write(str(result.points))
            return
        percent = "—" if result.percent is None else f"{result.percent}%"
        self.stdout.write(
            f"{result.code}: tỷ lệ/rate {percent}  điểm/points {result.points}/{_num(result.max_points)}  "
            f"còn mất/at stake {result.points_at_stake}"
            + ("  (mẫu số 0 / zero denominator)" if result.zero_denominator_applied else "")
        )

    def _cmd_definitions(self, options: dict[str, Any]) -> None:
        on = parse_day(options.get("on"))
        rows = list(selectors.definitions_on(on=on))
        if not rows:
            raise fail("Không có định nghĩa chỉ số nào áp dụng ngày này / no definitions in force on that date.")
        header = ("CODE", "REF", "GROUP", "MAX", "TARGET", "ZERO_DENOMINATOR", "CERTAINTY")
        table = [header] + [
            (d.code, d.ref, d.group.code, _num(d.max_points),
             "—" if d.scoring_kind == "informational" else f"{_num(d.target * 100)}%", d.zero_denominator,
             "certain" if d.weight_certain else "uncertain")
            for d in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            self.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())

    def _cmd_classify(self, options: dict[str, Any]) -> None:
        self.stdout.write(scoring.classify(options["total"], parse_day(options.get("on"))))

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
        sub = parser.add_subparsers(dest="action", required=True,
                                    metavar="{score,definitions,classify,scorecard,rebuild,verify}")
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
        card = sub.add_parser(
            "scorecard",
            help="Bảng điểm 766 của tỉnh, một đơn vị hoặc một cơ quan / the 766 scorecard of the province, a unit "
                 "or an agency",
            description="Nhóm, chỉ số thành phần (tử số/mẫu số/tỷ lệ/điểm), tổng điểm, xếp loại; mặc định: cả tỉnh, "
                        "từ đầu năm đến hôm nay / groups, sub-indicators, total; default: the province, year to date.",
        )
        card.add_argument("--unit", help="Mã đơn vị hành chính (tỉnh, xã; cả đơn vị cũ trước 2025) / unit code")
        card.add_argument("--agency", help="Mã định danh cơ quan / agency code")
        card.add_argument("--from", dest="start", help="Từ ngày / from date")
        card.add_argument("--to", dest="end", help="Đến ngày (mặc định hôm nay) / to date (default today)")
        card.add_argument("--json", action="store_true", help="In JSON / print JSON")
        sub.add_parser(
            "rebuild",
            help="Tính lại toàn bộ số liệu tổng hợp từ hồ sơ / recompute every roll-up from the dossiers",
        )
        sub.add_parser(
            "verify",
            help="So số liệu tổng hợp với kết quả tính lại (không ghi) / compare roll-ups with a recomputation",
        )

    SUBCOMMANDS: dict[str, str] = {"score": "_cmd_score", "definitions": "_cmd_definitions",
                                   "classify": "_cmd_classify", "scorecard": "_cmd_scorecard",
                                   "rebuild": "_cmd_rebuild", "verify": "_cmd_verify"}

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

    def _cmd_scorecard(self, options: dict[str, Any]) -> None:
        import json

        from chinhquyenso.indicators import scorecards

        end = parse_day(options.get("end")) or selectors.today()
        start = parse_day(options.get("start")) or date(end.year, 1, 1)
        info = scorecards.resolve_target(unit_code=options.get("unit"), agency_code=options.get("agency"), on=end)
        card = scorecards.scorecards(scorecards.window_for(start, end), [info])[0]
        if options.get("json"):
            self.stdout.write(json.dumps(scorecards.scorecard_as_dict(card), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{card.label} — {start:%d/%m/%Y}–{end:%d/%m/%Y}")
        self.stdout.write(f"TỔNG ĐIỂM / TOTAL: {card.total}/{_num(card.max_total)}"
                          + (f"  ({card.classification})" if card.classification else ""))
        for group in card.groups:
            self.stdout.write(f"\n{group.code} {group.name}: {group.points}/{_num(group.max_points)}")
            for line in group.lines:
                r = line.result
                rate = "—" if r.percent is None else f"{r.percent}%"
                if line.definition.measure == "average":  # 2.2: an average in working days, not a rate
                    rate = "—" if r.rate is None else f"{r.rate.quantize(Decimal('0.01'))} ngày"
                self.stdout.write(
                    f"  {line.definition.ref:<5} {line.code:<36} {_num(r.numerator):>12} / {_num(r.denominator):<12}"
                    f" {rate:>8}  {r.points}/{_num(r.max_points)}" + ("" if line.definition.weight_certain else " *")
                )
        self.stdout.write("\n* trọng số chưa chắc chắn / uncertain weight")

    def _cmd_rebuild(self, options: dict[str, Any]) -> None:
        from chinhquyenso.indicators.rollups import rollups_rebuild

        summary = rollups_rebuild()
        self.stdout.write(f"Đã tính lại / rebuilt: {summary.dossiers} hồ sơ / dossiers, {summary.cells} ô / cells")

    def _cmd_verify(self, options: dict[str, Any]) -> None:
        from chinhquyenso.indicators.rollups import rollups_verify

        problems = rollups_verify()
        for line in problems[:50]:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} ô lệch / cells differ", returncode=1)
        self.stdout.write("Khớp / roll-ups match a recomputation")

"""XLSX (openpyxl) and CSV exports of a scorecard and of the ranking: the same rows in both formats.

Numbers are written as numbers (Decimal → float in XLSX only at the last step, two decimals), CSV is
UTF-8 with a byte-order mark so spreadsheet programs read the Vietnamese text correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from chinhquyenso.indicators.models import Measure
from chinhquyenso.indicators.scorecards import RankedCard, Scorecard

Row = list[object]

SCORECARD_HEADER: Row = ["Nhóm", "Số hiệu", "Mã chỉ số", "Tên chỉ số", "Tử số", "Mẫu số", "Tỷ lệ / giá trị",
                         "Đơn vị", "Điểm", "Điểm tối đa", "Chỉ tiêu (%)", "Điểm còn mất", "Trọng số chắc chắn"]


def _num(value: Decimal | None, places: str = "0.01") -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal(places))


def _period(card: Scorecard) -> str:
    return f"{card.window.start:%d/%m/%Y} – {card.window.end:%d/%m/%Y}"


def scorecard_rows(card: Scorecard) -> list[Row]:
    """The scorecard as a table: title lines, one row per sub-indicator, group totals, then the KPIs."""
    rows: list[Row] = [
        ["Bảng điểm Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)"],
        ["Đơn vị", card.label],
        ["Kỳ", _period(card)],
        ["Tổng điểm", _num(card.total), "/", _num(card.max_total), "Xếp loại", card.classification or ""],
        [],
        SCORECARD_HEADER,
    ]
    for group in card.groups:
        for line in group.lines:
            r, d = line.result, line.definition
            average = d.measure == Measure.AVERAGE
            rate = _num(r.rate) if average else _num(r.percent)
            rows.append([
                group.code, d.ref, d.code, d.name, _num(r.numerator), _num(r.denominator), rate,
                "ngày làm việc" if average else "%", _num(r.points), _num(r.max_points),
                _num(d.target * 100), _num(r.points_at_stake), "có" if d.weight_certain else "chưa chắc chắn",
            ])
        rows.append([group.code, "", "", f"Cộng nhóm: {group.name}", None, None, None, "", _num(group.points),
                     _num(group.max_points), None, _num(group.max_points - group.points), ""])
    rows += [[], ["Chỉ tiêu theo dõi (KPI)", "Giá trị", "Đơn vị", "Tử số", "Mẫu số"]]
    for k in card.kpis:
        value = _num(k.numerator) if k.unit == "hồ sơ" else k.value
        rows.append([k.label, value, k.unit, _num(k.numerator), _num(k.denominator)])
    return rows


def ranking_rows(ranked: Sequence[RankedCard]) -> list[Row]:
    groups = [g.code for g in ranked[0].card.groups] if ranked else []
    header: Row = ["Hạng", "Trong số", "Cấp", "Cơ quan, đơn vị", "Tổng điểm", "Xếp loại", *groups,
                   "Chỉ số mất nhiều điểm nhất"]
    rows: list[Row] = [header]
    for r in ranked:
        card = r.card
        rows.append([
            r.rank, r.of, "Tỉnh" if card.level == "tinh" else "Xã", card.label, _num(card.total),
            card.classification or "", *[_num(g.points) for g in card.groups],
            "; ".join(f"{w.definition.ref} (−{_num(w.result.points_at_stake)})" for w in r.weakest),
        ])
    return rows


def _cell(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def to_xlsx(rows: Sequence[Row], *, sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    for row in rows:
        ws.append([_cell(v) for v in row])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    ws["A1"].font = Font(bold=True)
    for column, width in (("A", 14), ("B", 10), ("C", 36), ("D", 60)):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else (format(v, "f") if isinstance(v, Decimal) else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

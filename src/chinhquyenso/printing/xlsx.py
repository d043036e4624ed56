"""Mẫu 06 and Mẫu 07 as spreadsheets (openpyxl), for officers who sort and filter them.

Dates are real date cells in Vietnam time (``dd/mm/yyyy hh:mm``), not text. Text that starts
like a formula (``=``, ``+``, ``-``, ``@``) is stored as text, never as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chinhquyenso.printing.data import AgencyInfo, ControlRow, DossierInfo, RegisterRow
from chinhquyenso.printing.format import format_place_date, nfc, timeliness_label, to_local
from chinhquyenso.printing.forms import FORM_TITLES, REGISTER_DATE_COLUMNS, REGISTER_HEADERS, register_row_values
from chinhquyenso.printing.layout import MOTTO, MOTTO_COUNTRY

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="EDEDED")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _put(ws: Worksheet, row: int, col: int, value: object, *, number_format: str = DATETIME_FORMAT) -> Cell:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, datetime):
        cell.value = to_local(value).replace(tzinfo=None)  # Excel has no time zones
        cell.number_format = number_format
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.value = nfc(value)
        cell.data_type = "s"  # "=HYPERLINK(...)" typed by an applicant stays text
    else:
        cell.value = value
    return cell


def _heading(ws: Worksheet, agency: AgencyInfo, form: str, last_col: int, *, issued_on: date | None) -> int:
    """Agency and motto on the first rows, the title under them; returns the next free row."""
    split = max(2, last_col // 2)
    right = get_column_letter(split + 1)
    end = get_column_letter(last_col)
    lines_left = [nfc(agency.parent_name).upper(), nfc(agency.name).upper()]
    lines_right = [MOTTO_COUNTRY, MOTTO,
                   format_place_date(agency.province_name, issued_on) if issued_on else ""]
    for i in range(3):
        ws.merge_cells(f"A{i + 1}:{get_column_letter(split)}{i + 1}")
        ws.merge_cells(f"{right}{i + 1}:{end}{i + 1}")
        left_cell = _put(ws, i + 1, 1, lines_left[i] if i < 2 else "")
        right_cell = _put(ws, i + 1, split + 1, lines_right[i])
        left_cell.alignment = right_cell.alignment = Alignment(horizontal="center")
        left_cell.font = Font(bold=i == 1)
        right_cell.font = Font(bold=i < 2, italic=i == 2)
    ws.merge_cells(f"A5:{end}5")
    title = _put(ws, 5, 1, FORM_TITLES[form].upper())
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    return 7


def _table_head(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for col, label in enumerate(headers, start=1):
        cell = _put(ws, row, col, label)
        cell.font = Font(bold=True)
        cell.alignment = _CENTER
        cell.border = _BORDER
        cell.fill = _HEAD_FILL


def _finish(ws: Worksheet, widths: Sequence[float], *, header_row: int, last_row: int) -> bytes:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(widths))}{last_row}"
    buf = io.BytesIO()
    workbook = ws.parent
    workbook.properties.creator = "chinhquyenso"
    workbook.save(buf)
    return buf.getvalue()


CONTROL_HEADERS = ("TT", "Bước xử lý (tên cơ quan)", "Bên giao", "Bên nhận", "Thời gian giao, nhận hồ sơ",
                   "Hạn xử lý", "Thời gian hoàn thành", "Kết quả (Trước hạn/Đúng hạn/Quá hạn)", "Ghi chú")


def render_form_06_xlsx(*, agency: AgencyInfo, dossier: DossierInfo, rows: Sequence[ControlRow],
                        coordinating_agencies: str = "", issued_on: date | None = None) -> bytes:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ as a sheet: one line per hand-over."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Mẫu 06"
    last_col = len(CONTROL_HEADERS)
    row = _heading(ws, agency, "06", last_col, issued_on=issued_on)
    facts = [
        ("Mã hồ sơ", dossier.code),
        ("Tên thủ tục", dossier.procedure_name),
        ("Người nộp hồ sơ", dossier.applicant_name),
        ("Cơ quan (bộ phận) giải quyết hồ sơ", dossier.handling_agency_name),
        ("Cơ quan phối hợp giải quyết hồ sơ", coordinating_agencies or "Không"),
        ("Thời gian nhận hồ sơ", dossier.received_at),
        ("Hẹn trả kết quả", dossier.due_at),
    ]
    for label, value in facts:
        _put(ws, row, 1, label).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        _put(ws, row, 3, value if value is not None else "").alignment = Alignment(horizontal="left")
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=last_col)
        row += 1
    row += 1
    header_row = row
    _table_head(ws, header_row, CONTROL_HEADERS)
    for i, item in enumerate(rows, start=1):
        row += 1
        values: list[object] = [i, item.step_name, item.from_party, item.to_party, item.handed_over_at,
                                item.due_at, item.finished_at, timeliness_label(item.finished_at, item.due_at),
                                item.result_note]
        for col, value in enumerate(values, start=1):
            cell = _put(ws, row, col, value if value is not None else "")
            cell.border = _BORDER
            cell.alignment = _CENTER if col in (1, 5, 6, 7, 8) else _WRAP
    return _finish(ws, [5, 30, 24, 24, 17, 17, 17, 16, 30], header_row=header_row, last_row=row)


def render_form_07_xlsx(*, agency: AgencyInfo, rows: Sequence[RegisterRow], period_label: str = "",
                        book_number: str = "") -> bytes:
    """Sổ theo dõi hồ sơ as a sheet: the official columns, one line per dossier."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sổ theo dõi hồ sơ"
    last_col = len(REGISTER_HEADERS)
    row = _heading(ws, agency, "07", last_col, issued_on=None)
    subtitle = " — ".join(x for x in (nfc(period_label), f"Quyển số: {nfc(book_number)}" if book_number else "") if x)
    if subtitle:
        ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=last_col)
        _put(ws, 6, 1, subtitle).alignment = Alignment(horizontal="center")
        row = 8
    band_row, header_row = row, row + 1
    _table_head(ws, band_row, [h if i not in REGISTER_DATE_COLUMNS else "" for i, h in enumerate(REGISTER_HEADERS)])
    _table_head(ws, header_row, [h if i in REGISTER_DATE_COLUMNS else "" for i, h in enumerate(REGISTER_HEADERS)])
    first_date, last_date = REGISTER_DATE_COLUMNS[0] + 1, REGISTER_DATE_COLUMNS[-1] + 1
    _put(ws, band_row, first_date, "Ngày, tháng, năm")
    ws.merge_cells(start_row=band_row, start_column=first_date, end_row=band_row, end_column=last_date)
    for col in range(1, last_col + 1):
        if not first_date <= col <= last_date:
            ws.merge_cells(start_row=band_row, start_column=col, end_row=header_row, end_column=col)
    row = header_row
    for i, item in enumerate(rows, start=1):
        row += 1
        for col, value in enumerate(register_row_values(i, item), start=1):
            fmt = DATETIME_FORMAT if col == first_date else DATE_FORMAT
            cell = _put(ws, row, col, value if value is not None else "", number_format=fmt)
            cell.border = _BORDER
            cell.alignment = _CENTER if col in (1, 4) or first_date <= col <= last_date else _WRAP
    widths = [5, 24, 36, 9, 22, 28, 24, 16, 12, 12, 12, 12, 20]
    return _finish(ws, widths, header_row=header_row, last_row=row)

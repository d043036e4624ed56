from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

from openpyxl import load_workbook

from chinhquyenso.printing import render_form, render_form_06_xlsx, render_form_07_xlsx
from chinhquyenso.printing.forms import REGISTER_HEADERS
from chinhquyenso.printing.xlsx import CONTROL_HEADERS

from .conftest import CODE, register_rows


def _rows(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def _table(rows, headers):
    """Data rows under the row whose first cell is "TT"."""
    start = next(i for i, row in enumerate(rows) if row[0] == "TT")
    first_data = start + 1
    while rows[first_data][0] in (None, ""):
        first_data += 1  # a second header row (Mẫu 07's date band)
    return rows[start], rows[first_data:]


def test_form_06_sheet_has_one_row_per_hand_over(agency, dossier, control_rows):
    sheet, rows = _rows(render_form_06_xlsx(agency=agency, dossier=dossier, rows=control_rows))
    assert sheet.title == "Mẫu 06"
    assert rows[0][0] == "ỦY BAN NHÂN DÂN TỈNH AN GIANG"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in rows[0]
    assert rows[4][0] == "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
    assert any(row[2] == CODE for row in rows)
    header, data = _table(rows, CONTROL_HEADERS)
    assert tuple(header) == CONTROL_HEADERS
    assert [r[0] for r in data] == [1, 2, 3]
    assert [r[7] for r in data] == ["Trước hạn", "Đúng hạn", "Quá hạn"]
    assert data[0][1:4] == ["Tiếp nhận hồ sơ", "Bộ phận Một cửa", "Phòng Hộ tịch"]
    # Real date cells, in Vietnam wall-clock time (Excel has no zones).
    assert data[0][4] == datetime(2026, 11, 25, 9, 30)
    assert sheet.cell(row=rows.index(data[0]) + 1, column=5).number_format == "dd/mm/yyyy hh:mm"


def test_form_07_sheet_lists_the_register(agency):
    register = register_rows(30)
    sheet, rows = _rows(render_form_07_xlsx(agency=agency, rows=register, period_label="Tháng 11/2026",
                                            book_number="02"))
    assert rows[4][0] == "SỔ THEO DÕI HỒ SƠ"
    assert rows[5][0] == "Tháng 11/2026 — Quyển số: 02"
    header, data = _table(rows, REGISTER_HEADERS)
    assert len(data) == 30
    assert data[0][1] == register[0].code and data[-1][4] == "Võ Văn Em 30"
    assert data[0][5] == "Xã An Phú, 0987 654 321"
    assert data[0][7] == datetime(2026, 11, 2, 8, 15) and data[0][9] is None
    assert "Ngày, tháng, năm" in header
    assert sheet.freeze_panes is not None and sheet.auto_filter.ref


def test_formula_like_text_stays_text(agency, dossier, control_rows):
    hostile = replace(control_rows[0], result_note='=HYPERLINK("http://evil.example","bấm")')
    sheet, _ = _rows(render_form_06_xlsx(agency=agency, dossier=replace(dossier, applicant_name="=1+1"),
                                         rows=[hostile]))
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert {c.value for c in cells} == {"=1+1", '=HYPERLINK("http://evil.example","bấm")'}
    assert all(c.data_type == "s" for c in cells)


def test_dispatcher_xlsx(agency):
    data = render_form("07", fmt="xlsx", agency=agency, rows=register_rows(2))
    assert data[:2] == b"PK"
    assert len(_rows(data)[1]) > 8

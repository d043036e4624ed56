from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest
import segno
from reportlab.graphics.barcode.code128 import Code128

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.printing import (
    FORM_TITLES,
    Signer,
    render_form,
    render_form_01,
    render_form_02,
    render_form_03,
    render_form_04,
    render_form_05,
    render_form_06,
    render_form_07,
)
from chinhquyenso.printing.layout import BARCODE_BAR_WIDTH, BARCODE_HEIGHT, QR_QUIET_MODULES, QR_SIZE

from .conftest import CODE, ISSUED_ON, LOOKUP_URL, TZ, register_rows
from .pdfparse import Pdf, compact


def _all_forms(agency, dossier, control_rows) -> dict[str, bytes]:
    return {
        "01": render_form_01(agency=agency, dossier=dossier, document_number="1234/GTN", invariant=True),
        "02": render_form_02(agency=agency, dossier=dossier, requested_items=["Bản sao Giấy chứng nhận kết hôn"],
                             reason="Hồ sơ chưa đầy đủ", issued_on=ISSUED_ON, invariant=True),
        "03": render_form_03(agency=agency, dossier=dossier, reason="Không thuộc thẩm quyền", issued_on=ISSUED_ON,
                             invariant=True),
        "04": render_form_04(agency=agency, dossier=dossier, reason="Cần xác minh thêm",
                             new_due_at=datetime(2026, 12, 9, 16, 0, tzinfo=TZ),
                             signer=Signer(title="GIÁM ĐỐC", name="Lê Văn Cường"), issued_on=ISSUED_ON,
                             invariant=True),
        "05": render_form_05(agency=agency, dossier=dossier, reason="Người nộp đề nghị rút hồ sơ",
                             issued_on=ISSUED_ON, invariant=True),
        "06": render_form_06(agency=agency, dossier=dossier, rows=control_rows, invariant=True),
        "07": render_form_07(agency=agency, rows=register_rows(3), period_label="Tháng 11/2026", invariant=True),
    }


@pytest.fixture
def forms(agency, dossier, control_rows) -> dict[str, bytes]:
    return _all_forms(agency, dossier, control_rows)


def test_every_form_is_a_pdf_with_only_the_bundled_font_embedded(forms):
    for number, pdf_bytes in forms.items():
        pdf = Pdf.parse(pdf_bytes)
        base_fonts = re.findall(rb"/BaseFont /(\S+)", pdf_bytes)
        assert base_fonts, number
        assert all(re.fullmatch(rb"[A-Z]{6}\+DejaVuSans(-Bold)?", f) for f in base_fonts), (number, base_fonts)
        assert pdf_bytes.count(b"/FontFile2") == len(set(base_fonts))  # each one embedded, none from the system
        text = pdf.text()
        assert compact(FORM_TITLES[number].upper()) in compact(text), number
        assert f"Mẫu số {number}" in text


def test_header_has_motto_agency_and_dated_place_line(forms):
    text = Pdf.parse(forms["02"]).text()
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN TỈNH AN GIANG",
                 "An Giang, ngày 26 tháng 11 năm 2026"):
        assert line in text
    assert compact("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG") in compact(text)


def test_form_01_prints_the_receipt_facts(forms):
    text = compact(Pdf.parse(forms["01"]).text())
    for expected in ("Số: 1234/GTN", "An Giang, ngày 25 tháng 11 năm 2026", "Nguyễn Thị Ánh Tuyết", CODE,
                     "Tờ khai đăng ký khai sinh", "Bản sao", "05 ngày làm việc",
                     "4. Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 25 tháng 11 năm 2026",
                     "16 giờ 30 phút, ngày 02 tháng 12 năm 2026",
                     "6. Phí, lệ phí: 1.250.000 đ", "Lệ phí đăng ký khai sinh: 0 đ",
                     "NGƯỜI TIẾP NHẬN HỒ SƠ", "Trần Văn Bình", LOOKUP_URL):
        assert compact(expected) in text, expected


def test_letters_carry_reason_new_due_date_and_signer(forms):
    form_04 = compact(Pdf.parse(forms["04"]).text())
    assert compact("Lý do: Cần xác minh thêm.") in form_04
    assert compact("16 giờ 00 phút, ngày 09 tháng 12 năm 2026") in form_04
    assert compact("GIÁM ĐỐC") in form_04 and compact("Lê Văn Cường") in form_04
    assert compact("Kính gửi: Nguyễn Thị Ánh Tuyết") in form_04
    form_05 = compact(Pdf.parse(forms["05"]).text())
    assert compact("Lý do dừng giải quyết: Người nộp đề nghị rút hồ sơ.") in form_05
    assert compact("THỦ TRƯỞNG CƠ QUAN") in form_05
    form_02 = compact(Pdf.parse(forms["02"]).text())
    assert compact("1. Bản sao Giấy chứng nhận kết hôn") in form_02 and compact("NGƯỜI HƯỚNG DẪN") in form_02
    assert compact("Không thuộc thẩm quyền.") in compact(Pdf.parse(forms["03"]).text())


def test_form_06_judges_each_step_against_its_deadline(forms):
    text = Pdf.parse(forms["06"]).text()
    assert [line for line in text.splitlines() if line in ("Trước hạn", "Đúng hạn", "Quá hạn")] == [
        "Trước hạn", "Đúng hạn", "Quá hạn"]
    assert compact("Giao: Phòng Hộ tịch") in compact(text)


def test_form_07_register_spans_pages_with_the_header_repeated(agency):
    rows = register_rows(45)
    pdf = Pdf.parse(render_form_07(agency=agency, rows=rows, book_number="01", invariant=True))
    pages = pdf.page_contents()
    assert len(pages) >= 2
    text = pdf.text()
    assert text.count("Ngày, tháng, năm") == len(pages)
    assert compact(rows[-1].code) in compact(text) and compact("Tổng số: 45 hồ sơ") in compact(text)
    assert f"Trang {len(pages)}" in text


def _qr_matrix_from_pdf(pdf: Pdf, payload: str) -> list[list[bool]]:
    expected_size = len(segno.make(payload, error="m", micro=False, boost_error=False).matrix)
    module = QR_SIZE / (expected_size + 2 * QR_QUIET_MODULES)
    modules = [r for r in pdf.filled_rects() if abs(r[3] - module) < 1e-3]
    assert modules, "no QR modules drawn"
    left = min(x for x, _, _, _ in modules)
    top = max(y + h for _, y, _, h in modules)
    grid = [[False] * expected_size for _ in range(expected_size)]
    for x, y, w, h in modules:
        row = round((top - (y + h)) / module)
        first = round((x - left) / module)
        for col in range(first, first + round(w / module)):
            grid[row][col] = True
    return grid


def test_qr_code_in_the_pdf_encodes_the_lookup_url(forms):
    expected = [[bool(v) for v in row] for row in segno.make(LOOKUP_URL, error="m", micro=False,
                                                               boost_error=False).matrix]
    for number in ("01", "02", "03", "04", "05", "06"):
        assert _qr_matrix_from_pdf(Pdf.parse(forms[number]), LOOKUP_URL) == expected, number


def test_qr_code_changes_with_the_url(agency, dossier):
    other = "https://dichvucong.example/tra-cuu/?ma=H01.23.45-261125-0002"
    pdf = Pdf.parse(render_form_01(agency=agency, dossier=replace(dossier, lookup_url=other), invariant=True))
    expected_other = [[bool(v) for v in row] for row in segno.make(other, error="m", boost_error=False).matrix]
    expected_first = [[bool(v) for v in row] for row in segno.make(LOOKUP_URL, error="m", boost_error=False).matrix]
    drawn = _qr_matrix_from_pdf(pdf, other)
    assert drawn == expected_other and drawn != expected_first


def test_barcode_bars_are_code128_of_the_dossier_code(forms):
    symbol = Code128(CODE, barWidth=BARCODE_BAR_WIDTH, barHeight=BARCODE_HEIGHT, quiet=False)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    expected = [(ch.isupper(), ord(ch.upper()) - ord("A") + 1) for ch in symbol.decomposed]
    bars = sorted(r for r in Pdf.parse(forms["01"]).filled_rects() if abs(r[3] - BARCODE_HEIGHT) < 1e-3)
    drawn: list[tuple[bool, int]] = []
    for i, (x, _, w, _) in enumerate(bars):
        if i:
            previous_end = bars[i - 1][0] + bars[i - 1][2]
            drawn.append((False, round((x - previous_end) / BARCODE_BAR_WIDTH)))
        drawn.append((True, round(w / BARCODE_BAR_WIDTH)))
    assert drawn == expected


def test_invariant_rendering_is_reproducible(agency, dossier, control_rows):
    again = _all_forms(agency, dossier, control_rows)
    assert again == _all_forms(agency, dossier, control_rows)


def test_decomposed_input_prints_composed_and_markup_is_escaped(agency, dossier):
    tricky = replace(dossier, applicant_name="Công ty Nguye\u0302\u0303n & Co <b>x</b>")
    text = Pdf.parse(render_form_01(agency=agency, dossier=tricky, invariant=True)).text()
    assert compact("Công ty Nguyễn & Co <b>x</b>") in compact(text)


def test_dossier_without_qr_url_components_or_fees_still_renders(agency, dossier):
    bare = replace(dossier, lookup_url="", components=(), fees=(), due_at=None, officer_name="")
    text = compact(Pdf.parse(render_form_01(agency=agency, dossier=bare, invariant=True)).text())
    assert compact("6. Phí, lệ phí: Không") in text and compact("(Không có thành phần hồ sơ)") in text
    assert "Quét mã" not in text


def test_missing_reason_is_refused(agency, dossier):
    with pytest.raises(ValidationFailed) as caught:
        render_form_03(agency=agency, dossier=dossier, reason="  ")
    assert caught.value.code == "form_missing_field"
    with pytest.raises(ValidationFailed):
        render_form_02(agency=agency, dossier=dossier, requested_items=["", " "], reason="Thiếu giấy tờ")


def test_dispatcher(agency, dossier):
    direct = render_form_01(agency=agency, dossier=dossier, document_number="7", invariant=True)
    assert render_form("01", agency=agency, dossier=dossier, document_number="7", invariant=True) == direct
    assert render_form(1, agency=agency, dossier=dossier, document_number="7", invariant=True) == direct
    with pytest.raises(ValidationFailed) as caught:
        render_form("08", agency=agency, dossier=dossier)
    assert caught.value.code == "form_unknown"
    with pytest.raises(ValidationFailed):
        render_form("01", fmt="xlsx", agency=agency, dossier=dossier)

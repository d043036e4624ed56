"""Biên lai thu phí, lệ phí điện tử as PDF (reportlab with the printing package's bundled DejaVu font).

Plain data in, bytes out: :class:`ReceiptData` is filled by the service from the bill and the
payment. The amount is also written in words, as every Vietnamese receipt states it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table

from chinhquyenso.printing import AgencyInfo, format_vnd
from chinhquyenso.printing.fonts import REGULAR, register_fonts
from chinhquyenso.printing.format import format_datetime_vn, nfc, to_local
from chinhquyenso.printing.layout import (
    QrCode,
    content_width,
    field_line,
    grid,
    header,
    para,
    table_style,
    text,
    title,
)

TITLE = "Biên lai thu phí, lệ phí"
_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _three(n: int, full: bool) -> list[str]:
    """Words for 0 < n < 1000; ``full`` when a higher group came before (``không trăm linh năm``)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and (full or hundreds):
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_DIGITS[units])
    return words


def _below_billion(n: int, full: bool) -> list[str]:
    words: list[str] = []
    started = full
    for size, name in ((1_000_000, "triệu"), (1_000, "nghìn"), (1, "")):
        group, n = divmod(n, size)
        if group == 0:
            continue
        words += _three(group, started)
        if name:
            words.append(name)
        started = True
    return words


def _words(n: int, full: bool) -> list[str]:
    if n >= 1_000_000_000:
        high, rest = divmod(n, 1_000_000_000)
        return _words(high, full) + ["tỷ"] + (_below_billion(rest, True) if rest else [])
    return _below_billion(n, full)


def amount_in_words(amount: int) -> str:
    """``1250000`` → ``Một triệu hai trăm năm mươi nghìn đồng``."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    phrase = " ".join(_words(amount, False)) if amount else "không"
    return f"{phrase[0].upper()}{phrase[1:]} đồng"


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    unit_amount: int
    amount: int
    exempt: bool = False
    exemption_note: str = ""


@dataclass(frozen=True)
class ReceiptData:
    agency: AgencyInfo
    series: str
    number: int
    issued_at: datetime
    payer_name: str
    payer_address: str
    dossier_code: str
    procedure_name: str
    bill_reference: str
    method_label: str
    paid_at: datetime
    lines: Sequence[ReceiptLine]
    total: int
    transaction_id: str = ""
    counter_receipt_no: str = ""
    collector_name: str = ""

    @property
    def label(self) -> str:
        return f"{self.series}-{self.number:07d}"

    @property
    def verification_text(self) -> str:
        """What the QR code holds: enough to match the receipt with the bill and the transaction."""
        proof = self.transaction_id or self.counter_receipt_no
        return f"BIENLAI|{self.label}|{self.bill_reference}|{self.total}|{proof}"


def render_receipt(data: ReceiptData, *, invariant: bool = False) -> bytes:
    register_fonts()
    width = content_width()
    issued = to_local(data.issued_at)
    story: list[Flowable] = [
        header(data.agency, number=data.label, issued_on=issued.date(), width=width),
        *title(TITLE, f"(Biên lai điện tử) — Ký hiệu: <b>{text(data.series)}</b> — "
                      f"Số: <b>{data.number:07d}</b>"),
        field_line("Họ tên người nộp tiền", data.payer_name),
        field_line("Địa chỉ", data.payer_address),
        field_line("Mã hồ sơ", data.dossier_code),
        field_line("Thủ tục hành chính", data.procedure_name),
        field_line("Mã thanh toán", data.bill_reference),
        field_line("Hình thức thanh toán", data.method_label),
    ]
    if data.transaction_id:
        story.append(field_line("Mã giao dịch", data.transaction_id))
    if data.counter_receipt_no:
        story.append(field_line("Số biên lai thu tại quầy", data.counter_receipt_no))
    story.append(field_line("Thời điểm thanh toán", format_datetime_vn(data.paid_at)))
    story.append(Spacer(1, 2 * mm))
    rows: list[list[Any]] = [[para("TT", "cell_head"), para("Khoản thu", "cell_head"), para("Mức thu", "cell_head"),
                              para("Số tiền", "cell_head")]]
    for i, line in enumerate(data.lines, start=1):
        name = text(line.name)
        if line.exempt:
            name += "<br/><i>Được miễn" + (f": {text(line.exemption_note)}" if line.exemption_note else "") + "</i>"
        rows.append([para(str(i), "cell_center"), para(name, "cell"), para(format_vnd(line.unit_amount), "cell"),
                     para(format_vnd(line.amount), "cell")])
    rows.append(["", para("<b>Tổng cộng</b>", "cell"), "", para(f"<b>{format_vnd(data.total)}</b>", "cell")])
    story.append(grid(rows, [10 * mm, width - 10 * mm - 60 * mm, 30 * mm, 30 * mm]))
    story.append(Spacer(1, 2 * mm))
    story.append(para(f"Số tiền bằng chữ: <b>{text(amount_in_words(data.total))}</b>", "body_left"))
    closing = Table(
        [[[QrCode(data.verification_text), para("Mã kiểm tra biên lai", "small")],
          [para("<b>ĐƠN VỊ THU TIỀN</b>", "sign_title"),
           para("(Biên lai điện tử, có giá trị như biên lai giấy)", "sign_note"),
           para(text(data.agency.name), "sign_note"),
           para(text(data.collector_name), "sign_note") if data.collector_name else Spacer(1, 1)]]],
        colWidths=[40 * mm, width - 40 * mm],
    )
    closing.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 4 * mm), closing]

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=25 * mm, rightMargin=15 * mm, topMargin=14 * mm, bottomMargin=14 * mm,
        title=nfc(f"{TITLE} {data.label}"), author=nfc(data.agency.name), subject=nfc(f"Mã hồ sơ {data.dossier_code}"),
        creator="chinhquyenso", invariant=1 if invariant else 0, lang="vi-VN", initialFontName=REGULAR,
    )

    def decorate(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.Color(0.35, 0.35, 0.35))
        page_width, _ = A4
        canvas.drawRightString(page_width - 15 * mm, 8 * mm, nfc(f"{data.label} — Trang {document.page}"))
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()

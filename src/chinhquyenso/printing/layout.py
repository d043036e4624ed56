"""Building blocks shared by the forms: the header (agency left, national motto right, number
and date line), title, body paragraphs, tables, signature blocks, QR code and barcode."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chinhquyenso.printing.data import AgencyInfo
from chinhquyenso.printing.fonts import BOLD, REGULAR, register_fonts
from chinhquyenso.printing.format import format_place_date, nfc

MOTTO_COUNTRY = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LEGAL_BASIS = "Thông tư 03/2025/TT-VPCP"
QR_SIZE = 22 * mm
QR_QUIET_MODULES = 2
QR_ERROR = "m"
BARCODE_BAR_WIDTH = 0.72
BARCODE_HEIGHT = 9 * mm
FONT_SIZE = 10.5
LEADING = 14.5


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": REGULAR, "fontSize": FONT_SIZE, "leading": LEADING}
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES = {
    "body": _style("body", alignment=TA_JUSTIFY, spaceAfter=2),
    "body_left": _style("body_left", alignment=TA_LEFT, spaceAfter=2),
    "indent": _style("indent", alignment=TA_JUSTIFY, leftIndent=8 * mm, spaceAfter=2),
    "head": _style("head", alignment=TA_CENTER, fontSize=10.5, leading=13.5),
    "head_bold": _style("head_bold", alignment=TA_CENTER, fontSize=10.5, leading=13.5, fontName=BOLD),
    "title": _style("title", alignment=TA_CENTER, fontSize=13, leading=17, fontName=BOLD, spaceBefore=4, spaceAfter=2),
    "subtitle": _style("subtitle", alignment=TA_CENTER, fontSize=10.5, leading=14, spaceAfter=6),
    "cell": _style("cell", fontSize=9.5, leading=12.5),
    "cell_center": _style("cell_center", fontSize=9.5, leading=12.5, alignment=TA_CENTER),
    "cell_small": _style("cell_small", fontSize=8, leading=10),
    "cell_small_center": _style("cell_small_center", fontSize=8, leading=10, alignment=TA_CENTER),
    "prose": _style("prose", alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=3),
    "cell_head_small": _style("cell_head_small", fontSize=8, leading=10, alignment=TA_CENTER, fontName=BOLD),
    "cell_head": _style("cell_head", fontSize=9, leading=11.5, alignment=TA_CENTER, fontName=BOLD),
    "small": _style("small", fontSize=7.5, leading=9, alignment=TA_CENTER),
    "sign_title": _style("sign_title", alignment=TA_CENTER, fontName=BOLD, fontSize=10.5, leading=14),
    "sign_note": _style("sign_note", alignment=TA_CENTER, fontSize=9.5, leading=12),
    "recipients": _style("recipients", fontSize=9, leading=11.5),
}


def text(value: object) -> str:
    """NFC and markup-escaped: user data never becomes paragraph markup."""
    return escape(nfc(value))


def para(markup: str, style: str = "body") -> Paragraph:
    """``markup`` is trusted template text; interpolate user data through :func:`text`."""
    register_fonts()  # paragraphs resolve their font when built
    return Paragraph(nfc(markup), STYLES[style])


def sentence(value: object) -> str:
    """Escaped text ending with a full stop, as a reason quoted in a letter should."""
    shown = nfc(value).strip()
    if shown and shown[-1] not in ".!?;:":
        shown += "."
    return escape(shown)


def field_line(label: str, value: object, style: str = "body") -> Paragraph:
    shown = text(value) if nfc(value).strip() else "……………………"
    return para(f"{text(label)}: {shown}", style)


class Rule(Flowable):
    """The short horizontal line under the agency name and under the motto."""

    def __init__(self, width: float, *, align: str = "center", space: float = 2) -> None:
        super().__init__()
        self.rule_width = width
        self.align = align
        self.space = space

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._avail = avail_width
        return avail_width, self.space * 2

    def draw(self) -> None:
        x = (self._avail - self.rule_width) / 2 if self.align == "center" else 0
        self.canv.setLineWidth(0.6)
        self.canv.line(x, self.space, x + self.rule_width, self.space)


def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules (True = dark) we draw; tests rebuild this from the PDF."""
    code = segno.make(payload, error=QR_ERROR, micro=False, boost_error=False)
    return tuple(tuple(bool(v) for v in row) for row in code.matrix)


class QrCode(Flowable):
    """A QR code drawn as vector rectangles (one per run of dark modules): sharp at any zoom
    and print resolution, with no image to embed."""

    def __init__(self, payload: str, size: float = QR_SIZE) -> None:
        super().__init__()
        self.payload = payload
        self.size = size
        self.matrix = qr_matrix(payload)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        n = len(self.matrix)
        module = self.size / (n + 2 * QR_QUIET_MODULES)
        self.canv.setFillColor(colors.black)
        for r, row in enumerate(self.matrix):
            y = self.size - (QR_QUIET_MODULES + r + 1) * module
            c = 0
            while c < n:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < n and row[c]:
                    c += 1
                x = (QR_QUIET_MODULES + start) * module
                self.canv.rect(x, y, (c - start) * module, module, stroke=0, fill=1)


def barcode(value: str) -> Code128:
    """Code128 of the dossier code, as the counter's scanners read it."""
    register_fonts()
    return Code128(value, barWidth=BARCODE_BAR_WIDTH, barHeight=BARCODE_HEIGHT, humanReadable=False,
                   quiet=False, fontName=REGULAR)


def header(agency: AgencyInfo, *, number: str, issued_on: date | None, width: float,
           number_label: str = "Số", left_fraction: float = 0.42, show_date: bool = True) -> Table:
    """Agency block left, motto right; below them ``Số: …`` and ``An Giang, ngày … tháng … năm …``
    (dotted when ``issued_on`` is None, so it can be filled by hand)."""
    left_w = width * left_fraction
    right_w = width - left_w
    left: list[Flowable] = []
    if agency.parent_name:
        left.append(para(text(agency.parent_name.upper()), "head"))
    left.append(para(f"<b>{text(agency.name.upper())}</b>", "head_bold"))
    left.append(Rule(22 * mm))
    right: list[Flowable] = [
        para(f"<b>{MOTTO_COUNTRY}</b>", "head_bold"),
        para(f"<b>{MOTTO}</b>", "head_bold"),
        Rule(50 * mm),
    ]
    shown_number = text(number) if number else "……/……"
    place_date = text(format_place_date(agency.province_name, issued_on)) if issued_on else (
        f"{text(agency.province_name)}, ngày …… tháng …… năm ……")
    table = Table(
        [[left, right], [para(f"{text(number_label)}: {shown_number}", "head"),
                         para(place_date, "head") if show_date else ""]],
        colWidths=[left_w, right_w],
    )
    table.setStyle(table_style([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 1), (-1, 1), 3),
    ]))
    return table


def code_strip(*, code: str, lookup_url: str, width: float) -> Table:
    """Dossier code as text and Code128 on the left, the lookup QR code on the right."""
    left: list[Flowable] = [para(f"Mã hồ sơ: <b>{text(code)}</b>", "body_left"), barcode(code)]
    right: list[Flowable] = []
    if lookup_url:
        right = [QrCode(lookup_url), para("Quét mã để tra cứu hồ sơ", "small")]
    table = Table([[left, right]], colWidths=[width - QR_SIZE - 16 * mm, QR_SIZE + 16 * mm])
    table.setStyle(table_style([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def title(main: str, subtitle: str = "") -> list[Flowable]:
    items: list[Flowable] = [Spacer(1, 2 * mm), para(text(main.upper()), "title")]
    if subtitle:
        items.append(para(subtitle, "subtitle"))
    else:
        items.append(Spacer(1, 2 * mm))
    return items


def grid(rows: Sequence[Sequence[Any]], col_widths: Sequence[float], *, header_rows: int = 1) -> Table:
    """A bordered table; the header row repeats on each page."""
    table = Table([list(r) for r in rows], colWidths=list(col_widths), repeatRows=header_rows)
    table.setStyle(table_style([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.Color(0.93, 0.93, 0.93)),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def signatures(width: float, *blocks: tuple[str, str, str]) -> KeepTogether:
    """Side-by-side blocks of (title, note, name): ``NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên)``.
    An empty title leaves that column blank (a single block sits on the right)."""
    cells: list[Any] = []
    for block_title, note, name in blocks:
        if not block_title:
            cells.append("")
            continue
        cell: list[Flowable] = [para(f"<b>{text(block_title)}</b>".replace("\n", "<br/>"), "sign_title")]
        if note:
            cell.append(para(f"({text(note)})", "sign_note"))
        cell.append(Spacer(1, 18 * mm))
        if name:
            cell.append(para(f"<b>{text(name)}</b>", "sign_title"))
        cells.append(cell)
    table = Table([cells], colWidths=[width / len(cells)] * len(cells))
    table.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 3 * mm), table])


def letter_closing(width: float, *, recipients: Sequence[str], signer_title: str, signer_name: str) -> KeepTogether:
    """``Nơi nhận`` on the left, the signer on the right, as in an official letter."""
    lines = "<br/>".join(f"- {text(r)};" if i < len(recipients) - 1 else f"- {text(r)}."
                         for i, r in enumerate(recipients))
    left = para(f"<b>Nơi nhận:</b><br/>{lines}", "recipients")
    right: list[Flowable] = [para(f"<b>{text(signer_title)}</b>".replace("\n", "<br/>"), "sign_title"),
                             para("(Ký, ghi rõ họ tên và đóng dấu)", "sign_note"), Spacer(1, 20 * mm)]
    if signer_name:
        right.append(para(f"<b>{text(signer_name)}</b>", "sign_title"))
    table = Table([[left, right]], colWidths=[width * 0.45, width * 0.55])
    table.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return KeepTogether([Spacer(1, 5 * mm), table])


def table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """Every table cell uses the bundled font (reportlab's default would pull in Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands])




def build_pdf(story: list[Flowable], *, form_number: str, form_title: str, author: str, subject: str = "",
              landscape_page: bool = False, invariant: bool = False) -> bytes:
    """Lay the story out on A4 and return the PDF bytes. ``invariant`` fixes the timestamps and
    IDs inside the file, so the same input gives the same bytes (for tests and caching)."""
    register_fonts()
    buf = io.BytesIO()
    pagesize = landscape(A4) if landscape_page else A4
    doc = SimpleDocTemplate(
        buf, pagesize=pagesize,
        leftMargin=(15 if landscape_page else 25) * mm, rightMargin=15 * mm, topMargin=14 * mm, bottomMargin=14 * mm,
        title=nfc(form_title), author=nfc(author), subject=nfc(subject), creator="chinhquyenso",
        invariant=1 if invariant else 0, lang="vi-VN", initialFontName=REGULAR,
    )

    def decorate(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.Color(0.35, 0.35, 0.35))
        width, height = pagesize
        canvas.drawRightString(width - 15 * mm, height - 8 * mm, nfc(f"Mẫu số {form_number} ({LEGAL_BASIS})"))
        canvas.drawRightString(width - 15 * mm, 8 * mm, nfc(f"Trang {document.page}"))
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


_FRAME_PADDING = 6  # reportlab's default Frame padding, each side


def content_width(*, landscape_page: bool = False) -> float:
    """Usable width inside the page frame (margins and frame padding taken off)."""
    if landscape_page:
        return landscape(A4)[0] - 30 * mm - 2 * _FRAME_PADDING
    return A4[0] - 40 * mm - 2 * _FRAME_PADDING

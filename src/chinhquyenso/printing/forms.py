"""The one-stop forms of Thông tư 03/2025/TT-VPCP, Phụ lục I (Nghị định 118/2025/NĐ-CP), as PDF.

Each ``render_form_XX`` takes plain dataclasses and returns PDF bytes. Forms about one dossier
carry its code as Code128 and a QR code of ``dossier.lookup_url`` (the public lookup page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.printing.data import AgencyInfo, ControlRow, DossierInfo, RegisterRow, Signer
from chinhquyenso.printing.format import (
    LOCAL_TZ,
    format_date_vn,
    format_date_words,
    format_datetime_vn,
    format_datetime_words,
    format_number_vn,
    format_vnd,
    nfc,
    timeliness_label,
    to_local,
)
from chinhquyenso.printing.layout import (
    build_pdf,
    code_strip,
    content_width,
    field_line,
    grid,
    header,
    letter_closing,
    para,
    sentence,
    signatures,
    table_style,
    text,
    title,
)

FORM_TITLES: dict[str, str] = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "07": "Sổ theo dõi hồ sơ",
}


def _today() -> date:
    return datetime.now(LOCAL_TZ).date()


def _when(value: datetime | None) -> str:
    return format_datetime_words(value) if value else "……"


def _opening(agency: AgencyInfo, dossier: DossierInfo, *, number: str, issued_on: date | None,
             form: str) -> list[Flowable]:
    width = content_width()
    return [
        header(agency, number=number, issued_on=issued_on, width=width),
        Spacer(1, 1 * mm),
        code_strip(code=dossier.code, lookup_url=dossier.lookup_url, width=width),
        *title(FORM_TITLES[form]),
    ]


def _applicant_lines(dossier: DossierInfo, *, lead: str) -> list[Flowable]:
    contact = text(dossier.applicant_phone) or "……"
    if dossier.applicant_email:
        contact += f"; thư điện tử: {text(dossier.applicant_email)}"
    return [
        para(f"{text(lead)}: <b>{text(dossier.applicant_name)}</b>"),
        field_line("Địa chỉ", dossier.applicant_address),
        para(f"Số điện thoại: {contact}"),
        para(f"Nội dung yêu cầu giải quyết: {text(dossier.procedure_name)}"
             + (f" (mã thủ tục: {text(dossier.procedure_code)})" if dossier.procedure_code else "")),
    ]


def _require(value: str, what: str) -> str:
    if not nfc(value).strip():
        raise ValidationFailed(f"Thiếu {what} để in biểu mẫu.", code="form_missing_field")
    return value


def _build(story: list[Flowable], form: str, agency: AgencyInfo, dossier: DossierInfo | None, *,
           invariant: bool, landscape_page: bool = False) -> bytes:
    return build_pdf(story, form_number=form, form_title=FORM_TITLES[form], author=agency.name,
                     subject=f"Mã hồ sơ {dossier.code}" if dossier else "", landscape_page=landscape_page,
                     invariant=invariant)


# --- Mẫu 01 ------------------------------------------------------------------------------------


def render_form_01(*, agency: AgencyInfo, dossier: DossierInfo, document_number: str = "",
                   issued_on: date | None = None, invariant: bool = False) -> bytes:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả: handed to the applicant when a dossier is received."""
    width = content_width()
    story = _opening(agency, dossier, number=document_number,
                     issued_on=issued_on or to_local(dossier.received_at).date(),
                     form="01")
    story += _applicant_lines(dossier, lead=f"{agency.name} tiếp nhận hồ sơ của")
    story.append(field_line("Hình thức nộp hồ sơ", dossier.channel_label))
    story.append(para("<b>1. Thành phần hồ sơ nộp gồm:</b>"))
    rows: list[list[object]] = [[para("TT", "cell_head"), para("Tên giấy tờ", "cell_head"),
                                 para("Hình thức (bản chính, bản sao, bản chụp, bản điện tử)", "cell_head"),
                                 para("Số lượng", "cell_head")]]
    for i, line in enumerate(dossier.components, start=1):
        rows.append([para(str(i), "cell_center"), para(text(line.name), "cell"),
                     para(text(line.copy_type_label), "cell_center"),
                     para(format_number_vn(line.count), "cell_center")])
    if not dossier.components:
        rows.append([para("", "cell"), para("(Không có thành phần hồ sơ)", "cell"), "", ""])
    story.append(grid(rows, [10 * mm, width - 10 * mm - 45 * mm - 18 * mm, 45 * mm, 18 * mm]))
    story.append(Spacer(1, 2 * mm))
    story.append(para(f"<b>2. Số lượng hồ sơ:</b> {dossier.set_count:02d} (bộ)", "body_left"))
    story.append(para(f"<b>3. Thời gian giải quyết hồ sơ theo quy định:</b> "
                      f"{text(dossier.processing_time_label) or '……'}", "body_left"))
    story.append(para(f"<b>4. Thời gian nhận hồ sơ:</b> {_when(dossier.received_at)}", "body_left"))
    story.append(para(f"<b>5. Thời gian trả kết quả giải quyết hồ sơ:</b> {_when(dossier.due_at)}", "body_left"))
    if dossier.fees:
        total = sum((Decimal(f.amount_vnd) for f in dossier.fees), Decimal(0))
        story.append(para(f"<b>6. Phí, lệ phí:</b> {format_vnd(total)}", "body_left"))
        for fee in dossier.fees:
            story.append(para(f"- {text(fee.name)}: {format_vnd(fee.amount_vnd)}", "indent"))
    else:
        story.append(para("<b>6. Phí, lệ phí:</b> Không", "body_left"))
    story.append(para(f"<b>7. Đăng ký nhận kết quả tại:</b> {text(dossier.result_delivery_label) or '……'}",
                      "body_left"))
    if dossier.lookup_url:
        story.append(para(f"Tra cứu tình trạng hồ sơ: quét mã QR hoặc truy cập {text(dossier.lookup_url)}",
                          "body_left"))
    story.append(signatures(width, ("NGƯỜI NỘP HỒ SƠ", "Ký và ghi rõ họ tên", ""),
                            ("NGƯỜI TIẾP NHẬN HỒ SƠ", "Ký và ghi rõ họ tên", dossier.officer_name)))
    return _build(story, "01", agency, dossier, invariant=invariant)


# --- Mẫu 02 ------------------------------------------------------------------------------------


def render_form_02(*, agency: AgencyInfo, dossier: DossierInfo, requested_items: Sequence[str], reason: str,
                   contact_name: str = "", contact_phone: str = "", document_number: str = "",
                   issued_on: date | None = None, invariant: bool = False) -> bytes:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: what is missing, why, and whom to ask."""
    if not [item for item in requested_items if nfc(item).strip()]:
        raise ValidationFailed("Phiếu yêu cầu bổ sung phải nêu ít nhất một nội dung cần bổ sung.",
                               code="form_missing_field")
    _require(reason, "lý do yêu cầu bổ sung")
    width = content_width()
    story = _opening(agency, dossier, number=document_number, issued_on=issued_on or _today(), form="02")
    story += _applicant_lines(dossier, lead="Hồ sơ của")
    story.append(para(f"Ngày tiếp nhận hồ sơ: {format_date_vn(dossier.received_at)}"))
    story.append(para("<b>Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:</b>"))
    for i, item in enumerate((x for x in requested_items if nfc(x).strip()), start=1):
        story.append(para(f"{i}. {text(item)}", "indent"))
    story.append(para(f"<b>Lý do:</b> {sentence(reason)}"))
    contact = text(contact_name or dossier.officer_name or agency.name)
    phone = text(contact_phone or agency.phone) or "……"
    story.append(para(f"Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà (tổ chức) liên hệ với {contact}, "
                      f"số điện thoại {phone} để được hướng dẫn."))
    story.append(signatures(width, ("", "", ""), ("NGƯỜI HƯỚNG DẪN", "Ký và ghi rõ họ tên", dossier.officer_name)))
    return _build(story, "02", agency, dossier, invariant=invariant)


# --- Mẫu 03 ------------------------------------------------------------------------------------


def render_form_03(*, agency: AgencyInfo, dossier: DossierInfo, reason: str, document_number: str = "",
                   issued_on: date | None = None, invariant: bool = False) -> bytes:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ: the specific reason the dossier is not accepted."""
    _require(reason, "lý do từ chối")
    width = content_width()
    story = _opening(agency, dossier, number=document_number, issued_on=issued_on or _today(), form="03")
    story += _applicant_lines(dossier, lead=f"{agency.name} tiếp nhận hồ sơ của")
    story.append(para(f"Qua xem xét, {text(agency.name)} thông báo không tiếp nhận, giải quyết hồ sơ này "
                      "với lý do cụ thể như sau:"))
    story.append(para(sentence(reason), "indent"))
    story.append(para("Xin thông báo để Ông/Bà (tổ chức) được biết và thực hiện./."))
    story.append(signatures(width, ("", "", ""), ("NGƯỜI TIẾP NHẬN", "Ký và ghi rõ họ tên", dossier.officer_name)))
    return _build(story, "03", agency, dossier, invariant=invariant)


# --- Mẫu 04 ------------------------------------------------------------------------------------


def render_form_04(*, agency: AgencyInfo, dossier: DossierInfo, reason: str, new_due_at: datetime,
                   signer: Signer | None = None, document_number: str = "", issued_on: date | None = None,
                   invariant: bool = False) -> bytes:
    """Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết: the agency apologises for the
    delay and asks the applicant to accept a new return time."""
    _require(reason, "lý do chậm giải quyết")
    signer = signer or Signer()
    width = content_width()
    story = _opening(agency, dossier, number=document_number, issued_on=issued_on or _today(), form="04")
    story.append(para(f"Kính gửi: <b>{text(dossier.applicant_name)}</b>", "subtitle"))
    due = f", hẹn trả kết quả vào {_when(dossier.due_at)}" if dossier.due_at else ""
    story.append(para(
        f"{text(agency.name)} đã tiếp nhận hồ sơ đề nghị giải quyết thủ tục {text(dossier.procedure_name)} "
        f"của Ông/Bà (tổ chức), mã hồ sơ <b>{text(dossier.code)}</b>, vào {_when(dossier.received_at)}{due}.",
        "prose"))
    story.append(para("Đến nay, hồ sơ chưa được giải quyết xong theo thời hạn đã hẹn. "
                      f"<b>Lý do:</b> {sentence(reason)}", "prose"))
    story.append(para(
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà (tổ chức). {text(agency.name)} thành thật xin lỗi và đề nghị "
        f"Ông/Bà (tổ chức) đồng ý gia hạn thời gian giải quyết hồ sơ đến <b>{_when(new_due_at)}</b>.", "prose"))
    story.append(para("Trân trọng./.", "prose"))
    story.append(letter_closing(width, recipients=signer.recipients, signer_title=signer.title,
                                signer_name=signer.name))
    return _build(story, "04", agency, dossier, invariant=invariant)


# --- Mẫu 05 ------------------------------------------------------------------------------------


def render_form_05(*, agency: AgencyInfo, dossier: DossierInfo, reason: str, legal_basis: str = "",
                   signer: Signer | None = None, document_number: str = "", issued_on: date | None = None,
                   invariant: bool = False) -> bytes:
    """Thông báo dừng giải quyết hồ sơ: why processing stops (e.g. the applicant asked, or did
    not supplement in time)."""
    _require(reason, "lý do dừng giải quyết")
    signer = signer or Signer()
    width = content_width()
    story = _opening(agency, dossier, number=document_number, issued_on=issued_on or _today(), form="05")
    story.append(para(f"Kính gửi: <b>{text(dossier.applicant_name)}</b>", "subtitle"))
    if legal_basis:
        story.append(para(f"Căn cứ {text(legal_basis)};", "prose"))
    story.append(para(
        f"{text(agency.name)} thông báo dừng giải quyết hồ sơ đề nghị thực hiện thủ tục "
        f"{text(dossier.procedure_name)} của Ông/Bà (tổ chức), mã hồ sơ <b>{text(dossier.code)}</b>, "
        f"tiếp nhận {format_date_words(dossier.received_at)}.", "prose"))
    story.append(para(f"<b>Lý do dừng giải quyết:</b> {sentence(reason)}", "prose"))
    story.append(para(f"Thông báo để Ông/Bà (tổ chức) được biết. Mọi vướng mắc xin liên hệ {text(agency.name)}"
                      + (f", số điện thoại {text(agency.phone)}" if agency.phone else "") + "./.", "prose"))
    story.append(letter_closing(width, recipients=signer.recipients, signer_title=signer.title,
                                signer_name=signer.name))
    return _build(story, "05", agency, dossier, invariant=invariant)


# --- Mẫu 06 ------------------------------------------------------------------------------------


def control_row_cells(index: int, row: ControlRow) -> tuple[str, str, str, str]:
    """The four printed columns of one Mẫu 06 row (also used by the XLSX version)."""
    parties = "\n".join(x for x in (
        f"{index}. {nfc(row.step_name)}",
        f"Giao: {nfc(row.from_party)}" if row.from_party else "",
        f"Nhận: {nfc(row.to_party)}" if row.to_party else "",
    ) if x)
    times = "\n".join(x for x in (
        format_datetime_words(row.handed_over_at) if row.handed_over_at else "",
        f"Hạn xử lý: {format_datetime_vn(row.due_at)}" if row.due_at else "",
        f"Hoàn thành: {format_datetime_vn(row.finished_at)}" if row.finished_at else "",
    ) if x)
    return parties, times, timeliness_label(row.finished_at, row.due_at), nfc(row.result_note)


def render_form_06(*, agency: AgencyInfo, dossier: DossierInfo, rows: Sequence[ControlRow],
                   coordinating_agencies: str = "", document_number: str = "", issued_on: date | None = None,
                   invariant: bool = False) -> bytes:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: every hand-over with its time and whether
    the step finished before, on or after its deadline."""
    width = content_width()
    story = _opening(agency, dossier, number=document_number,
                     issued_on=issued_on or to_local(dossier.received_at).date(), form="06")
    story.append(para(f"(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả, mã hồ sơ: <b>{text(dossier.code)}</b>)",
                      "subtitle"))
    story.append(para(f"Tên thủ tục: {text(dossier.procedure_name)}"))
    story.append(para(f"Người nộp hồ sơ: <b>{text(dossier.applicant_name)}</b>"))
    story.append(field_line("Cơ quan (bộ phận) giải quyết hồ sơ", dossier.handling_agency_name))
    story.append(field_line("Cơ quan phối hợp giải quyết hồ sơ", coordinating_agencies or "Không"))
    story.append(para(f"Thời gian nhận hồ sơ: {_when(dossier.received_at)}; "
                      f"hẹn trả kết quả: {_when(dossier.due_at)}"))
    table: list[list[object]] = [[
        para("TÊN CƠ QUAN, BƯỚC XỬ LÝ", "cell_head"), para("THỜI GIAN GIAO, NHẬN HỒ SƠ", "cell_head"),
        para("KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/ Đúng hạn/ Quá hạn)", "cell_head"), para("GHI CHÚ", "cell_head"),
    ]]
    for i, row in enumerate(rows, start=1):
        cells = control_row_cells(i, row)
        table.append([para(text(cells[0]).replace("\n", "<br/>"), "cell"),
                      para(text(cells[1]).replace("\n", "<br/>"), "cell"),
                      para(f"<b>{text(cells[2])}</b>", "cell_center"), para(text(cells[3]), "cell")])
    if not rows:
        table.append([para("(Chưa có bước xử lý)", "cell"), "", "", ""])
    story.append(Spacer(1, 2 * mm))
    story.append(grid(table, [width * 0.30, width * 0.34, width * 0.17, width * 0.19]))
    return _build(story, "06", agency, dossier, invariant=invariant)


# --- Mẫu 07 ------------------------------------------------------------------------------------

REGISTER_HEADERS = (
    "TT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
    "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Nhận hồ sơ", "Hẹn trả kết quả",
    "Chuyển hồ sơ đến cơ quan giải quyết", "Nhận kết quả từ cơ quan giải quyết", "Trả kết quả cho cá nhân, tổ chức",
    "Ghi chú",
)
#: Columns 8–12 sit under a "Ngày, tháng, năm" band, as in the official register.
REGISTER_DATE_COLUMNS = range(7, 12)


def register_row_values(index: int, row: RegisterRow) -> list[object]:
    address = ", ".join(x for x in (nfc(row.applicant_address), nfc(row.applicant_phone)) if x.strip())
    return [index, nfc(row.code), nfc(row.procedure_name), row.set_count, nfc(row.applicant_name), address,
            nfc(row.handling_agency), row.received_at, row.due_at, row.transferred_at, row.result_received_at,
            row.returned_at, nfc(row.note)]


def render_form_07(*, agency: AgencyInfo, rows: Sequence[RegisterRow], period_label: str = "",
                   book_number: str = "", invariant: bool = False) -> bytes:
    """Sổ theo dõi hồ sơ: the counter's register, one line per dossier, on landscape pages."""
    width = content_width(landscape_page=True)
    head = header(agency, number=book_number, issued_on=None, width=width, number_label="Quyển số",
                  left_fraction=0.35, show_date=False)
    subtitle = text(period_label) if period_label else ""
    story: list[Flowable] = [head, *title(FORM_TITLES["07"], subtitle)]
    fractions = [0.025, 0.105, 0.12, 0.05, 0.095, 0.10, 0.085, 0.075, 0.075, 0.075, 0.075, 0.075, 0.045]
    col_widths = [width * f / sum(fractions) for f in fractions]
    header_row = [para(h, "cell_head_small") for h in REGISTER_HEADERS]
    band = para("Ngày, tháng, năm", "cell_head_small")
    top: list[object] = [band if i == REGISTER_DATE_COLUMNS[0] else "" if i in REGISTER_DATE_COLUMNS else h
                         for i, h in enumerate(header_row)]
    bottom: list[object] = [h if i in REGISTER_DATE_COLUMNS else "" for i, h in enumerate(header_row)]
    table_rows: list[list[object]] = [top, bottom]
    for i, row in enumerate(rows, start=1):
        values = register_row_values(i, row)
        cells: list[object] = []
        for col, value in enumerate(values):
            if isinstance(value, datetime):
                shown = format_datetime_vn(value) if col == 7 else format_date_vn(value)
                cells.append(para(shown.replace(" ", "<br/>"), "cell_small_center"))
            elif value is None:
                cells.append("")
            elif col in (0, 3):
                cells.append(para(str(value), "cell_small_center"))
            else:
                cells.append(para(text(value), "cell_small"))
        table_rows.append(cells)
    table = grid(table_rows, col_widths, header_rows=2)
    spans = [("SPAN", (REGISTER_DATE_COLUMNS[0], 0), (REGISTER_DATE_COLUMNS[-1], 0))]
    spans += [("SPAN", (c, 0), (c, 1)) for c in range(len(REGISTER_HEADERS)) if c not in REGISTER_DATE_COLUMNS]
    table.setStyle(table_style(spans))
    story.append(table)
    story.append(Spacer(1, 2 * mm))
    story.append(para(f"Tổng số: {format_number_vn(len(rows))} hồ sơ.", "body_left"))
    return _build(story, "07", agency, None, invariant=invariant, landscape_page=True)

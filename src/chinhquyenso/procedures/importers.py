"""Reading catalog files (JSON, CSV, XLSX) into raw procedure dicts, remembering where every
value came from so that errors can name the row, sheet and column an official must fix.

Formats (docs/procedures.md has examples):

- **JSON**: a list of objects (or ``{"procedures": [...]}``) with the keys of
  :class:`~chinhquyenso.procedures.schemas.ProcedureIn`.
- **CSV** (UTF-8, with or without BOM; ``,`` or ``;`` separated): one row per procedure with
  the columns of :data:`COLUMNS`. Lists live in one cell, one item per line (Alt+Enter in
  Excel), the parts of an item separated by ``|`` in the order of :data:`ITEM_PARTS`.
- **XLSX**: sheet ``thu_tuc`` (or the first sheet) has the same columns as the CSV; the
  optional sheets ``thanh_phan_ho_so``, ``phi_le_phi``, ``ket_qua``, ``can_cu_phap_ly`` and
  ``quy_trinh`` hold one item per row, keyed by ``ma_tthc``, with the part names as columns.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinhquyenso.core.text import fold

#: CSV/XLSX column → ProcedureIn field. English field names are accepted as headers too.
COLUMNS: dict[str, str] = {
    "ma_tthc": "code",
    "ten_thu_tuc": "name",
    "ma_linh_vuc": "field_code",
    "ten_linh_vuc": "field_name",
    "cap_thuc_hien": "level",
    "muc_do_dvc": "service_level",
    "du_dieu_kien_toan_trinh": "full_online_eligible",
    "thoi_han": "time_limit_amount",
    "don_vi_thoi_han": "time_limit_unit",
    "thoi_han_mo_ta": "time_limit_text",
    "ket_qua_ban_giay": "result_on_paper",
    "loai_doi_tuong": "applicant_types",
    "trinh_tu": "steps_text",
    "cach_thuc": "submission_methods_text",
    "doi_tuong": "applicants_text",
    "co_quan_thuc_hien": "agencies_text",
    "yeu_cau_dieu_kien": "requirements_text",
    "trang_thai": "status",
    "qd_cong_bo": "published_decision",
    "ngay_qd_cong_bo": "published_decision_date",
    "ngay_cong_khai": "made_public_at",
    "co_quan_giai_quyet": "handling_agencies",
    "thanh_phan_ho_so": "components",
    "phi_le_phi": "fees",
    "ket_qua": "results",
    "can_cu_phap_ly": "legal_bases",
    "quy_trinh": "process.steps",
    "quy_trinh_hieu_luc_tu": "process.valid_from",
    "quy_trinh_ghi_chu": "process.note",
}
FIELD_TO_COLUMN: dict[str, str] = {v: k for k, v in COLUMNS.items()}
FIELD_TO_COLUMN["process"] = "quy_trinh"

#: Item parts, in cell order (``a | b | c``) and as sheet column names → the item's field.
ITEM_PARTS: dict[str, list[tuple[str, str]]] = {
    "components": [("ma", "code"), ("ten", "name"), ("loai_ban", "copy_type"), ("so_luong", "count"),
                   ("bat_buoc", "required"), ("tai_su_dung", "reusable"), ("loai_giay_to", "document_type"),
                   ("mau_don", "template_name")],
    "fees": [("ten", "name"), ("so_tien", "amount"), ("thoi_diem_thu", "stage"),
             ("mien_cho", "exempt_applicant_types"), ("ghi_chu_mien", "exemption_text"),
             ("hieu_luc_tu", "valid_from"), ("hieu_luc_den", "valid_to"), ("ma", "code"), ("can_cu", "basis")],
    "results": [("ten", "name"), ("loai_giay_to", "document_type"), ("thoi_han_hieu_luc_thang", "validity_months"),
                ("ma", "code")],
    "legal_bases": [("so_hieu", "document"), ("trich_yeu", "title"), ("ngay_hieu_luc", "effective_from")],
    "process.steps": [("ma", "code"), ("ten", "name"), ("vai_tro", "role"), ("thoi_gian", "duration_amount"),
                      ("don_vi", "duration_unit"), ("thao_tac", "allowed_actions"), ("co_quan", "agency_kind")],
}
#: XLSX item sheet → list field.
ITEM_SHEETS: dict[str, str] = {
    "thanh_phan_ho_so": "components",
    "phi_le_phi": "fees",
    "ket_qua": "results",
    "can_cu_phap_ly": "legal_bases",
    "quy_trinh": "process.steps",
}
MAIN_SHEET = "thu_tuc"


class FileFormatError(Exception):
    """The file cannot be read at all (wrong type, not UTF-8, not JSON...). Message in Vietnamese."""


@dataclass(frozen=True)
class Origin:
    """Where a list item came from: a cell of the main row, or a row of an item sheet."""

    sheet: str | None
    row: int
    column: str
    item: int | None = None  # 1-based position inside a multi-line cell


@dataclass
class RawProcedure:
    """One procedure as read from the file, before validation."""

    row: int  # JSON: position in the list (1-based); CSV/XLSX: the spreadsheet row number
    sheet: str | None
    data: dict[str, Any]
    origins: dict[str, list[Origin]] = field(default_factory=dict)
    problems: list[tuple[Origin, str]] = field(default_factory=list)  # found while reading

    @property
    def code(self) -> str:
        return str(self.data.get("code") or "").strip()


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".csv":
        return "csv"
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    raise FileFormatError(f"Không hỗ trợ tệp «{path.name}»: chỉ nhận .json, .csv hoặc .xlsx.")


def read_file(path: Path) -> tuple[str, list[RawProcedure]]:
    fmt = detect_format(path)
    if not path.is_file():
        raise FileFormatError(f"Không tìm thấy tệp «{path}».")
    if fmt == "json":
        return fmt, read_json(path.read_bytes())
    if fmt == "csv":
        return fmt, read_csv(path.read_bytes())
    return fmt, read_xlsx(path)


# --- JSON -------------------------------------------------------------------------------------------


def read_json(raw: bytes) -> list[RawProcedure]:
    try:
        payload = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileFormatError("Tệp JSON phải mã hóa UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"Tệp JSON sai cú pháp ở dòng {exc.lineno}, cột {exc.colno}.") from None
    if isinstance(payload, dict) and isinstance(payload.get("procedures"), list):
        payload = payload["procedures"]
    if not isinstance(payload, list):
        raise FileFormatError("Tệp JSON phải là một danh sách thủ tục (hoặc {\"procedures\": [...]}).")
    out: list[RawProcedure] = []
    for index, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            rp = RawProcedure(row=index, sheet=None, data={})
            rp.problems.append((Origin(None, index, ""), "Mỗi thủ tục phải là một đối tượng JSON."))
            out.append(rp)
            continue
        data: dict[str, Any] = {COLUMNS.get(str(k), str(k)): v for k, v in item.items()}
        if "process.steps" in data:  # a flat Vietnamese-keyed object
            data.setdefault("process", {})["steps"] = data.pop("process.steps")
        out.append(RawProcedure(row=index, sheet=None, data=data))
    return out


# --- CSV / XLSX main rows -----------------------------------------------------------------------------


def _header_key(header: Any) -> str:
    text = fold(str(header or "")).replace(" ", "_").replace("-", "_")
    if text in COLUMNS:
        return COLUMNS[text]
    if text in FIELD_TO_COLUMN or text in {"process.valid_from", "process.note", "process.steps"}:
        return text
    return ""


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _split_item(text: str) -> list[str]:
    return [part.strip() for part in text.split("|")]


def _items_from_cell(value: Any, list_field: str, origin_row: int, sheet: str | None
                     ) -> tuple[list[dict[str, Any]], list[Origin], list[tuple[Origin, str]]]:
    parts_spec = ITEM_PARTS[list_field]
    column = FIELD_TO_COLUMN[list_field]
    items: list[dict[str, Any]] = []
    origins: list[Origin] = []
    problems: list[tuple[Origin, str]] = []
    text = str(value or "")
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    for number, line in enumerate(lines, start=1):
        origin = Origin(sheet, origin_row, column, number)
        parts = _split_item(line)
        if len(parts) > len(parts_spec):
            problems.append((origin, f"Có {len(parts)} phần, tối đa {len(parts_spec)} (phân cách bằng «|»)."))
            continue
        item = {name: part for (_, name), part in zip(parts_spec, parts, strict=False) if part != ""}
        items.append(item)
        origins.append(origin)
    return items, origins, problems


def _procedure_from_row(row_number: int, sheet: str | None, headers: list[str], values: list[Any]) -> RawProcedure:
    rp = RawProcedure(row=row_number, sheet=sheet, data={})
    process: dict[str, Any] = {}
    for key, raw in zip(headers, values, strict=False):
        if not key:
            continue
        value = _cell(raw)
        if key in ITEM_PARTS:
            items, origins, problems = _items_from_cell(value, key, row_number, sheet)
            rp.problems.extend(problems)
            if key == "process.steps":
                if items:
                    process["steps"] = items
            else:
                rp.data[key] = items
            rp.origins[key] = origins
        elif key.startswith("process."):
            if value != "":
                process[key.removeprefix("process.")] = value
        elif value != "":
            rp.data[key] = value
    if process:
        rp.data["process"] = process
    return rp


def _unknown_headers(raw_headers: list[Any], sheet: str | None) -> list[tuple[Origin, str]]:
    problems = []
    for header in raw_headers:
        if str(header or "").strip() and not _header_key(header):
            problems.append((Origin(sheet, 1, str(header)), f"Cột «{header}» không được hỗ trợ."))
    return problems


def read_csv(raw: bytes) -> list[RawProcedure]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError("Tệp CSV phải mã hóa UTF-8 (trong Excel: Lưu thành «CSV UTF-8»).") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise FileFormatError("Tệp CSV trống.")
    raw_headers = rows[0]
    headers = [_header_key(h) for h in raw_headers]
    if "code" not in headers:
        raise FileFormatError("Thiếu cột «ma_tthc» ở dòng tiêu đề.")
    header_problems = _unknown_headers(raw_headers, None)
    out: list[RawProcedure] = []
    # csv.reader counts physical lines only through line_num; multi-line cells make row numbers
    # differ from line numbers, and Excel shows rows, so report the row (header = row 1).
    for index, values in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in values):
            continue
        rp = _procedure_from_row(index, None, headers, values)
        out.append(rp)
    if out and header_problems:
        out[0].problems.extend(header_problems)
    return out


def read_xlsx(path: Path) -> list[RawProcedure]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError):
        raise FileFormatError(f"Không đọc được tệp Excel «{path.name}».") from None
    try:
        names = {fold(name): name for name in workbook.sheetnames}
        main_name = names.get(MAIN_SHEET, workbook.sheetnames[0])
        main = workbook[main_name]
        rows = list(main.iter_rows(values_only=True))
        if not rows:
            raise FileFormatError(f"Trang «{main_name}» trống.")
        raw_headers = list(rows[0])
        headers = [_header_key(h) for h in raw_headers]
        if "code" not in headers:
            raise FileFormatError(f"Trang «{main_name}» thiếu cột «ma_tthc» ở dòng tiêu đề.")
        out: list[RawProcedure] = []
        by_code: dict[str, RawProcedure] = {}
        for index, values in enumerate(rows[1:], start=2):
            if not any(_cell(v) != "" for v in values):
                continue
            rp = _procedure_from_row(index, main_name, headers, list(values))
            out.append(rp)
            by_code.setdefault(rp.code, rp)
        if out:
            out[0].problems.extend(_unknown_headers(raw_headers, main_name))
        for sheet_key, list_field in ITEM_SHEETS.items():
            if sheet_key not in names:
                continue
            _read_item_sheet(workbook[names[sheet_key]], names[sheet_key], list_field, by_code, out)
        return out
    finally:
        workbook.close()


def _read_item_sheet(sheet: Any, sheet_name: str, list_field: str, by_code: dict[str, RawProcedure],
                     out: list[RawProcedure]) -> None:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return
    parts = dict(ITEM_PARTS[list_field])
    headers = [fold(str(h or "")).replace(" ", "_") for h in rows[0]]
    for index, values in enumerate(rows[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(headers, values, strict=False) if h}
        if not any(v != "" for v in cells.values()):
            continue
        code = str(cells.pop("ma_tthc", "") or "").strip()
        origin = Origin(sheet_name, index, "ma_tthc")
        target = by_code.get(code)
        if target is None:
            holder = out[0] if out else None
            message = (f"Mã TTHC «{code}» không có trong trang thủ tục." if code else "Thiếu mã TTHC (cột ma_tthc).")
            if holder is None:
                holder = RawProcedure(row=index, sheet=sheet_name, data={})
                out.append(holder)
            holder.problems.append((origin, message))
            continue
        item: dict[str, Any] = {}
        for header, value in cells.items():
            if header not in parts:
                target.problems.append((Origin(sheet_name, index, header), f"Cột «{header}» không được hỗ trợ."))
                continue
            if value != "":
                item[parts[header]] = value
        if list_field == "process.steps":
            target.data.setdefault("process", {}).setdefault("steps", []).append(item)
        else:
            target.data.setdefault(list_field, []).append(item)
        target.origins.setdefault(list_field, []).append(Origin(sheet_name, index, ""))

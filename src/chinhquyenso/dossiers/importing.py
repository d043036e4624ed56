"""Bulk import of historical dossiers (``chinhquyenso import-dossiers FILE``).

A province arrives with years of dossiers in another system. This module loads them, with their
components, fees, results, supplements and process log, from JSON Lines or CSV records that use the
national sync field names (``HoSoDongBoDVC``, reference vn-methodology §4.4; the same names
``integration.national_portal`` emits). The format is documented in ``docs/import.md``.

How it stays fast and safe on millions of records:

* **Streaming**: the file is read record by record and written in batches (default 5,000), so memory
  does not grow with the file.
* **One transaction per batch**; a record that fails validation is written, with its Vietnamese
  reasons, to ``FILE.rejected.jsonl`` and nothing of it reaches the database.
* **Bulk writes**: on PostgreSQL one binary ``COPY … FROM STDIN`` per table per batch (psycopg 3
  ``cursor.copy``), on SQLite ``executemany``. No per-dossier service is called, and no national-portal
  outbox message is written: these dossiers were synced (or not) by the old system, which the record says
  (``DaDongBoDVCQG`` / ``NgayDongBoDVCQG`` → ``Dossier.national_synced_at``); re-sending years of
  history would flood the portal with stale snapshots.
* **Restartable**: ``MaHoSo`` is unique; each batch skips codes already in the database, and a
  checkpoint (``FILE.checkpoint.json``: byte offset, rejected-file length, running totals) is
  rewritten after every committed batch. After a crash the import resumes at the checkpoint; a
  batch that committed just before the crash is found again and skipped, so nothing is duplicated.
* **Parallel** (``workers`` > 1, PostgreSQL): the file is split at record boundaries into byte ranges, one
  forked process per range with its own connection, checkpoint and rejects file. The workers' batches
  write at the same time: no lock is taken; a batch that loses a race for a code (another import committed
  it meanwhile) rolls back and is written again without it (:func:`_commit`).
* At the end one :class:`ImportFinished` is dispatched on the projector stream
  ``"dossiers_imported"``; the indicators app subscribes to it to rebuild its roll-ups for the
  imported range (dossiers never imports indicators).
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import io
import itertools
import json
import logging
import operator
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone as dj_timezone

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.core.projectors import dispatch
from chinhquyenso.core.text import fold, nfc
from chinhquyenso.dossiers.models import (
    Dossier,
    DossierComponent,
    DossierEvent,
    DossierFee,
    DossierResult,
    DossierSupplement,
)

#: Projector stream dispatched once at the end of an import.
STREAM = "dossiers_imported"
#: Vietnam has used UTC+7 without daylight saving since 1975: a fixed offset is exact and fast.
VN_TZ = timezone(timedelta(hours=7))
PORTAL_DATETIME_FORMAT = "%Y%m%d%H%M%S"
#: ``DSKetNoiCSDL[].MaCSDL`` of the national population database (as ``integration.national_portal``).
POPULATION_DB_CODE = "CSDLQGDC"
DEFAULT_BATCH = 5000
#: Nested lists; in CSV each is one column holding JSON.
LIST_FIELDS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachGiayToKetQua", "DanhSachHoSoBoSung", "DanhSachTienTrinh",
               "DSKetNoiCSDL")
#: ``HinhThucThu`` → DossierFee.stage (1 at receipt, 2 at supplement, 4 at result).
FEE_STAGES = {1: "at_receipt", 2: "at_supplement", 4: "at_result"}
CLOSED = frozenset({3, 7, 8, 9, 10})
OPEN = frozenset({1, 2, 4, 5, 6})
_YEAR_MIN, _YEAR_MAX = 1990, 2100
# A batch that collided with a concurrent import (the same code committed by the other one meanwhile, or a
# deadlock between two batches waiting on each other's codes) is written again; each retry skips the codes
# that are in the database by then, so a retry can only lose to a code committed after its own check.
_RACE_RETRIES = 10
_CODE_UNIQUE = "dossier_code_unique"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportFinished:
    """What an import wrote, for subscribers that rebuild derived data (indicator roll-ups)."""

    count: int
    first_received_at: datetime | None
    last_received_at: datetime | None
    dossier_id_min: int | None
    dossier_id_max: int | None


@dataclass
class ImportReport:
    path: Path
    format: str
    lines: int = 0
    imported: int = 0
    skipped_existing: int = 0
    rejected: int = 0
    batches: int = 0
    seconds: float = 0.0
    resumed_from_line: int = 0
    rejected_path: Path | None = None
    finished: ImportFinished | None = None
    events: int = 0

    @property
    def rate(self) -> float:
        return self.imported / self.seconds if self.seconds > 0 else 0.0

    def summary_vi(self) -> str:
        text = (f"Đã nhập {self.imported:,} hồ sơ ({self.events:,} sự kiện) trong {self.seconds:.1f} giây "
                f"({self.rate:,.0f} hồ sơ/giây); bỏ qua {self.skipped_existing:,} hồ sơ đã có; "
                f"từ chối {self.rejected:,} bản ghi").replace(",", ".")
        if self.rejected and self.rejected_path is not None:
            text += f" (lý do trong {self.rejected_path})"
        if self.resumed_from_line:
            text += f"; tiếp tục từ dòng {self.resumed_from_line + 1} theo điểm khôi phục"
        return text + "."


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class RawRecord:
    line: int  # 1-based line (JSONL) or row number after the header (CSV)
    end_offset: int  # byte offset just after this record
    data: dict[str, Any] | None
    raw: str  # the line's text; only filled for a record that could not be read (``data`` is None)
    error: str = ""


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in {"jsonl", "csv"}:
            raise ValidationFailed("Định dạng phải là jsonl hoặc csv.", code="import_format_invalid")
        return explicit
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise ValidationFailed(f"Không nhận ra định dạng của tệp {path.name}: dùng .jsonl hoặc .csv (hoặc --format).",
                           code="import_format_unknown")


def read_jsonl(handle: IO[bytes], *, start: int, first_line: int, end: int | None = None) -> Iterator[RawRecord]:
    handle.seek(start)
    offset, line = start, first_line
    loads = json.loads
    for chunk in handle:
        if end is not None and offset >= end:
            return
        offset += len(chunk)
        line += 1
        text = chunk.decode("utf-8", errors="replace")
        try:
            data = loads(text)  # JSON allows the surrounding whitespace: no strip; anything odd takes the slow path
        except ValueError:
            data = None
        if data.__class__ is dict:
            yield RawRecord(line, offset, data, "")  # the raw text is kept only for records that are not JSON
            continue
        text = text.strip()
        if not text:
            continue
        try:
            data = loads(text)
        except ValueError as exc:
            yield RawRecord(line, offset, None, text, f"Dòng không phải JSON hợp lệ: {exc}")
            continue
        if not isinstance(data, dict):
            yield RawRecord(line, offset, None, text, "Mỗi dòng phải là một đối tượng JSON {…}.")
            continue
        yield RawRecord(line, offset, data, text)


def _csv_header(handle: IO[bytes]) -> tuple[list[str], int]:
    handle.seek(0)
    first = handle.readline()
    header = next(csv.reader([first.decode("utf-8-sig")]), [])
    return [h.strip() for h in header], len(first)


def read_csv(handle: IO[bytes], *, start: int, first_line: int, end: int | None = None) -> Iterator[RawRecord]:
    """CSV rows as dicts; a quoted field may span lines (the chunk grows until its quotes balance)."""
    header, header_end = _csv_header(handle)
    if "MaHoSo" not in header:
        raise ValidationFailed("Tệp CSV thiếu cột MaHoSo ở dòng tiêu đề.", code="import_csv_header")
    handle.seek(max(start, header_end))
    offset, line = max(start, header_end), first_line
    pending = b""
    for chunk in handle:
        if end is not None and offset >= end and not pending:
            return
        offset += len(chunk)
        pending += chunk
        if pending.count(b'"') % 2:  # inside a quoted field: keep reading
            continue
        text, pending = pending.decode("utf-8", errors="replace"), b""
        line += 1
        if not text.strip():
            continue
        row = next(csv.reader(io.StringIO(text)), [])
        if len(row) != len(header):
            yield RawRecord(line, offset, None, text.rstrip("\r\n"),
                            f"Dòng có {len(row)} cột, tiêu đề có {len(header)} cột.")
            continue
        data: dict[str, Any] = {}
        error = ""
        for key, value in zip(header, row, strict=True):
            if key in LIST_FIELDS:
                value = value.strip()
                if value:
                    try:
                        data[key] = json.loads(value)
                    except ValueError:
                        error = f"Cột {key} phải là danh sách JSON."
                continue
            data[key] = value
        yield RawRecord(line, offset, None if error else data, text.rstrip("\r\n"), error)
    if pending.strip():
        line += 1
        yield RawRecord(line, offset, None, pending.decode("utf-8", errors="replace"),
                        "Dòng cuối có dấu ngoặc kép chưa đóng.")


# --- Reference data -----------------------------------------------------------------------------


@dataclass
class _Procedure:
    id: int
    name: str
    components: dict[str, int]
    results: dict[str, int]


class Lookups:
    """Catalog, agencies and units, loaded once per import (a few thousand rows)."""

    def __init__(self, agency_map: dict[str, str] | None = None) -> None:
        from chinhquyenso.procedures.models import Procedure, ProcedureComponent, ProcedureResult
        from chinhquyenso.units.models import Agency, AgencyKind, Unit
        from chinhquyenso.units.selectors import units_successor_map

        self.procedures: dict[str, _Procedure] = {
            code: _Procedure(pk, name, {}, {}) for pk, code, name in Procedure.objects.values_list("id", "code", "name")
        }
        by_id = {p.id: p for p in self.procedures.values()}
        for proc_id, code, pk in ProcedureComponent.objects.values_list("procedure_id", "code", "id"):
            by_id[proc_id].components[code] = pk
        for proc_id, code, pk in ProcedureResult.objects.values_list("procedure_id", "code", "id"):
            if code:
                by_id[proc_id].results[code] = pk
        self.agencies: dict[str, tuple[int, int]] = {}
        rows = list(Agency.objects.values_list("id", "code", "portal_code", "unit_id", "kind").order_by("id"))
        for pk, _code, portal, unit_id, _kind in rows:
            if portal:
                self.agencies.setdefault(portal, (pk, unit_id))
        for pk, code, _portal, unit_id, _kind in rows:
            self.agencies[code] = (pk, unit_id)  # the code wins over a portal code
        self.agency_map = {k.strip(): v.strip() for k, v in (agency_map or {}).items()}
        self.ubnd_of_unit: dict[int, int] = {}
        for pk, _code, _portal, unit_id, kind in rows:
            if kind == AgencyKind.PEOPLES_COMMITTEE:
                self.ubnd_of_unit.setdefault(unit_id, pk)
        self.units: dict[str, list[tuple[date, date | None, int]]] = {}
        self.unit_parent: dict[int, int | None] = {}
        for pk, code, start, end, parent in Unit.objects.values_list("id", "code", "valid_from", "valid_to",
                                                                     "parent_id"):
            self.units.setdefault(code, []).append((start, end, pk))
            self.unit_parent[pk] = parent
        self.successor = units_successor_map(dj_timezone.localdate())
        self._agency_for_unit: dict[int, int | None] = {}
        self._calendar: Any = None
        self._calendar_years = (0, -1)

    def calendar(self, first_year: int, last_year: int) -> Any:
        """The working calendar, fetched once (``calendar.working_hours_between`` checks the override table
        on every call: one query per supplement otherwise)."""
        lo, hi = self._calendar_years
        if self._calendar is None or first_year < lo or last_year > hi:
            from chinhquyenso.workdays import calendar

            lo, hi = min(first_year, lo) if self._calendar else first_year, max(last_year, hi)
            self._calendar = calendar.get_calendar(years=(lo - 1, hi + 1))
            self._calendar_years = (lo, hi)
        return self._calendar

    def agency(self, code: str) -> tuple[int, int] | None:
        code = self.agency_map.get(code, code)
        return self.agencies.get(code)

    def unit_on(self, code: str, day: date) -> int | None:
        for start, end, pk in self.units.get(code, ()):
            if start <= day and (end is None or day < end):
                return pk
        return None

    def agency_for_old_unit(self, unit_id: int) -> int | None:
        """The People's Committee of the unit's successor today (or of its nearest ancestor)."""
        if unit_id not in self._agency_for_unit:
            current: int | None = self.successor.get(unit_id, unit_id)
            found = None
            for _ in range(8):
                if current is None:
                    break
                found = self.ubnd_of_unit.get(current)
                if found is not None:
                    break
                current = self.unit_parent.get(current)
            self._agency_for_unit[unit_id] = found
        return self._agency_for_unit[unit_id]


# --- Validation ---------------------------------------------------------------------------------


def parse_moment(value: Any) -> datetime:
    """``yyyyMMddHHmmss`` local time (the portal's format) or ISO 8601; naive ISO is local time.
    Raises ValueError."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(value)
    s = value.strip()
    if len(s) == 14 and s.isdigit():
        try:  # the C ISO parser on the sliced digits: 3x faster than six int() and a constructor
            moment = datetime.fromisoformat(f"{s[:8]}T{s[8:]}+07:00")
        except ValueError:  # non-ASCII digits (int() accepts them) or an impossible date: the slow path decides
            moment = datetime(int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14]),
                              tzinfo=VN_TZ)
    else:
        moment = datetime.fromisoformat(s)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VN_TZ)
    if not _YEAR_MIN <= moment.year <= _YEAR_MAX:
        raise ValueError(value)
    return moment


def format_moment(moment: datetime | None) -> str | None:
    return moment.astimezone(VN_TZ).strftime(PORTAL_DATETIME_FORMAT) if moment is not None else None


def _vn(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


_FLAGS: dict[Any, bool] = {None: False, "": False, 0: False, "0": False, "false": False, "False": False,
                           1: True, "1": True, "true": True, "True": True}


class _Check:
    """Collects every problem of one record (all of them, not just the first)."""

    __slots__ = ("reasons",)

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def fail(self, message: str) -> None:
        self.reasons.append(message)

    def moment(self, data: dict[str, Any], key: str, *, required: bool = False, where: str = "") -> datetime | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"Thiếu {key}{where}.")
            return None
        try:
            return parse_moment(value)
        except (ValueError, TypeError):
            self.fail(f"{key}{where} «{value}» không phải thời điểm hợp lệ (yyyyMMddHHmmss).")
            return None

    def integer(self, data: dict[str, Any], key: str, allowed: frozenset[int] | range, *, default: int | None = None,
                where: str = "") -> int | None:
        value = data.get(key)
        if value.__class__ is int:  # JSON numbers: the common case, no conversion
            if value in allowed:
                return value
            self.fail(f"{key}{where} = {value} không hợp lệ.")
            return default
        if value is None or value == "":
            if default is None:
                self.fail(f"Thiếu {key}{where}.")
            return default
        try:
            number = int(value)
            if isinstance(value, float) and number != value:
                raise ValueError(value)
        except (TypeError, ValueError):
            self.fail(f"{key}{where} «{value}» phải là số nguyên.")
            return default
        if number not in allowed:
            self.fail(f"{key}{where} = {number} không hợp lệ.")
            return default
        return number

    def flag(self, data: dict[str, Any], key: str, *, where: str = "") -> bool:
        value = data.get(key)
        try:
            return _FLAGS[value]  # one hash lookup (False == 0 and True == 1 hash alike)
        except (KeyError, TypeError):  # TypeError: a list or an object is not hashable
            self.fail(f"{key}{where} «{value}» phải là 0 hoặc 1.")
            return False

    def text(self, data: dict[str, Any], key: str, max_length: int, *, required: bool = False,
             where: str = "", default: str = "") -> str:
        value = data.get(key)
        if value is None:
            value = default
        elif value.__class__ is not str:
            value = str(value)
        if value.isascii():
            value = value.strip()
        else:
            value = value.strip()
            if not unicodedata.is_normalized("NFC", value):
                value = nfc(value)
        if required and not value:
            self.fail(f"Thiếu {key}{where}.")
        elif len(value) > max_length:
            self.fail(f"{key}{where} dài {len(value)} ký tự, tối đa {max_length}.")
            value = value[:max_length]
        return value

    def items(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None or value == "":
            return []
        if value.__class__ is not list:
            self.fail(f"{key} phải là danh sách các đối tượng.")
            return []
        for v in value:
            if not isinstance(v, dict):
                self.fail(f"{key} phải là danh sách các đối tượng.")
                return []
        return value


#: TrangThaiHoSo reached → event kind (the kinds the lifecycle services write; see workflow.TRANSITIONS).
_KIND_BY_STATUS = {1: "submitted", 2: "received", 3: "refused", 4: "forwarded", 5: "supplement_requested",
                   6: "payment_required", 7: "withdrawn", 8: "stopped", 9: "finished", 10: "result_returned"}


def event_kind(before: int | None, after: int) -> str:
    if after == 2 and before == 1:
        return "accepted"
    if after == 4 and before == 5:
        return "supplement_received"
    if after == 4 and before == 6:
        return "payment_fulfilled"
    return _KIND_BY_STATUS[after]


@dataclass
class Prepared:
    """One valid record, as rows ready for the database (dossier id assigned at write time)."""

    code: str
    dossier: dict[str, Any]
    components: list[tuple[Any, ...]] = field(default_factory=list)
    fees: list[tuple[Any, ...]] = field(default_factory=list)
    results: list[tuple[Any, ...]] = field(default_factory=list)
    supplements: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


def _supplement_pause_seconds(lookups: Lookups, requested: datetime, received: datetime) -> int:
    """Working time the clock was paused, as ``dossier_receive_supplement`` measures it."""
    return round(lookups.calendar(requested.year, received.year).working_hours_between(requested, received) * 3600)


def prepare(data: dict[str, Any], lookups: Lookups) -> Prepared | list[str]:
    """Validate one record; the rows to write, or the Vietnamese reasons it is refused."""
    c = _Check()
    code = c.text(data, "MaHoSo", 60, required=True)
    if code and (" " in code or not code.isprintable()):
        c.fail(f"MaHoSo «{code}» chứa khoảng trắng hoặc ký tự điều khiển.")
    proc_code = c.text(data, "MaTTHC", 40, required=True)
    procedure = lookups.procedures.get(proc_code) if proc_code else None
    if proc_code and procedure is None:
        c.fail(f"Mã TTHC «{proc_code}» không có trong danh mục thủ tục hành chính.")
    channel = c.integer(data, "KenhThucHien", frozenset({1, 2, 3}))
    status = c.integer(data, "TrangThaiHoSo", range(1, 11))
    applicant_type = c.integer(data, "LoaiDoiTuong", frozenset({0, 1, 2}), default=0)
    paid_online = c.integer(data, "DuocThanhToanTrucTuyen", frozenset({0, 1, 2}), default=0)
    name = c.text(data, "ChuHoSo", 255, required=True)
    id_number = c.text(data, "SoGiayToChuHoSo", 20)
    phone = c.text(data, "SoDienThoai", 20)
    email = c.text(data, "Email", 254)
    if email and ("@" not in email or " " in email):
        c.fail(f"Email «{email}» không hợp lệ.")
    address = c.text(data, "DiaChiChuHoSo", 500)
    summary = c.text(data, "TrichYeuHoSo", 4000)

    submitted = c.moment(data, "NgayNopHoSo")
    received = c.moment(data, "NgayTiepNhan")
    due = c.moment(data, "NgayHenTra")
    ended = c.moment(data, "NgayKetThucXuLy")
    returned = c.moment(data, "NgayTra")
    refused = c.moment(data, "NgayTuChoi")
    synced_at = c.moment(data, "NgayDongBoDVCQG")
    synced = c.flag(data, "DaDongBoDVCQG") or synced_at is not None
    vneid = c.flag(data, "TaiKhoanDuocXacThucVoiVNeID")
    has_digitized = c.flag(data, "HoSoCoThanhPhanSoHoa")

    if status is not None:
        if status not in (1, 3, 7) and received is None:
            c.fail(f"Hồ sơ ở trạng thái {status} phải có NgayTiepNhan.")
        if received is None and submitted is None:
            c.fail("Thiếu cả NgayTiepNhan và NgayNopHoSo.")
        if status in (7, 8, 9, 10) and ended is None:
            c.fail(f"Hồ sơ ở trạng thái {status} (đã kết thúc) phải có NgayKetThucXuLy.")
        if status == 3 and ended is None and refused is None:
            c.fail("Hồ sơ bị từ chối (trạng thái 3) phải có NgayTuChoi hoặc NgayKetThucXuLy.")
        if status in OPEN and ended is not None:
            c.fail(f"Hồ sơ đang xử lý (trạng thái {status}) không được có NgayKetThucXuLy.")
    if received is not None:
        if due is not None and due < received:
            c.fail(f"NgayHenTra ({_vn(due)}) trước NgayTiepNhan ({_vn(received)}).")
        if ended is not None and ended < received:
            c.fail(f"NgayKetThucXuLy ({_vn(ended)}) trước NgayTiepNhan ({_vn(received)}).")
        if submitted is not None and submitted > received:
            c.fail(f"NgayNopHoSo ({_vn(submitted)}) sau NgayTiepNhan ({_vn(received)}).")
    if returned is not None and ended is not None and returned < ended:
        c.fail(f"NgayTra ({_vn(returned)}) trước NgayKetThucXuLy ({_vn(ended)}).")
    start = received or submitted

    # Handling agency and the unit that handled the dossier at the time.
    agency_code = c.text(data, "DonViXuLy", 40)
    unit_code = c.text(data, "MaDonViHanhChinh", 10)
    agency_id = unit_id = None
    found = lookups.agency(agency_code) if agency_code else None
    if unit_code and start is not None:
        unit_id = lookups.unit_on(unit_code, start.astimezone(VN_TZ).date())
        if unit_id is None:
            c.fail(f"Không có đơn vị hành chính mã {unit_code} có hiệu lực ngày {_vn(start)[:10]}.")
    if found is not None:
        agency_id = found[0]
        if unit_id is None and not unit_code:
            unit_id = found[1]
    elif unit_id is not None:
        agency_id = lookups.agency_for_old_unit(unit_id)
        if agency_id is None:
            c.fail(f"Đơn vị hành chính mã {unit_code} không có đơn vị kế thừa nào có cơ quan xử lý.")
    elif not unit_code:
        if agency_code:
            c.fail(f"Không xác định được cơ quan xử lý: DonViXuLy «{agency_code}» không có trong danh mục cơ quan "
                   "(thêm --agency-map, hoặc ghi MaDonViHanhChinh).")
        else:
            c.fail("Thiếu DonViXuLy (mã cơ quan xử lý) và MaDonViHanhChinh.")
    receiving_code = c.text(data, "NoiNopHoSo", 40)
    receiving_id = agency_id
    if receiving_code:
        got = lookups.agency(receiving_code)
        if got is None:
            c.fail(f"NoiNopHoSo «{receiving_code}» không có trong danh mục cơ quan.")
        else:
            receiving_id = got[0]

    population = vneid
    for i, item in enumerate(c.items(data, "DSKetNoiCSDL"), 1):
        db_code = c.text(item, "MaCSDL", 40, where=f" (DSKetNoiCSDL #{i})")
        population = population or db_code == POPULATION_DB_CODE

    at = start
    components: list[tuple[Any, ...]] = []
    reused = False
    for i, item in enumerate(c.items(data, "TaiLieuNop"), 1):
        where = f" (TaiLieuNop #{i})"
        if c.flag(item, "IsDeleted", where=where):
            continue
        comp_code = c.text(item, "MaThanhPhanHoSo", 40, where=where)
        comp_name = c.text(item, "TenTepDinhKem", 500, required=True, where=where)
        url = c.text(item, "DuongDanTaiTepTin", 500, where=where)
        digitized = c.flag(item, "DuocSoHoa", where=where)
        reuse = c.flag(item, "DuocTaiSuDung", where=where)
        national = c.flag(item, "DuocLayTuKhoDMQG", where=where)
        pc = procedure.components.get(comp_code) if procedure is not None and comp_code else None
        components.append((pc, comp_name, url, digitized, reuse, national, at))
        has_digitized = has_digitized or digitized
        reused = reused or reuse or national
        population = population or national
    fees: list[tuple[Any, ...]] = []
    for i, item in enumerate(c.items(data, "DanhSachLePhi"), 1):
        where = f" (DanhSachLePhi #{i})"
        fee_name = c.text(item, "TenPhiLePhi", 300, required=True, where=where)
        fee_code = c.text(item, "MaPhiLePhi", 40, where=where)
        stage = c.integer(item, "HinhThucThu", frozenset(FEE_STAGES), default=1, where=where)
        amount = c.integer(item, "Gia", range(0, 10**15), where=where)
        paid_at = c.moment(item, "NgayThanhToan", where=where)
        fees.append((fee_name, fee_code, amount or 0, FEE_STAGES.get(stage or 1, "at_receipt"), paid_at))
    results: list[tuple[Any, ...]] = []
    for i, item in enumerate(c.items(data, "DanhSachGiayToKetQua"), 1):
        where = f" (DanhSachGiayToKetQua #{i})"
        res_name = c.text(item, "TenGiayTo", 300, required=True, where=where)
        res_code = c.text(item, "MaGiayToKetQua", 100, where=where)
        res_url = c.text(item, "DuongDanTepTinKetQua", 500, where=where)
        part = c.text(item, "MaThanhPhanHoSo", 40, where=where)
        pr = procedure.results.get(part) if procedure is not None and part else None
        results.append((pr, res_name, res_code, res_url, ended if status in (9, 10) else None))
    supplements: list[tuple[Any, ...]] = []
    paused_total = 0
    open_supplement: datetime | None = None
    original_due = due
    for i, item in enumerate(c.items(data, "DanhSachHoSoBoSung"), 1):
        where = f" (DanhSachHoSoBoSung #{i})"
        asked = c.moment(item, "NgayBoSung", required=True, where=where)
        answered = c.moment(item, "NgayTiepNhanBoSung", where=where)
        before = c.moment(item, "NgayHenTraTruoc", where=where)
        after = c.moment(item, "NgayHenTraMoi", where=where)
        reason = c.text(item, "NoiDungBoSung", 4000, where=where, default="Bổ sung hồ sơ (dữ liệu nhập từ hệ thống cũ)")
        seconds = 0
        if asked is not None:
            if received is not None and asked < received:
                c.fail(f"NgayBoSung{where} trước NgayTiepNhan.")
            if answered is not None:
                if answered < asked:
                    c.fail(f"NgayTiepNhanBoSung{where} trước NgayBoSung.")
                else:
                    seconds = _supplement_pause_seconds(lookups, asked, answered)
            else:
                open_supplement = asked
        if i == 1 and before is not None:
            original_due = before
        paused_total += seconds
        supplements.append((asked, answered, before, after, reason, seconds))

    log = c.items(data, "DanhSachTienTrinh")
    events: list[tuple[Any, ...]] = []
    if log:
        entries = []
        for i, item in enumerate(log, 1):
            where = f" (DanhSachTienTrinh #{i})"
            moment = c.moment(item, "ThoiDiemXuLy", required=True, where=where)
            to = c.integer(item, "TrangThai", range(1, 11), where=where)
            entries.append((moment, i, to, c.text(item, "NguoiXuLy", 200, where=where),
                            c.text(item, "NoiDungXuLy", 1000, where=where), c.text(item, "ChucDanh", 200, where=where),
                            c.text(item, "PhongBanXuLy", 200, where=where)))
        if not c.reasons:
            entries.sort(key=lambda e: (e[0], e[1]))
            last = entries[-1][2]
            if status is not None and last != status:
                c.fail(f"Trạng thái cuối trong DanhSachTienTrinh ({last}) khác TrangThaiHoSo ({status}).")
            prev: int | None = None
            for moment, _i, to, who, note, title, dept in entries:
                events.append((event_kind(prev, int(to or 0)), prev, to, who, moment,  # to: checked above
                               _log_payload(note, title, dept)))
                prev = to
    elif not c.reasons and status is not None:
        events = _synthesized_events(status, channel, submitted, received, supplements, ended, refused, returned)

    if c.reasons:
        return c.reasons
    assert procedure is not None and agency_id is not None and unit_id is not None and status is not None

    finished_at = ended if status in (9, 10) else None
    dossier = {
        "code": code, "procedure_id": procedure.id, "agency_id": agency_id, "receiving_agency_id": receiving_id,
        "unit_id": unit_id, "channel": channel, "status": status, "applicant_type": applicant_type,
        "applicant_name": name, "applicant_id_number": id_number, "applicant_phone": phone,
        "applicant_email": email, "applicant_address": address, "summary": summary,
        "submitted_at": submitted or received, "received_at": received, "due_at": due, "original_due_at": original_due,
        "finished_at": finished_at, "returned_at": returned if status == 10 else None,
        "refused_at": (refused or ended) if status == 3 else None,
        "stopped_at": ended if status == 8 else None, "withdrawn_at": ended if status == 7 else None,
        "clock_paused_at": open_supplement if status == 5 else None, "supplement_count": len(supplements),
        "supplement_paused_seconds": paused_total, "vneid_verified": vneid, "paid_online": paid_online,
        "has_digitized": has_digitized, "has_reused": reused, "used_population_data": population,
        "national_synced_at": (synced_at or received or submitted) if synced else None,
        "search_text": _search_text(code, name, procedure.name, summary),
    }
    return Prepared(code, dossier, components, fees, results, supplements, events)


@functools.lru_cache(maxsize=65536)
def _log_payload(note: str, title: str, dept: str) -> str:
    """An imported log entry's event payload, as JSON text (notes, titles and departments repeat a lot)."""
    payload: dict[str, Any] = {"imported": True}
    if note:
        payload["note"] = note
    if title:
        payload["actor_title"] = title
    if dept:
        payload["department"] = dept
    return _json(payload)


_SYNTHESIZED_PAYLOAD = '{"imported":true,"synthesized":true}'


@functools.lru_cache(maxsize=65536)
def _fold_cached(text: str) -> str:
    return fold(text)


def _search_text(code: str, name: str, procedure_name: str, summary: str) -> str:
    """``Dossier.build_search_text`` (fold of code, applicant, procedure, summary), with the repeated parts
    (procedure names, summaries, common names) folded once."""
    parts = [code.lower() if code.isascii() else fold(code), _fold_cached(name), _fold_cached(procedure_name),
             _fold_cached(summary[:200])]
    return " ".join(p for p in parts if p)


def _synthesized_events(status: int, channel: int | None, submitted: datetime | None, received: datetime | None,
                        supplements: list[tuple[Any, ...]], ended: datetime | None, refused: datetime | None,
                        returned: datetime | None) -> list[tuple[Any, ...]]:
    """No process log in the record: the history its timestamps prove, in order."""
    steps: list[tuple[datetime, int, int]] = []  # (moment, order, status)
    if submitted is not None and channel == 2 and (received is None or submitted < received):
        steps.append((submitted, 0, 1))
    if received is not None:
        steps.append((received, 1, 2))
    for asked, answered, *_ in supplements:
        if asked is not None:
            steps.append((asked, 2, 5))
        if answered is not None:
            steps.append((answered, 3, 4))
    if status == 3 and (refused or ended) is not None:
        steps.append((refused or ended, 4, 3))  # type: ignore[arg-type]
    elif status in (7, 8, 9, 10) and ended is not None:
        steps.append((ended, 4, 9 if status == 10 else status))
    if status == 10:
        steps.append((returned or ended, 5, 10))  # type: ignore[arg-type]
    steps.sort(key=lambda s: (s[0], s[1]))
    if steps and steps[-1][2] != status:
        steps.append((steps[-1][0], 9, status))
    events: list[tuple[Any, ...]] = []
    prev: int | None = None
    for moment, _order, to in steps:
        events.append((event_kind(prev, to), prev, to, "", moment, _SYNTHESIZED_PAYLOAD))
        prev = to
    return events


# --- Writing ------------------------------------------------------------------------------------

#: Dossier columns the importer sets; every other column gets its model default (see _dossier_tail).
_DOSSIER_SET = (
    "code", "procedure_id", "agency_id", "receiving_agency_id", "unit_id", "channel", "status", "applicant_type",
    "applicant_name", "applicant_id_number", "applicant_phone", "applicant_email", "applicant_address", "summary",
    "submitted_at", "received_at", "due_at", "original_due_at", "finished_at", "returned_at", "refused_at",
    "stopped_at", "withdrawn_at", "clock_paused_at", "supplement_count", "supplement_paused_seconds",
    "vneid_verified", "paid_online", "has_digitized", "has_reused", "used_population_data", "national_synced_at",
    "search_text",
)
_DOSSIER_VALUES = operator.itemgetter(*_DOSSIER_SET)  # the values in _DOSSIER_SET order, in one C call
_COMPONENT_COLS = ("dossier_id", "procedure_component_id", "name", "file_url", "digitized", "reused",
                   "from_national_store", "added_at", "copy_type", "count")
_FEE_COLS = ("dossier_id", "name", "code", "amount", "stage", "paid_at")
_RESULT_COLS = ("dossier_id", "procedure_result_id", "name", "code", "file_url", "issued_at", "signed")
_SUPPLEMENT_COLS = ("dossier_id", "requested_at", "received_at", "due_before", "due_after", "reason", "paused_seconds",
                    "items")
_EVENT_COLS = ("dossier_id", "seq", "kind", "from_status", "to_status", "actor_label", "occurred_at", "payload")


def _column(model: Any, attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return str(f.column)
    raise LookupError(f"{model.__name__} has no field {attname}")


def _check_covered(model: Any, cols: tuple[str, ...]) -> None:
    """Every NOT NULL column without a default must be written; a new model field fails loudly here."""
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in cols or f.null or f.has_default() or getattr(f, "auto_now", False) \
                or getattr(f, "auto_now_add", False):
            continue
        raise RuntimeError(f"importing.py does not write {model.__name__}.{f.attname} (NOT NULL, no default)")


def _dossier_tail(now: datetime) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The dossier columns the importer does not set, with their model defaults."""
    names: list[str] = []
    values: list[Any] = []
    for f in Dossier._meta.concrete_fields:
        if f.primary_key or f.attname in _DOSSIER_SET:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        else:
            raise RuntimeError(f"importing.py does not write Dossier.{f.attname} (NOT NULL, no default)")
        if isinstance(value, dict | list):
            value = json.dumps(value)
        names.append(f.attname)
        values.append(value)
    return tuple(names), tuple(values)


class _Writer:
    """Bulk rows for one batch: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._oids: dict[str, dict[str, int]] = {}
        for model, cols in ((DossierComponent, _COMPONENT_COLS), (DossierFee, _FEE_COLS),
                            (DossierResult, _RESULT_COLS), (DossierSupplement, _SUPPLEMENT_COLS),
                            (DossierEvent, _EVENT_COLS)):
            _check_covered(model, cols)

    def existing(self, codes: list[str]) -> set[str]:
        table = Dossier._meta.db_table
        found: set[str] = set()
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                cur.execute(f"SELECT code FROM {table} WHERE code = ANY(%s)", [codes])  # noqa: S608
                found.update(r[0] for r in cur.fetchall())
            else:
                for i in range(0, len(codes), 500):
                    part = codes[i:i + 500]
                    marks = ",".join(["%s"] * len(part))
                    cur.execute(f"SELECT code FROM {table} WHERE code IN ({marks})", part)  # noqa: S608
                    found.update(r[0] for r in cur.fetchall())
        return found

    def reserve_ids(self, n: int) -> list[int]:
        table = Dossier._meta.db_table
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)"  # noqa: S608
                cur.execute(sql, [n])
                return [r[0] for r in cur.fetchall()]
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            top = int(cur.fetchone()[0])
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            top = max(top, int(row[0]) if row else 0)
            return list(range(top + 1, top + 1 + n))

    def _pg_types(self, table: str, columns: list[str]) -> list[int]:
        """Column type oids for binary COPY (read once per table from the catalog)."""
        if table not in self._oids:
            with connection.cursor() as cur:
                cur.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                            "AND NOT attisdropped", [table])
                self._oids[table] = {name: int(oid) for name, oid in cur.fetchall()}
        return [self._oids[table][c] for c in columns]

    def write(self, model: Any, attnames: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        cols = ", ".join(connection.ops.quote_name(_column(model, a)) for a in attnames)
        if self.vendor == "postgresql":
            from psycopg.types.json import set_json_dumps

            raw = connection.connection
            assert raw is not None
            types = self._pg_types(table, [_column(model, a) for a in attnames])
            with raw.cursor() as cur:
                # jsonb values arrive as JSON text already (payloads are cached strings): pass them through.
                set_json_dumps(_json_text_passthrough, context=cur)
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(attnames))
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", [  # noqa: S608
                tuple(_sqlite_value(v) for v in row) for row in rows])


def _json_text_passthrough(value: Any) -> str:
    """json dumps for the binary COPY: every jsonb value the importer writes is JSON text already."""
    return value if isinstance(value, str) else _json(value)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_batch(batch: list[Prepared], writer: _Writer, *, now: datetime, tail: tuple[tuple[str, ...], tuple[Any, ...]],
                source: str) -> tuple[list[Prepared], list[int], int]:
    """Insert a batch in the caller's transaction. Returns (records written, their new ids, events)."""
    seen: set[str] = set()
    fresh: list[Prepared] = []
    present = writer.existing([p.code for p in batch])
    for p in batch:
        if p.code in present or p.code in seen:
            continue
        seen.add(p.code)
        fresh.append(p)
    skipped = len(batch) - len(fresh)
    if not fresh:
        return [], [], 0
    ids = writer.reserve_ids(len(fresh))
    tail_names, tail_values = tail
    dossier_rows, comp_rows, fee_rows, res_rows, sup_rows, ev_rows = [], [], [], [], [], []
    dossier_values = _DOSSIER_VALUES
    for pk, p in zip(ids, fresh, strict=True):
        dossier_rows.append((pk, *dossier_values(p.dossier), *tail_values))
        for pc, name, url, digitized, reuse, national, at in p.components:
            comp_rows.append((pk, pc, name, url, digitized, reuse, national, at or now, "original", 1))
        for name, code, amount, stage, paid_at in p.fees:
            fee_rows.append((pk, name, code, amount, stage, paid_at))
        for pr, name, code, url, issued in p.results:
            res_rows.append((pk, pr, name, code, url, issued, False))
        for asked, answered, before, after, reason, seconds in p.supplements:
            sup_rows.append((pk, asked, answered, before, after, reason, seconds, "[]"))
        for seq, (kind, before_status, to, who, moment, payload) in enumerate(p.events, 1):
            ev_rows.append((pk, seq, kind, before_status, to, who, moment, payload))  # payload: JSON text
    writer.write(Dossier, ("id", *_DOSSIER_SET, *tail_names), dossier_rows)
    writer.write(DossierComponent, _COMPONENT_COLS, comp_rows)
    writer.write(DossierFee, _FEE_COLS, fee_rows)
    writer.write(DossierResult, _RESULT_COLS, res_rows)
    writer.write(DossierSupplement, _SUPPLEMENT_COLS, sup_rows)
    writer.write(DossierEvent, _EVENT_COLS, ev_rows)
    if writer.vendor == "postgresql":
        # Run the deferred foreign-key checks now, before audit_record takes the audit chain's head row:
        # that lock is held until COMMIT, and every audited action in the system (and the other import
        # workers) waits for it. Checked here, the lock is held for one INSERT and the COMMIT.
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    from chinhquyenso.audit.services import audit_record

    audit_record(action="dossiers.imported", object_type="dossiers.dossier", object_id=f"{ids[0]}-{ids[-1]}",
                 summary={"source": source, "count": len(fresh), "skipped_existing": skipped,
                          "first_code": fresh[0].code, "last_code": fresh[-1].code})
    return fresh, ids, len(ev_rows)


# --- Checkpoint and progress --------------------------------------------------------------------


def _head_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(1 << 20)).hexdigest()


@dataclass
class Checkpoint:
    """Where a crashed import resumes. Rewritten (atomically) after every committed batch."""

    head_sha256: str
    offset: int = 0
    line: int = 0
    rejected_bytes: int = 0
    imported: int = 0
    skipped_existing: int = 0
    rejected: int = 0
    events: int = 0
    first_received_at: str | None = None
    last_received_at: str | None = None
    dossier_id_min: int | None = None
    dossier_id_max: int | None = None
    pending: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        try:
            return cls(**json.loads(path.read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(f"Tệp điểm khôi phục {path} hỏng ({exc}); xóa nó hoặc dùng --fresh.",
                                   code="import_checkpoint_corrupt") from None

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self)), "utf-8")
        os.replace(tmp, path)

    def fold_pending(self) -> None:
        """The pending batch committed: move the offset past it and add its totals."""
        p = self.pending
        if p is None:
            return
        self.offset, self.line, self.rejected_bytes = p["offset"], p["line"], p["rejected_bytes"]
        for key in ("imported", "skipped_existing", "rejected", "events"):
            setattr(self, key, getattr(self, key) + p[key])
        if p["received"]:
            lo, hi = p["received"]
            self.first_received_at = min(filter(None, [self.first_received_at, lo]))
            self.last_received_at = max(filter(None, [self.last_received_at, hi]))
        if p["ids"]:
            lo_id, hi_id = p["ids"]
            self.dossier_id_min = lo_id if self.dossier_id_min is None else min(self.dossier_id_min, lo_id)
            self.dossier_id_max = hi_id if self.dossier_id_max is None else max(self.dossier_id_max, hi_id)
        self.pending = None

    def settle(self) -> None:
        """After a crash: did the pending batch commit? Its probe (first new id and code) says."""
        p = self.pending
        if p is None:
            return
        committed = True
        if p["probe"]:
            probe_id, probe_code = p["probe"]
            committed = Dossier.objects.filter(pk=probe_id, code=probe_code).exists()
        if committed:
            self.fold_pending()
        else:
            self.pending = None

    def finished(self) -> ImportFinished:
        return ImportFinished(
            count=self.imported,
            first_received_at=parse_moment(self.first_received_at) if self.first_received_at else None,
            last_received_at=parse_moment(self.last_received_at) if self.last_received_at else None,
            dossier_id_min=self.dossier_id_min, dossier_id_max=self.dossier_id_max,
        )


class Progress:
    """A progress bar on stderr (no dependency): percentage of bytes, records, rate; ≤ 4 redraws/s."""

    def __init__(self, total_bytes: int, *, enabled: bool, stream: IO[str] | None = None) -> None:
        self.total = max(1, total_bytes)
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = 0.0

    def update(self, offset: int, imported: int, rejected: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.25:
            return
        self.last = now
        share = min(1.0, offset / self.total)
        filled = int(share * 30)
        rate = imported / max(1e-9, now - self.started)
        self.stream.write(f"\rNhập hồ sơ [{'#' * filled}{'.' * (30 - filled)}] {share * 100:5.1f}% "
                          f"{imported:,} hồ sơ, {rejected:,} bị từ chối, {rate:,.0f} hồ sơ/giây ".replace(",", "."))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# --- The import ---------------------------------------------------------------------------------


def checkpoint_path(path: Path) -> Path:
    return path.with_name(path.name + ".checkpoint.json")


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.jsonl")


def read_agency_map(path: Path) -> dict[str, str]:
    """``old_code,new_code`` per line (a header line is allowed): old system agency codes → ours."""
    mapping: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2 and row[0].strip() and row[0].strip().lower() not in {"old_code", "ma_cu"}:
                mapping[row[0].strip()] = row[1].strip()
    return mapping


def dossiers_import(
    *,
    path: Path,
    fmt: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    agency_map: dict[str, str] | None = None,
    fresh: bool = False,
    progress: bool = False,
    progress_stream: IO[str] | None = None,
    after_batch: Callable[[int], None] | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import a JSON Lines or CSV file of historical dossiers (see the module docstring).

    ``fresh`` ignores (and replaces) an existing checkpoint. ``after_batch(k)`` runs after batch ``k`` has
    committed and before its checkpoint is written: the worst moment for a crash, which tests use.
    ``workers`` > 1 (PostgreSQL) splits the file into that many byte ranges at record boundaries, each
    imported by its own process and connection with its own checkpoint (:func:`_import_parallel`).
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"Không tìm thấy tệp {path}.", code="import_file_missing")
    if batch_size < 1:
        raise ValidationFailed("Kích thước lô phải lớn hơn 0.", code="import_batch_invalid")
    if workers < 1:
        raise ValidationFailed("Số tiến trình nhập phải lớn hơn 0.", code="import_workers_invalid")
    kind = detect_format(path, fmt)
    cp_path, rej_path = checkpoint_path(path), rejected_path(path)
    digest = _head_digest(path)
    plan_path = parts_plan_path(path)
    if fresh:
        _remove_parts(path, plan_path)
    elif plan_path.exists():
        workers = 2  # an interrupted parallel import continues with its recorded plan, whatever --workers says
    elif cp_path.exists():
        workers = 1  # ... and an interrupted single-process import continues as one
    if workers > 1:
        if connection.vendor != "postgresql":
            raise ValidationFailed("Nhập song song (--workers > 1) chỉ dùng với PostgreSQL.",
                                   code="import_workers_vendor")
        return _import_parallel(path=path, kind=kind, digest=digest, workers=workers, batch_size=batch_size,
                                agency_map=agency_map, progress=progress, progress_stream=progress_stream,
                                after_batch=after_batch)
    checkpoint = None if fresh else Checkpoint.load(cp_path)
    if checkpoint is not None and checkpoint.head_sha256 != digest:
        raise ValidationFailed(f"Tệp {path.name} đã thay đổi so với lần nhập dở trước; xóa {cp_path.name} "
                               "hoặc chạy lại với --fresh.", code="import_checkpoint_mismatch")
    resumed = checkpoint is not None
    if checkpoint is not None:
        checkpoint.settle()
    if checkpoint is None:
        checkpoint = Checkpoint(head_sha256=digest)
    report = ImportReport(path=path, format=kind, rejected_path=rej_path, resumed_from_line=checkpoint.line)
    started = time.perf_counter()
    bar = Progress(path.stat().st_size, enabled=progress, stream=progress_stream)
    try:
        _import_range(path, kind, checkpoint, resumed=resumed, cp_path=cp_path, rej_path=rej_path, end=None,
                      batch_size=batch_size, lookups=Lookups(agency_map), report=report, bar=bar,
                      after_batch=after_batch)
        bar.update(path.stat().st_size, checkpoint.imported, checkpoint.rejected, force=True)
    finally:
        bar.close()
    report.seconds = time.perf_counter() - started
    report.finished = checkpoint.finished()
    if report.finished.count:
        with transaction.atomic():
            dispatch(STREAM, report.finished)
    cp_path.unlink(missing_ok=True)
    if not checkpoint.rejected:
        rej_path.unlink(missing_ok=True)
    return report


def _import_range(path: Path, kind: str, checkpoint: Checkpoint, *, resumed: bool, cp_path: Path, rej_path: Path,
                  end: int | None, batch_size: int, lookups: Lookups, report: ImportReport, bar: Progress,
                  after_batch: Callable[[int], None] | None) -> None:
    """Read from the checkpoint's offset to ``end`` (None: the end of the file), one transaction per batch."""
    writer = _Writer()
    if resumed and not rej_path.exists():
        checkpoint.rejected_bytes = 0
    rejected_file = rej_path.open("r+b" if resumed and rej_path.exists() else "wb")
    # The cyclic GC would walk every tuple and datetime of the batch in memory again and again (≈ 15% of the
    # client's CPU). Reference counting frees a batch once it is written; any cycles are collected after
    # each batch (gc.collect(1): the young generations, where everything created since then still is).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        rejected_file.truncate(checkpoint.rejected_bytes)
        rejected_file.seek(checkpoint.rejected_bytes)
        reader = read_csv if kind == "csv" else read_jsonl
        with path.open("rb") as handle:
            batch: list[Prepared] = []
            rejects: list[bytes] = []
            batch_no = 0
            submitted = checkpoint.offset
            last: RawRecord | None = None
            for record in reader(handle, start=checkpoint.offset, first_line=checkpoint.line, end=end):
                last = record
                report.lines += 1
                reasons: list[str]
                if record.data is None:
                    reasons = [record.error]
                else:
                    outcome = prepare(record.data, lookups)
                    if isinstance(outcome, Prepared):
                        batch.append(outcome)
                        reasons = []
                    else:
                        reasons = outcome
                if reasons:
                    rejects.append(_reject_line(record, reasons))
                if len(batch) + len(rejects) >= batch_size:
                    batch_no += 1
                    _commit(batch, rejects, record, batch_no, writer, checkpoint, cp_path, rejected_file, report,
                            after_batch, str(path.name))
                    submitted = record.end_offset
                    batch, rejects = [], []
                    bar.update(record.end_offset, checkpoint.imported, checkpoint.rejected)
                    gc.collect(1)
            if last is not None and (batch or rejects or last.end_offset > submitted):
                batch_no += 1
                _commit(batch, rejects, last, batch_no, writer, checkpoint, cp_path, rejected_file, report,
                        after_batch, str(path.name))
    finally:
        if gc_was_enabled:
            gc.enable()
        rejected_file.close()


# --- Parallel import (--workers N, PostgreSQL) ---------------------------------------------------


def parts_plan_path(path: Path) -> Path:
    return path.with_name(path.name + ".checkpoint.parts.json")


def _part_paths(path: Path, k: int) -> tuple[Path, Path]:
    return (path.with_name(f"{path.name}.checkpoint.part{k}.json"),
            path.with_name(f"{path.name}.rejected.part{k}.jsonl"))


def _remove_parts(path: Path, plan_path: Path) -> None:
    if not plan_path.exists():
        return
    count = len(json.loads(plan_path.read_text("utf-8")).get("parts", []))
    for k in range(count):
        for part in _part_paths(path, k):
            part.unlink(missing_ok=True)
    plan_path.unlink()


def split_points(path: Path, kind: str, parts: int) -> list[tuple[int, int, int]]:
    """``parts`` byte ranges ``(start, end, line before start)`` of about equal size that begin and end on
    record boundaries (CSV: a newline outside quotes; the header is not in any range)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        start = _csv_header(handle)[1] if kind == "csv" else 0
        handle.seek(start)
        targets = [start + (size - start) * k // parts for k in range(1, parts)]
        bounds = [(start, 0)]
        offset, line, quotes = start, 0, 0
        for chunk in handle:
            if not targets:
                break
            offset += len(chunk)
            if kind == "csv":
                quotes += chunk.count(b'"')
                if quotes % 2:
                    continue
            line += 1
            if offset >= targets[0]:
                bounds.append((offset, line))
                while targets and offset >= targets[0]:
                    targets.pop(0)
    bounds.append((size, -1))
    ranges = [(s, e, first) for (s, first), (e, _l) in itertools.pairwise(bounds) if e > s]
    return ranges or [(start, size, 0)]


def _run_part(path: Path, kind: str, part: tuple[int, int, int], k: int, digest: str, batch_size: int,
              lookups: Lookups, after_batch: Callable[[int], None] | None) -> None:
    """One worker process: its own connection, checkpoint and rejects file."""
    connection.close()  # never share the parent's socket
    try:
        cp_path, rej_path = _part_paths(path, k)
        checkpoint = Checkpoint.load(cp_path)  # settled by the parent before the start
        resumed = checkpoint is not None
        if checkpoint is None:
            checkpoint = Checkpoint(head_sha256=digest, offset=part[0], line=part[2])
        report = ImportReport(path=path, format=kind)
        _import_range(path, kind, checkpoint, resumed=resumed, cp_path=cp_path, rej_path=rej_path, end=part[1],
                      batch_size=batch_size, lookups=lookups, report=report, bar=Progress(1, enabled=False),
                      after_batch=after_batch)
        checkpoint.save(cp_path)  # also for an empty range: the parent reads every part's totals here
    finally:
        connection.close()


def _import_parallel(*, path: Path, kind: str, digest: str, workers: int, batch_size: int,
                     agency_map: dict[str, str] | None, progress: bool, progress_stream: IO[str] | None,
                     after_batch: Callable[[int], None] | None) -> ImportReport:
    """Split the file, import the parts in ``workers`` processes, then sum their checkpoints.

    Restart: the plan (``FILE.checkpoint.parts.json``: the ranges) is written before any worker starts and
    every part keeps the single-process checkpoint protocol in ``FILE.checkpoint.partK.json``, so a crash of
    any worker (or of all) resumes each part where it stopped; the rejected records of a part go to
    ``FILE.rejected.partK.jsonl`` and are concatenated, in file order, into ``FILE.rejected.jsonl`` at the end.
    The workers' batches write at the same time; a code that appears in two parts is imported once, as in
    one process: the second insert waits for the first worker's transaction and, when that commits, the
    second batch is rolled back and written again without it (:func:`_commit`)."""
    import multiprocessing

    if connection.in_atomic_block:
        raise ValidationFailed("Nhập song song không chạy được bên trong một giao dịch đang mở (mỗi tiến trình có "
                               "kết nối riêng).", code="import_workers_in_transaction")
    plan_path = parts_plan_path(path)
    cp_path, rej_path = checkpoint_path(path), rejected_path(path)
    if plan_path.exists():
        plan = json.loads(plan_path.read_text("utf-8"))
        if plan.get("head_sha256") != digest:
            raise ValidationFailed(f"Tệp {path.name} đã thay đổi so với lần nhập dở trước; xóa {plan_path.name} "
                                   "hoặc chạy lại với --fresh.", code="import_checkpoint_mismatch")
        parts = [tuple(p) for p in plan["parts"]]
    else:
        parts = split_points(path, kind, workers)
        tmp = plan_path.with_name(plan_path.name + ".tmp")
        tmp.write_text(json.dumps({"head_sha256": digest, "parts": parts}), "utf-8")
        os.replace(tmp, plan_path)
    before = Checkpoint(head_sha256=digest)
    for k in range(len(parts)):
        found = Checkpoint.load(_part_paths(path, k)[0])
        if found is not None:
            found.settle()  # did its last batch commit? (the worker then starts from a clean checkpoint)
            found.save(_part_paths(path, k)[0])
            _add_totals(before, found)
    report = ImportReport(path=path, format=kind, rejected_path=rej_path)
    lookups = Lookups(agency_map)  # read once, shared by the forked workers (copy-on-write)
    started = time.perf_counter()
    bar = Progress(path.stat().st_size, enabled=progress, stream=progress_stream)
    context = multiprocessing.get_context("fork")
    connection.close()
    procs = [context.Process(target=_run_part, name=f"import-part-{k}",
                             args=(path, kind, part, k, digest, batch_size, lookups, after_batch))
             for k, part in enumerate(parts)]
    try:
        for proc in procs:
            proc.start()
        while alive := [proc for proc in procs if proc.is_alive()]:
            alive[0].join(0.25)
            if progress:
                now = _sum_parts(path, parts, digest)
                bar.update(sum(max(0, now_k - s) for now_k, (s, _e, _l) in zip(now[1], parts, strict=True)),
                           now[0].imported, now[0].rejected)
    finally:
        for proc in procs:
            proc.join()
        bar.close()
    failed = [k for k, proc in enumerate(procs) if proc.exitcode != 0]
    if failed:
        raise ValidationFailed(f"Tiến trình nhập phần {', '.join(map(str, failed))} dừng lỗi; các lô đã ghi được giữ "
                               "lại, chạy lại lệnh để nhập tiếp từ điểm khôi phục.", code="import_worker_failed")
    total = _sum_parts(path, parts, digest)[0]
    report.seconds = time.perf_counter() - started
    report.imported = total.imported - before.imported
    report.skipped_existing = total.skipped_existing - before.skipped_existing
    report.rejected = total.rejected - before.rejected
    report.events = total.events - before.events
    report.lines = sum(max(0, p.line - first) for p, (_s, _e, first) in
                       zip(_part_checkpoints(path, parts), parts, strict=True))
    with rej_path.open("wb") as merged:
        for k in range(len(parts)):
            part_rej = _part_paths(path, k)[1]
            if part_rej.exists():
                with part_rej.open("rb") as chunk:
                    while block := chunk.read(1 << 20):
                        merged.write(block)
    report.finished = total.finished()
    if report.finished.count:
        with transaction.atomic():
            dispatch(STREAM, report.finished)
    _remove_parts(path, plan_path)
    cp_path.unlink(missing_ok=True)
    if not total.rejected:
        rej_path.unlink(missing_ok=True)
    return report


def _part_checkpoints(path: Path, parts: list[Any]) -> list[Checkpoint]:
    found = []
    for k, (start, _end, first) in enumerate(parts):
        try:
            cp = Checkpoint.load(_part_paths(path, k)[0])
        except ValidationFailed:  # being replaced right now (os.replace is atomic, but be safe)
            cp = None
        found.append(cp or Checkpoint(head_sha256="", offset=start, line=first))
    return found


def _sum_parts(path: Path, parts: list[Any], digest: str) -> tuple[Checkpoint, list[int]]:
    total = Checkpoint(head_sha256=digest)
    offsets = []
    for cp in _part_checkpoints(path, parts):
        _add_totals(total, cp)
        offsets.append(cp.offset)
    return total, offsets


def _add_totals(total: Checkpoint, part: Checkpoint) -> None:
    """Fold a part's committed totals (not its pending batch) into ``total``."""
    for key in ("imported", "skipped_existing", "rejected", "events"):
        setattr(total, key, getattr(total, key) + getattr(part, key))
    for key, pick in (("first_received_at", min), ("last_received_at", max)):
        values = [v for v in (getattr(total, key), getattr(part, key)) if v]
        setattr(total, key, pick(values) if values else None)
    for key, pick_id in (("dossier_id_min", min), ("dossier_id_max", max)):
        ids = [v for v in (getattr(total, key), getattr(part, key)) if v is not None]
        setattr(total, key, pick_id(ids) if ids else None)


def _reject_line(record: RawRecord, reasons: list[str]) -> bytes:
    entry: dict[str, Any] = {"dong": record.line, "ly_do": reasons}
    if record.data is not None:
        entry["MaHoSo"] = record.data.get("MaHoSo")
        entry["ban_ghi"] = record.data
    else:
        entry["noi_dung"] = record.raw[:100_000]
    return (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def _write_and_mark(batch: list[Prepared], rejects: list[bytes], record: RawRecord, writer: _Writer,
                    checkpoint: Checkpoint, cp_path: Path, rejected_file: IO[bytes],
                    source: str) -> tuple[list[Prepared], list[int], int]:
    """The batch's transaction: its rows, its rejects and the pending checkpoint, then COMMIT."""
    now = dj_timezone.now()
    with transaction.atomic():
        fresh, ids, events = write_batch(batch, writer, now=now, tail=_dossier_tail(now), source=source)
        rejected_file.seek(checkpoint.rejected_bytes)
        rejected_file.truncate()
        for line in rejects:
            rejected_file.write(line)
        rejected_file.flush()
        os.fsync(rejected_file.fileno())
        received = [p.dossier["received_at"] or p.dossier["submitted_at"] for p in fresh]
        received = [r for r in received if r is not None]
        checkpoint.pending = {
            "offset": record.end_offset, "line": record.line, "rejected_bytes": rejected_file.tell(),
            "imported": len(ids), "skipped_existing": len(batch) - len(fresh), "rejected": len(rejects),
            "events": events, "ids": [ids[0], ids[-1]] if ids else None,
            "probe": [ids[0], fresh[0].code] if ids else None,
            "received": [format_moment(min(received)), format_moment(max(received))] if received else None,
        }
        checkpoint.save(cp_path)
    return fresh, ids, events


def _lost_race(exc: BaseException) -> bool:
    """Did this batch collide with a concurrent import, rather than fail on its own data?

    ``exc`` is psycopg's own error (the COPY runs on the raw connection) or Django's wrapper of it."""
    error = exc if hasattr(exc, "sqlstate") else exc.__cause__
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate == "40P01":  # deadlock_detected: two batches each waiting for a code the other inserted
        return True
    diag = getattr(error, "diag", None)
    return sqlstate == "23505" and getattr(diag, "constraint_name", None) == _CODE_UNIQUE


def _commit(batch: list[Prepared], rejects: list[bytes], record: RawRecord, batch_no: int, writer: _Writer,
            checkpoint: Checkpoint, cp_path: Path, rejected_file: IO[bytes], report: ImportReport,
            after_batch: Callable[[int], None] | None, source: str) -> None:
    """One batch in one transaction. Just before COMMIT the checkpoint records the batch as *pending*
    (with a probe: its first new code and id); after COMMIT the pending batch is folded in. A crash in
    between is resolved on restart by looking the probe up (:meth:`Checkpoint.settle`).

    No lock is held across batches: a batch that collides with a concurrent import on a code (PostgreSQL
    makes the second insert wait for the first transaction, then fails it) is rolled back as a whole and
    written again, skipping what is in the database by then."""
    for attempt in itertools.count(1):
        try:
            fresh, ids, events = _write_and_mark(batch, rejects, record, writer, checkpoint, cp_path, rejected_file,
                                                 source)
            break
        except Exception as exc:
            if attempt >= _RACE_RETRIES or not _lost_race(exc):
                raise
            checkpoint.pending = None  # rolled back; the next attempt writes it again
            logger.info("import batch %s of %s collided with a concurrent import (%s); writing it again",
                        batch_no, source, getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", "?"))
    report.imported += len(ids)
    report.skipped_existing += len(batch) - len(fresh)
    report.rejected += len(rejects)
    report.events += events
    report.batches += 1
    if after_batch is not None:
        after_batch(batch_no)
    checkpoint.fold_pending()
    checkpoint.save(cp_path)

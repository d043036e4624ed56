"""Import satisfaction ratings of dossiers and petitions (PAKN) (``chinhquyenso import-feedback FILE``).

The file is JSON Lines, one record per line, as ``chinhquyenso generate`` writes it next to the dossiers
(``year.feedback.jsonl``; format in ``docs/import.md``):

* ``{"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo", "HaiLong": 0|1, "NgayDanhGia", "YKien"?}`` → one
  :class:`~chinhquyenso.citizens.models.DossierRating` (the dossier's owner, if any, as the citizen; the
  dossier's handling agency);
* ``{"LoaiBanGhi": "PAKN", "MaPAKN", "DonViXuLy", "ChuDe", "NgayTiepNhan", …}`` → one
  :class:`~chinhquyenso.feedback.models.Petition` with every field the 766 rules read (clock start, due
  dates from the rule set in force on the receipt day, reply / refusal / first information request /
  publication times, the submitter's like or dislike, "raised again", the earlier petition of a follow-up,
  the dossier it is about) and its history as :class:`~chinhquyenso.feedback.models.PetitionEvent` rows
  marked ``{"imported": true}``.

Lives in ``citizens`` (the top app): ratings are its own rows, petitions belong to ``feedback`` below it.
No per-record service runs: each batch is validated in full, then written with ``bulk_create`` in ONE
transaction together with one audit row and the roll-up refresh of the dossiers it rated or petitioned
(766 indicator 5.4 counts a dislike or a petition about a dossier). Petitions have no roll-up: the 5.x
indicators read them at scorecard time (``feedback/indicators.py``).

Restart without duplicates: the natural keys are the checkpoint. A petition whose ``MaPAKN`` already exists
and a rating of a dossier that already has one are skipped (counted, not rejected), so a crashed or
repeated import is simply run again. Rejected records go to ``FILE.rejected.jsonl`` with their reasons
(rewritten by each run; removed when nothing is rejected).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Max

from chinhquyenso.audit.services import audit_record
from chinhquyenso.citizens.models import DossierRating
from chinhquyenso.citizens.services import MAX_COMMENT, RATABLE_STATUSES
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.core.text import mask_id_numbers_in, nfc
from chinhquyenso.dossiers.importing import RawRecord, format_moment, parse_moment, read_jsonl
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.feedback import rules
from chinhquyenso.feedback.models import (
    FeedbackRuleSet,
    Petition,
    PetitionCodeCounter,
    PetitionEvent,
    PetitionStatus,
    Topic,
)
from chinhquyenso.feedback.selectors import rule_set_in_force
from chinhquyenso.feedback.services import MAX_CONTENT, MAX_TITLE
from chinhquyenso.indicators.rollups import rollup_refresh
from chinhquyenso.procedures.models import Procedure
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays import calendar

DEFAULT_BATCH = 2000
RATING_KIND = "DanhGiaHoSo"
PETITION_KIND = "PAKN"
#: ChuDe / PhanLoai: 1 quy định hành chính, TTHC; 2 hành vi CBCCVC; 3 khác (the model's codes are accepted too).
TOPICS: dict[Any, str] = {1: Topic.REGULATION, 2: Topic.STAFF_CONDUCT, 3: Topic.OTHER,
                          **{str(k): v for k, v in {1: Topic.REGULATION, 2: Topic.STAFF_CONDUCT,
                                                    3: Topic.OTHER}.items()},
                          **{t.value: t for t in Topic}}
_LIVE_CODE = re.compile(r"^PAKN-(\d{2})(\d{2})(\d{2})-(\d{1,9})$")
_PG_LOCK_KEY = 766_0009  # pg_advisory_xact_lock: two feedback imports take turns batch by batch
SUBMITTER_LABEL = "Người phản ánh"
OFFICER_LABEL = "Cơ quan xử lý"
_OPEN_WAITING = (PetitionStatus.RECEIVED, PetitionStatus.TRANSFERRED)


@dataclass
class FeedbackImportReport:
    path: Path
    lines: int = 0
    ratings: int = 0
    petitions: int = 0
    events: int = 0
    skipped_existing: int = 0
    rejected: int = 0
    batches: int = 0
    dossiers_refreshed: int = 0
    seconds: float = 0.0
    rejected_path: Path | None = None

    def summary_vi(self) -> str:
        def n(value: int) -> str:
            return f"{value:,}".replace(",", ".")

        text = (f"Đã nhập {n(self.ratings)} đánh giá hồ sơ và {n(self.petitions)} phản ánh, kiến nghị "
                f"({n(self.events)} sự kiện) trong {self.seconds:.1f} giây; bỏ qua {n(self.skipped_existing)} "
                f"bản ghi đã có; từ chối {n(self.rejected)} bản ghi; cập nhật số liệu chỉ số của "
                f"{n(self.dossiers_refreshed)} hồ sơ")
        if self.rejected and self.rejected_path is not None:
            text += f" (lý do trong {self.rejected_path})"
        return text + "."


# --- parsed records --------------------------------------------------------------------------------


@dataclass
class _Rating:
    record: RawRecord
    dossier_code: str
    satisfied: bool
    rated_at: datetime
    comment: str


@dataclass
class _Event:
    at: datetime
    order: int  # logical order for equal times
    kind: str
    submitter: bool
    payload: dict[str, Any]


@dataclass
class _Petition:
    record: RawRecord
    code: str
    agency: Agency
    rule_set: FeedbackRuleSet
    fields: dict[str, Any]
    events: list[_Event]
    dossier_code: str = ""
    procedure_id: int | None = None
    original_code: str = ""
    row: Petition | None = None


@dataclass
class _Problems:
    reasons: list[str] = field(default_factory=list)

    def add(self, reason: str) -> None:
        self.reasons.append(reason)


# --- look-ups (read once per run) ------------------------------------------------------------------


class _Lookups:
    def __init__(self) -> None:
        self._agencies: dict[str, Agency] | None = None
        self._by_portal: dict[str, list[Agency]] = {}
        self._procedures: dict[str, int | None] = {}
        self._rule_sets: dict[date, FeedbackRuleSet | str] = {}
        self._calendars: dict[int, calendar.WorkingCalendar] = {}

    def agency(self, code: str, day: date) -> Agency | None:
        if self._agencies is None:
            self._agencies = {}
            for a in Agency.objects.order_by("code"):
                self._agencies[a.code] = a
                self._by_portal.setdefault(a.portal_code, []).append(a)
        found = self._agencies.get(code)
        if found is not None:
            return found
        candidates = self._by_portal.get(code, [])
        in_force = [a for a in candidates if a.valid_from <= day and (a.valid_to is None or day <= a.valid_to)]
        pool = in_force or candidates
        return max(pool, key=lambda a: a.valid_from) if pool else None

    def procedure(self, code: str) -> int | None:
        if code not in self._procedures:
            self._procedures[code] = Procedure.objects.filter(code=code).values_list("pk", flat=True).first()
        return self._procedures[code]

    def rule_set(self, day: date) -> FeedbackRuleSet | str:
        """The rule set in force on ``day`` (feedback.selectors.rule_set_in_force), or why there is none."""
        if day not in self._rule_sets:
            try:
                self._rule_sets[day] = rule_set_in_force(day)
            except ValidationFailed as exc:
                self._rule_sets[day] = str(exc)
        return self._rule_sets[day]

    def calendar(self, year: int) -> calendar.WorkingCalendar:
        if year not in self._calendars:
            self._calendars[year] = calendar.get_calendar(years=(year - 1, year + 2))
        return self._calendars[year]


# --- validation ------------------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str, p: _Problems, *, max_length: int, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        p.add(f"{key} phải là chuỗi ký tự.")
        return ""
    cleaned = nfc(str(value).strip())
    if required and not cleaned:
        p.add(f"Thiếu {key}.")
    if len(cleaned) > max_length:
        p.add(f"{key} quá dài (tối đa {max_length} ký tự).")
    return cleaned[:max_length]


def _moment(data: dict[str, Any], key: str, p: _Problems, *, required: bool = False) -> datetime | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            p.add(f"Thiếu {key}.")
        return None
    try:
        return parse_moment(value)
    except (ValueError, TypeError):
        p.add(f"{key} «{value}» không phải thời điểm hợp lệ (yyyyMMddHHmmss).")
        return None


def _flag(data: dict[str, Any], key: str, p: _Problems, *, required: bool = False) -> bool | None:
    value = data.get(key)
    if value in (None, ""):
        if required:
            p.add(f"Thiếu {key} (1 hài lòng, 0 không hài lòng).")
        return None
    if value in (1, True, "1", "true", "True"):
        return True
    if value in (0, False, "0", "false", "False"):
        return False
    p.add(f"{key} «{value}» phải là 0 hoặc 1.")
    return None


def _topic(data: dict[str, Any], key: str, p: _Problems, *, required: bool) -> str:
    value = data.get(key)
    if value in (None, ""):
        if required:
            p.add(f"Thiếu {key} (1 quy định, TTHC; 2 hành vi CBCCVC; 3 khác).")
        return ""
    topic = TOPICS.get(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if topic is None:
        p.add(f"{key} «{value}» phải là 1 (quy định, TTHC), 2 (hành vi CBCCVC) hoặc 3 (khác).")
        return ""
    return str(topic)


def _vn(moment: datetime) -> str:
    return format_moment(moment) or ""


def _code(data: dict[str, Any], key: str, p: _Problems, *, max_length: int, required: bool) -> str:
    value = data.get(key)
    if value in (None, ""):
        if required:
            p.add(f"Thiếu {key}.")
        return ""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text or len(text) > max_length or any(ch.isspace() for ch in text):
        p.add(f"{key} «{value}» không hợp lệ (tối đa {max_length} ký tự, không có khoảng trắng).")
        return ""
    return text


def parse_rating(record: RawRecord) -> _Rating | list[str]:
    data = record.data or {}
    p = _Problems()
    code = _code(data, "MaHoSo", p, max_length=60, required=True)
    satisfied = _flag(data, "HaiLong", p, required=True)
    rated_at = _moment(data, "NgayDanhGia", p, required=True)
    comment = _text(data, "YKien", p, max_length=MAX_COMMENT)
    if p.reasons or satisfied is None or rated_at is None:
        return p.reasons
    return _Rating(record, code, satisfied, rated_at, comment)


def parse_petition(record: RawRecord, lookups: _Lookups) -> _Petition | list[str]:
    """Everything that can be checked without the batch's database look-ups (dossiers, earlier petitions)."""
    data = record.data or {}
    p = _Problems()
    code = _code(data, "MaPAKN", p, max_length=40, required=True)
    original_code = _code(data, "MaPAKNGoc", p, max_length=40, required=False)
    if original_code and original_code == code:
        p.add("MaPAKNGoc không được trùng MaPAKN.")
    received = _moment(data, "NgayTiepNhan", p, required=True)
    topic = _topic(data, "ChuDe", p, required=True)
    classification = _topic(data, "PhanLoai", p, required=False)
    classified_at = _moment(data, "NgayPhanLoai", p)
    content = _text(data, "NoiDung", p, max_length=MAX_CONTENT, required=True)
    title = _text(data, "TieuDe", p, max_length=MAX_TITLE) or content[:MAX_TITLE]
    name = _text(data, "HoTenNguoiPhanAnh", p, max_length=200, required=True)
    phone = _text(data, "SoDienThoai", p, max_length=20)
    email = _text(data, "Email", p, max_length=254)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            p.add(f"Email «{email}» không hợp lệ.")
    address = _text(data, "DiaChi", p, max_length=500)
    asked = _moment(data, "NgayYeuCauBoSung", p)
    ask_message = _text(data, "NoiDungYeuCauBoSung", p, max_length=2000)
    supplied = _moment(data, "NgayBoSungThongTin", p)
    refused = _moment(data, "NgayTuChoi", p)
    refusal_reason = _text(data, "LyDoTuChoi", p, max_length=4000)
    answered = _moment(data, "NgayTraLoi", p)
    answer = _text(data, "NoiDungTraLoi", p, max_length=MAX_CONTENT)
    publish = _flag(data, "CongKhai", p)
    published = _moment(data, "NgayCongKhai", p)
    liked = _flag(data, "DanhGiaTraLoi", p)
    rated = _moment(data, "NgayDanhGiaTraLoi", p)
    raised = _moment(data, "NgayPhanAnhLai", p)
    dossier_code = _code(data, "MaHoSo", p, max_length=60, required=False)
    procedure_code = _code(data, "MaTTHC", p, max_length=40, required=False)
    agency_code = _code(data, "DonViXuLy", p, max_length=40, required=True)
    if received is None:
        return p.reasons
    day = received.astimezone(calendar.TIMEZONE).date()
    agency = lookups.agency(agency_code, day) if agency_code else None
    if agency_code and agency is None:
        p.add(f"Không có cơ quan mã «{agency_code}» (DonViXuLy).")
    procedure_id = lookups.procedure(procedure_code) if procedure_code else None
    if procedure_code and procedure_id is None:
        p.add(f"Mã TTHC «{procedure_code}» không có trong danh mục thủ tục hành chính.")
    rule_set = lookups.rule_set(day)
    if isinstance(rule_set, str):
        p.add(rule_set)

    def not_before(later: datetime | None, later_key: str, earlier: datetime | None, earlier_key: str) -> None:
        if later is not None and earlier is not None and later < earlier:
            p.add(f"{later_key} ({_vn(later)}) trước {earlier_key} ({_vn(earlier)}).")

    for key, moment in (("NgayPhanLoai", classified_at), ("NgayYeuCauBoSung", asked), ("NgayTuChoi", refused),
                        ("NgayTraLoi", answered)):
        not_before(moment, key, received, "NgayTiepNhan")
    if classified_at is not None and not classification:
        p.add("Có NgayPhanLoai thì phải có PhanLoai.")
    if refused is not None and answered is not None:
        p.add("Một PAKN không thể vừa bị từ chối (NgayTuChoi) vừa được trả lời (NgayTraLoi).")
    closed = refused or answered
    closed_key = "NgayTuChoi" if refused is not None else "NgayTraLoi"
    not_before(closed, closed_key, classified_at, "NgayPhanLoai")
    not_before(closed, closed_key, asked, "NgayYeuCauBoSung")
    if supplied is not None and asked is None:
        p.add("Có NgayBoSungThongTin thì phải có NgayYeuCauBoSung.")
    not_before(supplied, "NgayBoSungThongTin", asked, "NgayYeuCauBoSung")
    not_before(closed, closed_key, supplied, "NgayBoSungThongTin")
    if published is not None and answered is None:
        p.add("Chỉ công khai (NgayCongKhai) được PAKN đã trả lời.")
    not_before(published, "NgayCongKhai", answered, "NgayTraLoi")
    if (liked is not None or rated is not None) and answered is None:
        p.add("Chỉ đánh giá (DanhGiaTraLoi) được PAKN đã trả lời.")
    if rated is not None and liked is None:
        p.add("Có NgayDanhGiaTraLoi thì phải có DanhGiaTraLoi.")
    not_before(rated, "NgayDanhGiaTraLoi", answered, "NgayTraLoi")
    if raised is not None and closed is None:
        p.add("Chỉ phản ánh lại (NgayPhanAnhLai) được PAKN đã trả lời hoặc bị từ chối.")
    not_before(raised, "NgayPhanAnhLai", closed, closed_key)
    if p.reasons or agency is None or isinstance(rule_set, str):
        return p.reasons

    cal = lookups.calendar(received.year)
    limits = rules.PetitionRules.from_rule_set(rule_set)
    dues = rules.due_dates(received, limits, cal)
    publish_intended = bool(publish) or published is not None
    if answered is not None and liked is not None and rated is None:
        rated = answered
    fields: dict[str, Any] = {
        "topic": topic, "classification": classification, "title": title, "content": content,
        "contact_name": name, "contact_phone": phone, "contact_email": email, "contact_address": address,
        "received_at": received, "clock_started_at": received,
        "first_info_request_at": asked, "info_request_count": int(asked is not None),
        "info_request_message": ask_message if asked is not None else "", "info_supplied_at": supplied,
        "refused_at": refused, "refusal_reason": (refusal_reason or "Từ chối tiếp nhận.") if refused else "",
        "answered_at": answered, "answer": (answer or "Đã trả lời.") if answered else "",
        "publish_intended": publish_intended and answered is not None, "published_at": published,
        "public_question": title if published is not None else "",
        "public_answer": (answer or "Đã trả lời.") if published is not None else "",
        "refuse_due_at": dues.refuse, "info_request_due_at": dues.first_info_request, "reply_due_at": dues.reply,
        "publish_due_at": (rules.publish_due(answered, limits, lookups.calendar(answered.year))
                           if answered is not None and publish_intended else None),
        "raised_again_at": raised,
        "like_count": int(liked is True), "dislike_count": int(liked is False),
    }
    events = [_Event(received, 0, "submitted", True, {"agency": agency.code, "topic": topic,
                                                      "dossier": dossier_code or None,
                                                      "follow_up_of": original_code or None})]
    if classified_at is not None:
        events.append(_Event(classified_at, 1, "classified", False, {"classification": classification}))
    if asked is not None:
        events.append(_Event(asked, 2, "info_requested", False, {"message": ask_message, "count": 1}))
    if supplied is not None:
        events.append(_Event(supplied, 3, "info_supplied", True, {}))
    if refused is not None:
        events.append(_Event(refused, 4, "refused", False, {"reason": fields["refusal_reason"]}))
    if answered is not None:
        events.append(_Event(answered, 4, "answered", False, {"publish": fields["publish_intended"]}))
    if published is not None:
        events.append(_Event(published, 5, "published", False, {}))
    if rated is not None and liked is not None:
        events.append(_Event(rated, 6, "rated", True, {"value": "like" if liked else "dislike"}))
    if raised is not None:
        events.append(_Event(raised, 7, "raised_again", True, {}))
    events.sort(key=lambda e: (e.at, e.order))
    fields["status"] = _replay(events)
    fields["version"] = len(events)
    return _Petition(record=record, code=code, agency=agency, rule_set=rule_set, fields=fields, events=events,
                     dossier_code=dossier_code, procedure_id=procedure_id, original_code=original_code)


_TO_STATUS = {"info_requested": PetitionStatus.INFO_REQUESTED, "info_supplied": PetitionStatus.IN_PROGRESS,
              "refused": PetitionStatus.REFUSED, "answered": PetitionStatus.ANSWERED,
              "published": PetitionStatus.PUBLISHED}


def _replay(events: list[_Event]) -> str:
    """Walk the history as the services would, storing from/to statuses in the payload; return the end status."""
    status = ""
    for e in events:
        before = status
        if e.kind == "submitted":
            status = PetitionStatus.RECEIVED
        elif e.kind == "classified":
            if status in _OPEN_WAITING:
                status = PetitionStatus.IN_PROGRESS
        elif e.kind in _TO_STATUS:
            status = _TO_STATUS[e.kind]
        e.payload["_from"] = before if e.kind not in {"submitted", "rated", "raised_again"} else ""
        e.payload["_to"] = status if status != before else ""
    return status


# --- writing ---------------------------------------------------------------------------------------


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.jsonl")


def _reject_line(record: RawRecord, reasons: list[str]) -> tuple[int, str]:
    entry: dict[str, Any] = {"dong": record.line, "ly_do": reasons}
    if record.data is not None:
        for key in ("MaPAKN", "MaHoSo"):
            if key in record.data:
                entry[key] = record.data[key]
        entry["ban_ghi"] = record.data
    else:
        entry["noi_dung"] = record.raw[:100_000]
    return record.line, json.dumps(entry, ensure_ascii=False, default=str) + "\n"


@dataclass
class _BatchResult:
    ratings: int = 0
    petitions: int = 0
    events: int = 0
    skipped: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, JSON line)
    dossier_ids: set[int] = field(default_factory=set)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def _write_batch(records: list[RawRecord], lookups: _Lookups, source: str) -> _BatchResult:
    """Validate the batch against the database and write it: ONE transaction (with the audit row and
    the roll-up refresh). Records already imported are skipped."""
    out = _BatchResult()
    ratings: list[_Rating] = []
    petitions: list[_Petition] = []
    for record in records:
        if record.data is None:
            out.rejects.append(_reject_line(record, [record.error]))
            continue
        kind = record.data.get("LoaiBanGhi") or (PETITION_KIND if "MaPAKN" in record.data else
                                                 RATING_KIND if "HaiLong" in record.data else None)
        parsed: _Rating | _Petition | list[str]
        if kind == RATING_KIND:
            parsed = parse_rating(record)
        elif kind == PETITION_KIND:
            parsed = parse_petition(record, lookups)
        else:
            parsed = [f"LoaiBanGhi «{record.data.get('LoaiBanGhi')}» phải là {RATING_KIND} hoặc {PETITION_KIND}."]
        if isinstance(parsed, list):
            out.rejects.append(_reject_line(record, parsed))
        elif isinstance(parsed, _Rating):
            ratings.append(parsed)
        else:
            petitions.append(parsed)
    with transaction.atomic():
        _lock()
        dossier_codes = {r.dossier_code for r in ratings} | {p.dossier_code for p in petitions if p.dossier_code}
        dossiers: dict[str, dict[str, Any]] = {
            row["code"]: dict(row) for row in Dossier.objects.filter(code__in=dossier_codes).values(
                "pk", "code", "status", "agency_id", "citizen_id", "procedure_id", "submitted_at", "received_at",
                "finished_at", "returned_at")
        }
        rated = set(DossierRating.objects.filter(dossier_id__in=[d["pk"] for d in dossiers.values()])
                    .values_list("dossier_id", flat=True))
        existing = set(Petition.objects.filter(code__in=[p.code for p in petitions]).values_list("code", flat=True))
        new_ratings = _check_ratings(ratings, dossiers, rated, out)
        new_petitions = _check_petitions(petitions, dossiers, existing, out)
        if new_ratings:
            DossierRating.objects.bulk_create(new_ratings, batch_size=1000)
            out.ratings = len(new_ratings)
            out.dossier_ids |= {r.dossier_id for r in new_ratings}
        if new_petitions:
            _insert_petitions(new_petitions, out)
        if out.ratings or out.petitions:
            audit_record(action="feedback.imported", object_type="feedback.petition", object_id=source[:64],
                         summary={"file": source, "ratings": out.ratings, "petitions": out.petitions,
                                  "events": out.events, "skipped_existing": out.skipped,
                                  "rejected": len(out.rejects)})
        if out.dossier_ids:
            rollup_refresh(dossier_ids=sorted(out.dossier_ids))  # 766 5.4: dislikes and petitions about dossiers
    return out


def _check_ratings(ratings: list[_Rating], dossiers: dict[str, dict[str, Any]], rated: set[int],
                   out: _BatchResult) -> list[DossierRating]:
    rows: list[DossierRating] = []
    for r in ratings:
        d = dossiers.get(r.dossier_code)
        if d is None:
            out.rejects.append(_reject_line(r.record, [
                f"Không có hồ sơ «{r.dossier_code}» (MaHoSo): nhập hồ sơ (import-dossiers) trước."]))
            continue
        if d["pk"] in rated:
            out.skipped += 1  # one rating per dossier: already imported (or rated by its owner)
            continue
        reasons = []
        if d["status"] not in RATABLE_STATUSES:
            reasons.append(f"Hồ sơ «{r.dossier_code}» chưa có kết quả (trạng thái {d['status']}): chỉ đánh giá được "
                           "hồ sơ đã có kết quả (9, 10).")
        end = d["finished_at"] or d["returned_at"]
        if end is not None and r.rated_at < end:
            reasons.append(f"NgayDanhGia ({_vn(r.rated_at)}) trước khi hồ sơ có kết quả ({_vn(end)}).")
        if reasons:
            out.rejects.append(_reject_line(r.record, reasons))
            continue
        rated.add(d["pk"])
        rows.append(DossierRating(dossier_id=d["pk"], citizen_id=d["citizen_id"], agency_id=d["agency_id"],
                                  satisfied=r.satisfied, comment=r.comment, rated_at=r.rated_at))
    return rows


def _check_petitions(petitions: list[_Petition], dossiers: dict[str, dict[str, Any]], existing: set[str],
                     out: _BatchResult) -> list[_Petition]:
    originals_wanted = {p.original_code for p in petitions if p.original_code}
    known: dict[str, Petition | _Petition] = {
        row.code: row for row in Petition.objects.filter(code__in=originals_wanted)
    }
    fresh: list[_Petition] = []
    seen: set[str] = set()
    for p in petitions:
        if p.code in existing or p.code in seen:
            out.skipped += 1
            continue
        reasons = []
        if p.dossier_code:
            d = dossiers.get(p.dossier_code)
            if d is None:
                reasons.append(f"Không có hồ sơ «{p.dossier_code}» (MaHoSo): nhập hồ sơ (import-dossiers) trước.")
            else:
                p.fields["dossier_id"] = d["pk"]
                if p.procedure_id is None:
                    p.procedure_id = d["procedure_id"]
                start = d["submitted_at"] or d["received_at"]
                if start is not None and p.fields["received_at"] < start:
                    reasons.append(f"NgayTiepNhan ({_vn(p.fields['received_at'])}) trước ngày nộp hồ sơ "
                                   f"«{p.dossier_code}» ({_vn(start)}).")
        if p.original_code:
            original = known.get(p.original_code)
            if original is None:
                reasons.append(f"Không có PAKN gốc «{p.original_code}» (MaPAKNGoc): nó phải đứng trước trong tệp "
                               "hoặc đã được nhập.")
            else:
                first = original.fields["received_at"] if isinstance(original, _Petition) else original.received_at
                if p.fields["received_at"] < first:
                    reasons.append(f"PAKN phản ánh lại «{p.code}» nhận trước PAKN gốc «{p.original_code}».")
        if reasons:
            out.rejects.append(_reject_line(p.record, reasons))
            continue
        seen.add(p.code)
        known[p.code] = p
        fresh.append(p)
    # a follow-up whose original is not marked "raised again": mark it, as petition_reopen does
    for p in fresh:
        if p.original_code:
            original = known[p.original_code]
            if isinstance(original, _Petition):
                if original.fields["raised_again_at"] is None:
                    original.fields["raised_again_at"] = p.fields["received_at"]
                    original.fields["version"] += 1
                    original.events.append(_Event(p.fields["received_at"], 7, "raised_again", True,
                                                  {"follow_up": p.code, "_from": "", "_to": ""}))
            elif original.raised_again_at is None:
                _mark_raised_again(original, p, out)
    return fresh


def _mark_raised_again(original: Petition, follow_up: _Petition, out: _BatchResult) -> None:
    moment = follow_up.fields["received_at"]
    Petition.objects.filter(pk=original.pk, raised_again_at__isnull=True).update(
        raised_again_at=moment, version=original.version + 1)
    original.raised_again_at, original.version = moment, original.version + 1
    seq = (PetitionEvent.objects.filter(petition_id=original.pk).aggregate(m=Max("seq"))["m"] or 0) + 1
    PetitionEvent.objects.create(petition_id=original.pk, seq=seq, kind="raised_again", actor_label=SUBMITTER_LABEL,
                                 agency_id=original.agency_id, occurred_at=moment,
                                 payload={"imported": True, "follow_up": follow_up.code})
    out.events += 1
    if original.dossier_id is not None:
        out.dossier_ids.add(original.dossier_id)


def _insert_petitions(petitions: list[_Petition], out: _BatchResult) -> None:
    """Originals before their follow-ups (a follow-up may point at a petition of the same batch)."""
    pending = list(petitions)
    rows_by_code: dict[str, Petition] = {}
    outside = {p.original_code for p in petitions if p.original_code} - {p.code for p in petitions}
    ids = dict(Petition.objects.filter(code__in=outside).values_list("code", "pk"))
    while pending:
        ready = [p for p in pending if not p.original_code or p.original_code in ids]
        if not ready:  # cannot happen: every original was found before the batch or earlier in it
            raise ValidationFailed("Chuỗi PAKN phản ánh lại không hợp lệ.", code="feedback_import_cycle")
        rows = []
        for p in ready:
            row = Petition(code=p.code, agency_id=p.agency.pk, unit_id=p.agency.unit_id, rule_set_id=p.rule_set.pk,
                           procedure_id=p.procedure_id, follow_up_of_id=ids.get(p.original_code), **p.fields)
            row._fill_search_texts()  # what Petition.save does; bulk_create does not call save
            p.row = row
            rows.append(row)
        Petition.objects.bulk_create(rows, batch_size=500)
        for p in ready:
            assert p.row is not None and p.row.pk is not None
            ids[p.code] = p.row.pk
            rows_by_code[p.code] = p.row
        done = {p.code for p in ready}
        pending = [p for p in pending if p.code not in done]
    events: list[PetitionEvent] = []
    for p in petitions:
        row = rows_by_code[p.code]
        for seq, e in enumerate(sorted(p.events, key=lambda e: (e.at, e.order)), 1):
            payload = {k: (mask_id_numbers_in(v) if isinstance(v, str) else v)  # never an ID number in events
                       for k, v in e.payload.items() if not k.startswith("_")}
            events.append(PetitionEvent(
                petition_id=row.pk, seq=seq, kind=e.kind, from_status=e.payload.get("_from", ""),
                to_status=e.payload.get("_to", ""), actor_label=SUBMITTER_LABEL if e.submitter else OFFICER_LABEL,
                agency_id=row.agency_id, occurred_at=e.at, payload={"imported": True, **payload}))
        if row.dossier_id is not None:
            out.dossier_ids.add(row.dossier_id)
    PetitionEvent.objects.bulk_create(events, batch_size=1000)
    _bump_code_counters(rows_by_code)
    out.petitions += len(petitions)
    out.events += len(events)


def _bump_code_counters(codes: Iterable[str]) -> None:
    """Codes in the live pattern (PAKN-yymmdd-NNNN) move that day's counter past them, so a petition
    submitted later on such a day never collides with an imported one."""
    highest: dict[date, int] = {}
    for code in codes:
        m = _LIVE_CODE.match(code)
        if m is None:
            continue
        try:
            day = date(2000 + int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
        highest[day] = max(highest.get(day, 0), int(m[4]))
    if not highest:
        return
    counters = {c.day: c for c in PetitionCodeCounter.objects.select_for_update().filter(day__in=list(highest))}
    PetitionCodeCounter.objects.bulk_create(
        [PetitionCodeCounter(day=d, last=n) for d, n in highest.items() if d not in counters])
    stale = [c for d, c in counters.items() if c.last < highest[d]]
    for c in stale:
        c.last = highest[c.day]
    if stale:
        PetitionCodeCounter.objects.bulk_update(stale, ["last"])


def feedback_import(
    *,
    path: Path,
    batch_size: int = DEFAULT_BATCH,
    after_batch: Callable[[int], None] | None = None,
    progress: IO[str] | None = None,
) -> FeedbackImportReport:
    """Import a feedback file (see the module docstring). ``after_batch(k)`` runs after batch ``k`` has
    committed (tests use it to simulate a crash); ``progress`` receives one line per batch."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"Không tìm thấy tệp {path}.", code="import_file_missing")
    if batch_size < 1:
        raise ValidationFailed("Kích thước lô phải lớn hơn 0.", code="import_batch_invalid")
    rej_path = rejected_path(path)
    report = FeedbackImportReport(path=path, rejected_path=rej_path)
    lookups = _Lookups()
    started = time.perf_counter()
    refreshed: set[int] = set()

    def commit(batch: list[RawRecord]) -> None:
        result = _write_batch(batch, lookups, path.name)
        report.batches += 1
        report.ratings += result.ratings
        report.petitions += result.petitions
        report.events += result.events
        report.skipped_existing += result.skipped
        report.rejected += len(result.rejects)
        refreshed.update(result.dossier_ids)
        for _, line in sorted(result.rejects):  # in file order, whichever check rejected them
            rejects.write(line)
        rejects.flush()
        if progress is not None:
            progress.write(f"Lô {report.batches}: {report.lines:,} dòng, {report.ratings:,} đánh giá, "
                           f"{report.petitions:,} PAKN, {report.rejected:,} bị từ chối\n".replace(",", "."))
        if after_batch is not None:
            after_batch(report.batches)

    with rej_path.open("w", encoding="utf-8") as rejects, path.open("rb") as handle:
        batch: list[RawRecord] = []
        for record in read_jsonl(handle, start=0, first_line=0):
            report.lines += 1
            batch.append(record)
            if len(batch) >= batch_size:
                commit(batch)
                batch = []
        if batch:
            commit(batch)
    report.seconds = time.perf_counter() - started
    report.dossiers_refreshed = len(refreshed)
    if not report.rejected:
        rej_path.unlink(missing_ok=True)
    return report


__all__ = ["DEFAULT_BATCH", "FeedbackImportReport", "feedback_import", "parse_petition", "parse_rating",
           "rejected_path"]

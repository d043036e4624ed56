"""Synthetic province-year generator (``chinhquyenso generate --dossiers N --year Y --seed S --out FILE``).

Writes dossiers in the import format (``docs/import.md``), drawn from what is in the database: the
agencies in force (the current An Giang structure after ``load-units``), the procedure catalog (its
level, time limit, service level, components, fees and results). Everything a 766 scorecard counts is a
rate in :class:`Rates` — channel mix, supplements, late dossiers, online payment, digitization, reuse,
VNeID and population-data use, electronic results, sync — with defaults chosen so the scorecard of the
generated year resembles the province's published one (reference §1.1); ``docs/import.md`` records how
close it gets.

Deterministic for a seed: one ``random.Random(seed)``, catalog and agencies read in code order, dossiers
written in order of receipt.

Satisfaction and feedback: beside the dossiers, :func:`dossiers_generate` writes ``FILE.feedback.jsonl``
(:class:`FeedbackMaker`): the applicants' ratings of finished dossiers and petitions (PAKN) with their
handling, for ``chinhquyenso import-feedback`` (the citizens app, which owns the ratings and may write
petitions; this module only writes a file). It draws from a second random stream derived from the seed,
so the dossier file does not depend on it.
"""

from __future__ import annotations

import csv
import json
import random
from bisect import bisect
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.dossiers.importing import LIST_FIELDS, POPULATION_DB_CODE, VN_TZ, format_moment, parse_moment


@dataclass(frozen=True)
class Rates:
    """Shares (0–1) of the generated dossiers. Defaults: tuned towards An Giang's published 766 scorecard."""

    zipf_exponent: float = 1.1  # procedure popularity: weight of rank r is 1 / r**s
    online_full: float = 0.16  # channel online, for procedures offering full online service
    online_partial: float = 0.08  # … partial online service (direct-only procedures: never)
    postal: float = 0.02
    refused: float = 0.01  # online submissions refused at acceptance
    withdrawn: float = 0.004
    stopped: float = 0.003
    supplement: float = 0.08
    second_supplement: float = 0.01  # of those with a supplement: a second request (766: late)
    late: float = 0.095
    returned: float = 0.9  # finished dossiers whose result was handed over (status 10)
    paid_online_online: float = 0.70  # fee dossiers paid online, when submitted online
    paid_online_direct: float = 0.38
    national_gateway: float = 0.3  # of online payments: on the national portal (1) rather than the local one (2)
    digitized_province: float = 0.9387  # seeds: digitization share of dossiers, province level
    digitized_commune: float = 0.30  # … commune level (seeds: 41.41%; lowered to fit MDSH)
    optional_component: float = 0.3
    reuse: float = 0.12  # a reusable component taken from the citizen's store
    national_store: float = 0.05  # a component taken from the national portal's store (DuocLayTuKhoDMQG)
    vneid_online: float = 0.85
    vneid_direct: float = 0.08
    population_db: float = 0.20  # DSKetNoiCSDL = population database, beyond VNeID
    e_result_province: float = 0.75  # finished dossiers with an electronic result file
    e_result_commune: float = 0.37  # (0.40 before the feedback calibration: MDSH 9.35 → 9.13)
    synced: float = 0.995  # acknowledged by the national portal (DaDongBoDVCQG)
    open_at_year_end_cutoff_days: int = 0  # dossiers finishing after 31/12 stay open (status 4 or 5)
    # --- satisfaction and feedback (the .feedback.jsonl file; 766 group MDHL) ---
    rated: float = 0.20  # finished dossiers (status 9, 10) whose applicant rated them (DossierRating)
    dislike_on_time: float = 0.05  # of those ratings: "không hài lòng", dossier finished on time
    dislike_late: float = 0.43  # … dossier finished late
    petition_dossier: float = 0.004  # received dossiers that become the subject of a petition (5.4)
    petition_other: float = 0.006  # petitions not about a dossier, per generated dossier (same agency)
    petition_regulation: float = 0.50  # topic: quy định hành chính, TTHC (5.1)
    petition_staff: float = 0.15  # topic: hành vi CBCCVC (the rest: other)
    petition_classified: float = 0.85  # classified by the officer (PhanLoai)
    petition_refused: float = 0.06  # refused (từ chối tiếp nhận) rather than answered
    petition_info_request: float = 0.12  # a request for more information first
    petition_late: float = 0.53  # reply or refusal after its time limit (5.2)
    petition_publish: float = 0.50  # answers to be published
    petition_publish_late: float = 0.20  # … published after the limit
    petition_rated: float = 0.80  # answered petitions the submitter rated
    petition_dislike: float = 0.66  # … "không hài lòng" (5.3)
    petition_raised_again: float = 0.40  # answered or refused petitions raised again (a follow-up petition)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in {"zipf_exponent", "open_at_year_end_cutoff_days"}:
                continue
            if not 0 <= value <= 1:
                raise ValidationFailed(f"Tỷ lệ {f.name} phải trong [0, 1].", code="generator_rate_invalid")
        if self.petition_regulation + self.petition_staff > 1:
            raise ValidationFailed("petition_regulation + petition_staff phải ≤ 1.", code="generator_rate_invalid")


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô",
            "Hồ", "Dương", "Lâm", "Thạch", "Danh", "Châu", "Lý"]
MIDDLE = ["Văn", "Thị", "Hoàng", "Minh", "Ngọc", "Thanh", "Hữu", "Quốc", "Kim", "Thị Mỹ", "Đức", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long",
         "Mai", "Nam", "Nga", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Trí", "Tú", "Vy", "Yến"]
FILE_BASE = "https://dichvucong.angiang.gov.vn/tep"

CSV_COLUMNS = [
    "MaHoSo", "MaTTHC", "KenhThucHien", "TrangThaiHoSo", "LoaiDoiTuong", "ChuHoSo", "SoGiayToChuHoSo",
    "SoDienThoai", "Email", "DiaChiChuHoSo", "TrichYeuHoSo", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra",
    "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "DonViXuLy", "NoiNopHoSo", "MaDonViHanhChinh",
    "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "DaDongBoDVCQG",
    "NgayDongBoDVCQG", *LIST_FIELDS,
]


@dataclass
class _Proc:
    code: str
    name: str
    level: str
    service_level: str
    amount: float
    unit: str
    result_on_paper: bool
    handlers: list[int]  # indexes into the agency list
    components: list[tuple[str, str, bool, bool]]  # code, name, required, reusable
    results: list[tuple[str, str]]
    fees: list[tuple[str, str, int, int]]  # name, code, amount, HinhThucThu


@dataclass
class _Agency:
    portal_code: str
    unit_code: str
    level: str
    weight: float
    unit_from: date = date(1900, 1, 1)
    unit_to: date | None = None


_FEE_FORM = {"at_receipt": 1, "at_supplement": 2, "at_result": 4}


def _load(year: int, rng: random.Random) -> tuple[list[_Proc], list[_Agency], list[int], list[int]]:
    from chinhquyenso.procedures.models import Procedure, ProcedureStatus
    from chinhquyenso.procedures.selectors import procedure_fees_on
    from chinhquyenso.units.models import Agency, AgencyKind, UnitLevel
    from chinhquyenso.units.selectors import valid_on_q

    day = date(year, 7, 1)
    agencies = list(Agency.objects.filter(valid_on_q(day) | valid_on_q(date.today())).select_related("unit")
                    .order_by("code"))
    if not agencies:
        raise ValidationFailed("Chưa có cơ quan nào: chạy «chinhquyenso load-units» trước.", code="generator_no_units")
    chosen: list[_Agency] = []
    index: dict[int, int] = {}
    communes: list[int] = []
    departments: list[int] = []
    for a in agencies:
        level = a.unit.level
        index[a.pk] = len(chosen)
        # busy and quiet offices: a log-normal spread of workload, drawn in code order
        chosen.append(_Agency(a.portal_code or a.code, a.unit.code, level, rng.lognormvariate(0, 0.6),
                              a.unit.valid_from, a.unit.valid_to))
        if a.kind == AgencyKind.PEOPLES_COMMITTEE and level == UnitLevel.COMMUNE:
            communes.append(index[a.pk])
        elif a.kind == AgencyKind.DEPARTMENT:
            departments.append(index[a.pk])
    if not communes:
        raise ValidationFailed("Chưa có UBND cấp xã nào trong danh mục cơ quan.", code="generator_no_communes")
    procs: list[_Proc] = []
    queryset = (Procedure.objects.exclude(status=ProcedureStatus.DRAFT)
                .prefetch_related("components", "results", "handling_agencies").order_by("code"))
    for p in queryset:
        handlers = sorted(index[a.pk] for a in p.handling_agencies.all() if a.pk in index)
        fees = [(f.name, f.code, int(f.amount), _FEE_FORM.get(str(f.stage), 1))
                for f in procedure_fees_on(p, day, "citizen")]
        procs.append(_Proc(
            code=p.code, name=p.name, level=str(p.level), service_level=str(p.service_level),
            amount=float(p.time_limit_amount or Decimal(0)), unit=str(p.time_limit_unit),
            result_on_paper=bool(p.result_on_paper), handlers=handlers,
            components=[(c.code, c.name, c.required, c.reusable) for c in sorted(p.components.all(),
                                                                               key=lambda c: (c.order, c.pk))],
            results=[(r.code, r.name) for r in sorted(p.results.all(), key=lambda r: r.pk)],
            fees=fees,
        ))
    if not procs:
        raise ValidationFailed("Danh mục thủ tục trống: chạy «chinhquyenso load-procedures-demo» trước.",
                               code="generator_no_procedures")
    return procs, chosen, communes, departments


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, cum: list[float]) -> int:
    return min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)


def generate_records(*, count: int, year: int, seed: int, rates: Rates | None = None) -> Iterator[dict[str, Any]]:
    """Yield ``count`` dossier records of ``year`` in order of receipt (deterministic for ``seed``)."""
    from chinhquyenso.workdays import calendar

    if count < 0:
        raise ValidationFailed("Số hồ sơ phải ≥ 0.", code="generator_count_invalid")
    r = rates or Rates()
    rng = random.Random(seed)
    procs, agencies, communes, departments = _load(year, rng)
    order = list(range(len(procs)))
    rng.shuffle(order)  # popularity rank is not code order
    weights = [0.0] * len(procs)
    for rank, i in enumerate(order, 1):
        weights[i] = 1.0 / rank ** r.zipf_exponent
    proc_cum = _cumulative(weights)
    commune_cum = _cumulative([agencies[i].weight for i in communes])
    dept_cum = _cumulative([agencies[i].weight for i in departments]) if departments else []
    cal = calendar.get_calendar(years=(year - 1, year + 2))  # once: the module functions query per call
    workdays = [d for d in (date(year, 1, 1) + timedelta(days=k) for k in range(366))
                if d.year == year and cal.is_working_day(d)]
    year_end = datetime(year + 1, 1, 1, tzinfo=VN_TZ) + timedelta(days=r.open_at_year_end_cutoff_days)
    counters: dict[tuple[str, date], int] = {}
    for n in range(count):
        p = procs[_pick(rng, proc_cum)]
        if p.level == "province":
            if p.handlers:
                ag = agencies[p.handlers[rng.randrange(len(p.handlers))]]
            elif dept_cum:
                ag = agencies[departments[_pick(rng, dept_cum)]]
            else:
                ag = agencies[communes[_pick(rng, commune_cum)]]
        else:
            ag = agencies[communes[_pick(rng, commune_cum)]]
        day = workdays[n * len(workdays) // count]
        minute = 7 * 60 + 30 + int(rng.random() * 540)
        received = datetime(day.year, day.month, day.day, minute // 60, minute % 60, rng.randrange(60),
                            tzinfo=VN_TZ)
        seq = counters.get((ag.portal_code, day), 0) + 1
        counters[(ag.portal_code, day)] = seq
        yield _record(rng, r, cal, p, ag, received, f"{ag.portal_code}-{day:%y%m%d}-{seq:04d}", year_end, n)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _url(rng: random.Random) -> str:
    return f"{FILE_BASE}/{rng.getrandbits(128):032x}"


def _record(rng: random.Random, r: Rates, calendar: Any, p: _Proc, ag: _Agency, received: datetime, code: str,
            year_end: datetime, n: int) -> dict[str, Any]:
    online_share = {"full_online": r.online_full, "partial_online": r.online_partial}.get(p.service_level, 0.0)
    u = rng.random()
    channel = 2 if u < online_share else (3 if u < online_share + r.postal else 1)
    submitted = received - timedelta(minutes=5 + int(rng.random() * 2880)) if channel == 2 else received
    due: datetime | None = calendar.deadline(received, p.amount, p.unit) if p.amount > 0 else None
    province = ag.level == "province"
    log: list[dict[str, Any]] = []
    if channel == 2:
        log.append(_entry(submitted, 1, "Công dân", "Nộp hồ sơ trực tuyến"))
    applicant = _name(rng)
    rec: dict[str, Any] = {
        "MaHoSo": code, "MaTTHC": p.code, "KenhThucHien": channel, "LoaiDoiTuong": 0, "ChuHoSo": applicant,
        "SoGiayToChuHoSo": f"0{rng.choice(('89', '91'))}{rng.randrange(10**9):09d}",
        "SoDienThoai": f"09{rng.randrange(10**8):08d}", "TrichYeuHoSo": p.name[:200],
        "NgayNopHoSo": format_moment(submitted), "DonViXuLy": ag.portal_code,
    }
    day = received.date()
    if ag.unit_from <= day and (ag.unit_to is None or day < ag.unit_to):
        # only while the unit is in force: a code may belong to another unit before the 2025 reorganization
        rec["MaDonViHanhChinh"] = ag.unit_code
    officer = f"Cán bộ {_name(rng)}"
    outcome = rng.random()
    if channel == 2 and outcome < r.refused:
        refused_at = submitted + timedelta(hours=1 + rng.random() * 30)
        log.append(_entry(refused_at, 3, officer, "Từ chối tiếp nhận: hồ sơ không đúng thẩm quyền"))
        rec.update(TrangThaiHoSo=3, NgayTuChoi=format_moment(refused_at), NgayKetThucXuLy=format_moment(refused_at))
        rec["DanhSachTienTrinh"] = log
        _flags(rng, r, rec, channel, received_ok=False)
        return rec
    log.append(_entry(received, 2, officer, "Tiếp nhận hồ sơ"))
    log.append(_entry(received + timedelta(minutes=10), 4, officer, "Chuyển xử lý"))
    rec["NgayTiepNhan"] = format_moment(received)
    supplements: list[dict[str, Any]] = []
    effective_due = due
    pending_since: datetime | None = None
    if rng.random() < r.supplement:
        span = (due - received) if due is not None else timedelta(days=1)
        asked = received + span * (0.2 + 0.5 * rng.random()) + timedelta(minutes=20)
        rounds = 2 if rng.random() < r.second_supplement else 1
        for k in range(rounds):
            answered = asked + timedelta(hours=4 + rng.random() * 100)
            entry: dict[str, Any] = {"NgayBoSung": format_moment(asked),
                                     "NgayHenTraTruoc": format_moment(effective_due),
                                     "NoiDungBoSung": "Bổ sung bản sao giấy tờ còn thiếu"}
            log.append(_entry(asked, 5, officer, "Yêu cầu bổ sung hồ sơ"))
            if answered >= year_end:
                pending_since = asked
                supplements.append(entry)
                break
            hours = calendar.working_hours_between(asked, answered)
            if effective_due is not None and hours > 0:
                effective_due = calendar.add_working_hours(effective_due, hours)
            entry.update(NgayTiepNhanBoSung=format_moment(answered), NgayHenTraMoi=format_moment(effective_due))
            supplements.append(entry)
            log.append(_entry(answered, 4, officer, "Tiếp nhận hồ sơ bổ sung"))
            asked = answered + timedelta(hours=2 + rng.random() * 20) if k == 0 else asked
    rec["NgayHenTra"] = format_moment(effective_due)
    if supplements:
        rec["DanhSachHoSoBoSung"] = supplements
    last_moment = max(parse_log_moment(e) for e in log)
    base = effective_due if effective_due is not None else received + timedelta(days=3)
    if pending_since is not None:
        status, end = 5, None
    elif rng.random() < r.late:
        end = base + timedelta(hours=2 + rng.random() * 160)
        status = 9
    else:
        end = received + (base - received) * (0.15 + 0.8 * rng.random())
        status = 9
    if end is not None:
        end = max(end, last_moment + timedelta(minutes=5))
        stop = rng.random()
        if stop < r.withdrawn:
            status = 7
        elif stop < r.withdrawn + r.stopped:
            status = 8
        if end >= year_end:
            status, end = 4, None
    if end is not None:
        label = {7: "Công dân rút hồ sơ", 8: "Dừng xử lý", 9: "Hoàn thành xử lý"}[status]
        log.append(_entry(end, status, officer, label))
        rec["NgayKetThucXuLy"] = format_moment(end)
        if status == 9 and rng.random() < r.returned:
            back = end + timedelta(hours=rng.random() * 48)
            if back < year_end:
                status = 10
                rec["NgayTra"] = format_moment(back)
                log.append(_entry(back, 10, officer, "Trả kết quả"))
    rec["TrangThaiHoSo"] = status
    rec["DanhSachTienTrinh"] = log
    _flags(rng, r, rec, channel, received_ok=True)
    # components: required ones, optional ones sometimes; scanned (DuocSoHoa) when the dossier was digitized
    digitized = channel != 2 and rng.random() < (r.digitized_province if province else r.digitized_commune)
    comps = []
    for comp_code, comp_name, required, reusable in p.components:
        if not required and rng.random() >= r.optional_component:
            continue
        reuse = reusable and rng.random() < r.reuse
        national = rng.random() < r.national_store
        has_file = channel == 2 or digitized or reuse or national
        comps.append({"MaThanhPhanHoSo": comp_code, "TenTepDinhKem": comp_name[:500],
                      "DuongDanTaiTepTin": _url(rng) if has_file else "", "DuocSoHoa": int(digitized),
                      "DuocTaiSuDung": int(reuse), "DuocLayTuKhoDMQG": int(national)})
    rec["TaiLieuNop"] = comps
    rec["HoSoCoThanhPhanSoHoa"] = int(any(c["DuocSoHoa"] or c["DuocTaiSuDung"] for c in comps))
    if any(c["DuocLayTuKhoDMQG"] for c in comps) or (rec["TaiKhoanDuocXacThucVoiVNeID"]
                                                    and rng.random() < r.population_db):
        rec["DSKetNoiCSDL"] = [{"MaCSDL": POPULATION_DB_CODE}]
    fees = [f for f in p.fees if f[2] > 0]
    if fees:
        share = r.paid_online_online if channel == 2 else r.paid_online_direct
        paid = rng.random() < share
        rec["DuocThanhToanTrucTuyen"] = (1 if rng.random() < r.national_gateway else 2) if paid else 0
        rec["DanhSachLePhi"] = [{"TenPhiLePhi": name, "MaPhiLePhi": fee_code, "Gia": amount, "HinhThucThu": form,
                                 **({"NgayThanhToan": format_moment(received)} if paid else {})}
                                for name, fee_code, amount, form in fees]
    else:
        rec["DuocThanhToanTrucTuyen"] = 0
    if status in (9, 10):
        e_result = rng.random() < (r.e_result_province if province else r.e_result_commune)
        results = p.results or [("", "Kết quả giải quyết thủ tục hành chính")]
        rec["DanhSachGiayToKetQua"] = [
            {"TenGiayTo": res_name, "MaGiayToKetQua": f"KQ-{n:08d}-{k}", "MaThanhPhanHoSo": res_code,
             "DuongDanTepTinKetQua": _url(rng) if e_result else ""}
            for k, (res_code, res_name) in enumerate(results[:2], 1)
        ]
    return rec


def _flags(rng: random.Random, r: Rates, rec: dict[str, Any], channel: int, *, received_ok: bool) -> None:
    rec["TaiKhoanDuocXacThucVoiVNeID"] = int(rng.random() < (r.vneid_online if channel == 2 else r.vneid_direct))
    synced = rng.random() < r.synced
    rec["DaDongBoDVCQG"] = int(synced)
    start = rec.get("NgayTiepNhan") or rec["NgayNopHoSo"]
    if synced:
        from chinhquyenso.dossiers.importing import parse_moment

        rec["NgayDongBoDVCQG"] = format_moment(parse_moment(start) + timedelta(minutes=1 + int(rng.random() * 30)))


def _entry(moment: datetime, status: int, who: str, note: str) -> dict[str, Any]:
    return {"ThoiDiemXuLy": format_moment(moment), "TrangThai": status, "NguoiXuLy": who, "NoiDungXuLy": note}


def parse_log_moment(entry: dict[str, Any]) -> datetime:
    from chinhquyenso.dossiers.importing import parse_moment

    return parse_moment(entry["ThoiDiemXuLy"])


# --- satisfaction ratings and petitions (PAKN): the feedback file ----------------------------------

#: ``year.jsonl`` → ``year.feedback.jsonl`` (``chinhquyenso import-feedback``, docs/import.md).
FEEDBACK_SUFFIX = ".feedback.jsonl"
RATING_KIND = "DanhGiaHoSo"
PETITION_KIND = "PAKN"
#: ChuDe / PhanLoai: 1 quy định hành chính, TTHC; 2 hành vi của CBCCVC; 3 nội dung khác (766 indicator 5.1).
TOPIC_REGULATION, TOPIC_STAFF, TOPIC_OTHER = 1, 2, 3

_PETITION_TEXTS = {
    TOPIC_REGULATION: [
        ("Thành phần hồ sơ yêu cầu giấy tờ đã có trong CSDL dân cư",
         "Đề nghị không yêu cầu nộp lại bản sao giấy tờ đã có trong Cơ sở dữ liệu quốc gia về dân cư."),
        ("Thời hạn giải quyết thủ tục quá dài",
         "Thủ tục này có thời hạn giải quyết quá dài so với nhu cầu thực tế, đề nghị rút ngắn."),
        ("Hướng dẫn trên cổng dịch vụ công chưa rõ",
         "Hướng dẫn kê khai trên cổng dịch vụ công chưa rõ ràng, khó thực hiện trực tuyến."),
        ("Phí, lệ phí chưa được công khai đầy đủ",
         "Mức thu phí, lệ phí của thủ tục chưa được niêm yết đầy đủ tại bộ phận một cửa."),
    ],
    TOPIC_STAFF: [
        ("Cán bộ tiếp nhận hướng dẫn không đầy đủ",
         "Cán bộ tiếp nhận hướng dẫn không đầy đủ, phải đi lại nhiều lần để bổ sung hồ sơ."),
        ("Thái độ phục vụ chưa đúng mực",
         "Cán bộ tại quầy có thái độ phục vụ chưa đúng mực với người dân."),
        ("Trả kết quả trễ hẹn không thông báo",
         "Hồ sơ bị trễ hẹn nhưng không nhận được thư xin lỗi hay thông báo lý do."),
    ],
    TOPIC_OTHER: [
        ("Kiến nghị bố trí thêm chỗ ngồi chờ", "Đề nghị bố trí thêm ghế ngồi và nước uống tại khu vực chờ."),
        ("Hệ thống xếp hàng tự động bị lỗi", "Máy lấy số thứ tự tại trung tâm phục vụ hành chính công bị lỗi."),
        ("Đề nghị mở thêm giờ làm việc sáng thứ Bảy",
         "Kiến nghị tiếp nhận hồ sơ vào sáng thứ Bảy cho người lao động."),
    ],
}
_ANSWERS = [
    "Cơ quan đã tiếp thu, rà soát và trả lời theo quy định.",
    "Cơ quan đã kiểm tra, chấn chỉnh và xin lỗi người dân.",
    "Nội dung phản ánh đã được chuyển bộ phận chuyên môn xử lý và có kết quả.",
]
_REFUSALS = ["Nội dung không thuộc phạm vi tiếp nhận phản ánh, kiến nghị.", "Nội dung trùng phản ánh đã trả lời."]
_DISLIKE_COMMENTS = ["Giải quyết trễ hẹn.", "Phải đi lại nhiều lần.", "Hướng dẫn chưa rõ ràng.", ""]
_LIKE_COMMENTS = ["Cán bộ nhiệt tình.", "Giải quyết nhanh.", "", "", ""]


def feedback_path(out: Path) -> Path:
    """Default feedback file of a dossier file: ``year.jsonl`` → ``year.feedback.jsonl``."""
    out = Path(out)
    return out.with_name(out.stem + FEEDBACK_SUFFIX)


class FeedbackMaker:
    """Satisfaction ratings and petitions about the generated dossiers, from its own random stream.

    :meth:`about` looks at one dossier record (never changes it) and returns the feedback records it
    gives rise to: the applicant's rating of a finished dossier; a petition about the dossier; a
    petition about something else at the same agency; a follow-up petition when one is raised again.
    The stream is ``random.Random(f"feedback:{seed}")``: the dossier stream is untouched, so a dossier
    file is the same bytes with or without its feedback file. Actions falling after the end of the
    year are left out (like dossiers, petitions then stay open)."""

    def __init__(self, *, year: int, seed: int, rates: Rates) -> None:
        from chinhquyenso.workdays import calendar

        self.r = rates
        self.rng = random.Random(f"feedback:{seed}")
        self.cal = calendar.get_calendar(years=(year - 1, year + 2))
        self.year_end = datetime(year + 1, 1, 1, tzinfo=VN_TZ) + timedelta(days=rates.open_at_year_end_cutoff_days)
        self.counters: dict[date, int] = {}

    def about(self, rec: dict[str, Any]) -> list[dict[str, Any]]:
        rng, r = self.rng, self.r
        out: list[dict[str, Any]] = []
        status = rec["TrangThaiHoSo"]
        late = bool(rec.get("NgayKetThucXuLy") and rec.get("NgayHenTra") and rec["NgayKetThucXuLy"] > rec["NgayHenTra"]
                    ) or len(rec.get("DanhSachHoSoBoSung", ())) >= 2
        if status in (9, 10) and rng.random() < r.rated:
            after = parse_moment(rec.get("NgayTra") or rec["NgayKetThucXuLy"])
            rated_at = after + timedelta(minutes=1 + int(rng.random() * 4320))
            satisfied = rng.random() >= (r.dislike_late if late else r.dislike_on_time)
            comment = rng.choice(_LIKE_COMMENTS if satisfied else _DISLIKE_COMMENTS)
            if rated_at < self.year_end:
                rating: dict[str, Any] = {"LoaiBanGhi": RATING_KIND, "MaHoSo": rec["MaHoSo"], "HaiLong": int(satisfied),
                                          "NgayDanhGia": format_moment(rated_at)}
                if comment:
                    rating["YKien"] = comment
                out.append(rating)
        if rec.get("NgayTiepNhan") and rng.random() < r.petition_dossier:
            received = parse_moment(rec["NgayTiepNhan"])
            at = received + timedelta(hours=4 + rng.random() * 24 * 20)
            if at < self.year_end:
                out.extend(self._petition(at, rec["DonViXuLy"], dossier=rec, name=rec["ChuHoSo"]))
        if rng.random() < r.petition_other:
            base = parse_moment(rec["NgayNopHoSo"])
            at = datetime(base.year, base.month, base.day, 6, 0, tzinfo=VN_TZ) + timedelta(
                minutes=int(rng.random() * 16 * 60))
            if at < self.year_end:
                out.extend(self._petition(at, rec["DonViXuLy"], dossier=None, name=_name(rng)))
        return out

    def _code(self, at: datetime) -> str:
        day = at.astimezone(VN_TZ).date()
        seq = self.counters[day] = self.counters.get(day, 0) + 1
        return f"PAKN-{day:%y%m%d}-{seq:04d}"

    def _on_day(self, start: datetime, n: int) -> datetime:
        """A moment on the n-th working day after the receipt day (n ≥ 1), so that 766 5.2 counts n days."""
        return self.cal.deadline(start, n, "working_day") - timedelta(minutes=1 + int(self.rng.random() * 300))

    def _petition(self, at: datetime, agency: str, *, dossier: dict[str, Any] | None, name: str,
                  follow_up_of: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        rng, r = self.rng, self.r
        if follow_up_of is not None:
            topic = follow_up_of.get("PhanLoai") or follow_up_of["ChuDe"]
        elif dossier is not None:
            topic = TOPIC_REGULATION if rng.random() < 0.6 else TOPIC_STAFF  # about a dossier: procedure or staff
        else:
            u = rng.random()
            topic = (TOPIC_REGULATION if u < r.petition_regulation
                     else TOPIC_STAFF if u < r.petition_regulation + r.petition_staff else TOPIC_OTHER)
        title, content = rng.choice(_PETITION_TEXTS[topic])
        if follow_up_of is not None:
            title = f"Phản ánh lại: {follow_up_of['TieuDe']}"[:300]
        phone = follow_up_of["SoDienThoai"] if follow_up_of is not None else f"09{rng.randrange(10**8):08d}"
        p: dict[str, Any] = {"LoaiBanGhi": PETITION_KIND, "MaPAKN": self._code(at), "DonViXuLy": agency,
                             "ChuDe": topic, "TieuDe": title, "NoiDung": content, "HoTenNguoiPhanAnh": name,
                             "SoDienThoai": phone, "NgayTiepNhan": format_moment(at)}
        if follow_up_of is not None:
            p["MaPAKNGoc"] = follow_up_of["MaPAKN"]
        if dossier is not None:
            p["MaHoSo"] = dossier["MaHoSo"]
            p["MaTTHC"] = dossier["MaTTHC"]
        end = self.year_end
        if rng.random() < r.petition_classified:
            classified = self._on_day(at, 1)
            if classified < end:
                p["PhanLoai"] = topic if rng.random() < 0.9 else rng.choice(
                    [TOPIC_REGULATION, TOPIC_STAFF, TOPIC_OTHER])
                p["NgayPhanLoai"] = format_moment(max(classified, at + timedelta(minutes=5)))
        late = rng.random() < r.petition_late
        last = parse_moment(p.get("NgayPhanLoai") or p["NgayTiepNhan"])
        if rng.random() < r.petition_refused:
            refused = self._on_day(at, rng.randint(3, 8) if late else rng.randint(1, 2))
            refused = max(refused, last + timedelta(minutes=10))
            if refused < end:
                p["NgayTuChoi"] = format_moment(refused)
                p["LyDoTuChoi"] = rng.choice(_REFUSALS)
                last = refused
        else:
            if rng.random() < r.petition_info_request:
                asked = max(self._on_day(at, rng.randint(1, 5)), last + timedelta(minutes=10))
                if asked < end:
                    p["NgayYeuCauBoSung"] = format_moment(asked)
                    p["NoiDungYeuCauBoSung"] = "Đề nghị cung cấp thêm thông tin, tài liệu liên quan."
                    last = asked
                    supplied = asked + timedelta(hours=2 + rng.random() * 72)
                    if supplied < end:
                        p["NgayBoSungThongTin"] = format_moment(supplied)
                        last = supplied
            if "NgayYeuCauBoSung" not in p or "NgayBoSungThongTin" in p:
                answered = self._on_day(at, rng.randint(16, 35) if late else rng.randint(2, 15))
                answered = max(answered, last + timedelta(minutes=30))
                if answered < end:
                    p["NgayTraLoi"] = format_moment(answered)
                    p["NoiDungTraLoi"] = rng.choice(_ANSWERS)
                    last = answered
                    if rng.random() < r.petition_publish:
                        p["CongKhai"] = 1
                        n = rng.randint(3, 8) if rng.random() < r.petition_publish_late else rng.randint(1, 2)
                        published = max(self._on_day(answered, n), answered + timedelta(minutes=10))
                        if published < end:
                            p["NgayCongKhai"] = format_moment(published)
                    if rng.random() < r.petition_rated:
                        rated = answered + timedelta(hours=1 + rng.random() * 120)
                        if rated < end:
                            p["DanhGiaTraLoi"] = int(rng.random() >= r.petition_dislike)
                            p["NgayDanhGiaTraLoi"] = format_moment(rated)
                            last = max(last, rated)
        out = [p]
        closed = "NgayTraLoi" in p or "NgayTuChoi" in p
        if follow_up_of is None and closed and rng.random() < r.petition_raised_again:
            again = last + timedelta(hours=2 + rng.random() * 24 * 10)
            if again < end:
                p["NgayPhanAnhLai"] = format_moment(again)
                out.extend(self._petition(again, agency, dossier=dossier, name=name, follow_up_of=p))
        return out


def feedback_records(dossiers: Iterable[dict[str, Any]], *, year: int, seed: int,
                     rates: Rates | None = None) -> Iterator[dict[str, Any]]:
    """The feedback records (ratings, petitions) of a stream of generated dossier records."""
    maker = FeedbackMaker(year=year, seed=seed, rates=rates or Rates())
    for rec in dossiers:
        yield from maker.about(rec)


def write_records(records: Iterator[dict[str, Any]], out: IO[str], fmt: str) -> int:
    written = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for rec in records:
            writer.writerow([
                json.dumps(rec[k], ensure_ascii=False, separators=(",", ":")) if k in LIST_FIELDS and k in rec
                else rec.get(k, "") for k in CSV_COLUMNS
            ])
            written += 1
        return written
    for rec in records:
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        written += 1
    return written


def dossiers_generate(*, count: int, year: int, seed: int, out: Path, rates: Rates | None = None,
                      fmt: str | None = None, feedback: Path | None = None, with_feedback: bool = True) -> int:
    """Write ``count`` synthetic dossiers of ``year`` to ``out`` (.jsonl or .csv) and, unless
    ``with_feedback`` is false, their ratings and petitions to ``feedback`` (default
    :func:`feedback_path`). Returns the number of dossiers written."""
    out = Path(out)
    rates = rates or Rates()
    kind = fmt or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
    fb_out = Path(feedback) if feedback is not None else feedback_path(out)
    if with_feedback and fb_out.resolve() == out.resolve():
        raise ValidationFailed("Tệp phản hồi phải khác tệp hồ sơ.", code="generator_feedback_path")
    tmp = out.with_name(out.name + ".tmp")
    fb_tmp = fb_out.with_name(fb_out.name + ".tmp")
    records = generate_records(count=count, year=year, seed=seed, rates=rates)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            if not with_feedback:
                written = write_records(records, handle, kind)
            else:
                with fb_tmp.open("w", encoding="utf-8", newline="") as fb_handle:
                    maker = FeedbackMaker(year=year, seed=seed, rates=rates)

                    def observed() -> Iterator[dict[str, Any]]:
                        for rec in records:
                            yield rec
                            for item in maker.about(rec):
                                fb_handle.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
                                fb_handle.write("\n")

                    written = write_records(observed(), handle, kind)
    except BaseException:
        tmp.unlink(missing_ok=True)
        fb_tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    if with_feedback:
        fb_tmp.replace(fb_out)
    return written


def rates_with(overrides: dict[str, float]) -> Rates:
    known = {f.name for f in fields(Rates)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValidationFailed(f"Không có tỷ lệ {', '.join(unknown)}; các tỷ lệ: {', '.join(sorted(known))}.",
                               code="generator_rate_unknown")
    return Rates(**{**asdict(Rates()), **overrides})

"""Synthetic province-year generator (``chinhquyenso generate --dossiers N --year Y --seed S --out FILE``).

Writes dossiers in the import format (``docs/import.md``), drawn from what is in the database: the
agencies in force (the current An Giang structure after ``load-units``), the procedure catalog (its
level, time limit, service level, components, fees and results). Everything a 766 scorecard counts is a
rate in :class:`Rates` — channel mix, supplements, late dossiers, online payment, digitization, reuse,
VNeID and population-data use, electronic results, sync — with defaults chosen so the scorecard of the
generated year resembles the province's published one (reference §1.1); ``docs/import.md`` records how
close it gets.

Deterministic for a seed: one ``random.Random(seed)``, catalog and agencies read in code order, dossiers
written in order of receipt. Satisfaction ratings and feedback (PAKN) live in higher apps and are not
generated here.
"""

from __future__ import annotations

import csv
import json
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.dossiers.importing import LIST_FIELDS, POPULATION_DB_CODE, VN_TZ, format_moment


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
    e_result_commune: float = 0.40
    synced: float = 0.995  # acknowledged by the national portal (DaDongBoDVCQG)
    open_at_year_end_cutoff_days: int = 0  # dossiers finishing after 31/12 stay open (status 4 or 5)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in {"zipf_exponent", "open_at_year_end_cutoff_days"}:
                continue
            if not 0 <= value <= 1:
                raise ValidationFailed(f"Tỷ lệ {f.name} phải trong [0, 1].", code="generator_rate_invalid")


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
                      fmt: str | None = None) -> int:
    """Write ``count`` synthetic dossiers of ``year`` to ``out`` (.jsonl or .csv). Returns the number written."""
    out = Path(out)
    kind = fmt or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        written = write_records(generate_records(count=count, year=year, seed=seed, rates=rates), handle, kind)
    tmp.replace(out)
    return written


def rates_with(overrides: dict[str, float]) -> Rates:
    known = {f.name for f in fields(Rates)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValidationFailed(f"Không có tỷ lệ {', '.join(unknown)}; các tỷ lệ: {', '.join(sorted(known))}.",
                               code="generator_rate_unknown")
    return Rates(**{**asdict(Rates()), **overrides})

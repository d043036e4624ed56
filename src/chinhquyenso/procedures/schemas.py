"""Validated input for the catalog: one :class:`ProcedureIn` per TTHC, whatever the source
(JSON, CSV, XLSX, admin, API). Every enum field accepts its code (``"province"``), its
Vietnamese label (``"Cấp tỉnh"``) or a short slug an official can type in Excel (``"tinh"``),
with or without diacritics. Error messages are Vietnamese (:func:`errors_vi`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chinhquyenso.accounts.models import Role
from chinhquyenso.core.text import fold
from chinhquyenso.procedures.models import (
    ApplicantType,
    AuthorityLevel,
    CopyType,
    FeeStage,
    ProcedureStatus,
    ServiceLevel,
    StepAction,
    TimeUnit,
)
from chinhquyenso.units.models import AgencyKind

# --- aliases an official may type --------------------------------------------------------------

_ALIASES: dict[type[Enum], dict[str, str]] = {
    AuthorityLevel: {"tinh": "province", "cap tinh": "province", "xa": "commune", "cap xa": "commune",
                     "phuong": "commune", "xa, phuong": "commune", "cap xa, phuong": "commune"},
    ServiceLevel: {"toan trinh": "full_online", "toan_trinh": "full_online", "dvctt toan trinh": "full_online",
                   "mot phan": "partial_online", "mot_phan": "partial_online", "dvctt mot phan": "partial_online",
                   "truc tiep": "direct_only", "truc_tiep": "direct_only", "chi truc tiep": "direct_only"},
    TimeUnit: {"gio": "hour", "gio lam viec": "hour", "ngay lam viec": "working_day", "ngay_lam_viec": "working_day",
               "nlv": "working_day", "ngay": "day", "ngay (lich)": "day", "thang": "month"},
    ProcedureStatus: {"nhap": "draft", "chua cong khai": "draft", "cong khai": "public", "dang cong khai": "public",
                      "bai bo": "abolished", "da bai bo": "abolished"},
    ApplicantType: {"cong dan": "citizen", "cong_dan": "citizen", "cong dan viet nam": "citizen",
                    "nguoi viet nam dinh cu o nuoc ngoai": "overseas", "viet kieu": "overseas",
                    "nguoi nuoc ngoai": "foreigner", "nuoc_ngoai": "foreigner",
                    "doanh nghiep": "business", "doanh_nghiep": "business",
                    "ho kinh doanh": "household_business", "ho_kinh_doanh": "household_business",
                    "to chuc": "organization", "to_chuc": "organization", "to chuc khac": "organization"},
    CopyType: {"ban chinh": "original", "ban_chinh": "original", "ban sao": "copy", "ban_sao": "copy",
               "ban sao chung thuc": "copy", "dien tu": "electronic", "dien_tu": "electronic",
               "ban dien tu": "electronic"},
    FeeStage: {"khi tiep nhan": "at_receipt", "tiep nhan": "at_receipt", "khi_tiep_nhan": "at_receipt",
               "khi bo sung": "at_supplement", "bo sung": "at_supplement", "khi_bo_sung": "at_supplement",
               "khi tra ket qua": "at_result", "tra ket qua": "at_result", "khi_tra_ket_qua": "at_result"},
    StepAction: {"chuyen": "forward", "chuyen buoc tiep": "forward", "tra lai": "return",
                 "tra lai buoc truoc": "return", "xin y kien": "consult", "phe duyet": "approve",
                 "duyet": "approve", "ky": "sign", "ky ket qua": "sign", "yeu cau bo sung": "request_supplement",
                 "bo sung": "request_supplement", "nghia vu tai chinh": "require_payment",
                 "yeu cau nghia vu tai chinh": "require_payment", "dung": "stop", "dung xu ly": "stop",
                 "hoan thanh": "finish", "tra ket qua": "finish"},
    Role: {"mot cua": "one_stop_officer", "mot_cua": "one_stop_officer", "can bo mot cua": "one_stop_officer",
           "chuyen vien": "processing_officer", "chuyen_vien": "processing_officer",
           "chuyen vien xu ly": "processing_officer", "lanh dao": "leader", "lanh_dao": "leader"},
    AgencyKind: {"ubnd": "ubnd", "uy ban nhan dan": "ubnd", "so": "so", "so, ban, nganh": "so",
                 "ttpvhcc": "ttpvhcc", "trung tam phuc vu hanh chinh cong": "ttpvhcc", "khac": "other"},
}

def choice_value(enum: type[Enum], raw: Any) -> str:
    """Map a code, label or alias to the enum's value, or raise ValueError in Vietnamese."""
    if isinstance(raw, Enum):
        raw = raw.value
    text = fold(str(raw or ""))
    if not text:
        raise ValueError("Thiếu giá trị.")
    for member in enum:
        label = getattr(member, "label", "")
        if text in {fold(str(member.value)), fold(str(label))}:
            return str(member.value)
    alias = _ALIASES.get(enum, {}).get(text) or _ALIASES.get(enum, {}).get(text.replace("-", " "))
    if alias:
        return alias
    accepted = ", ".join(
        f"{m.value} («{m.label}»)" if getattr(m, "label", "") else str(m.value)  # type: ignore[attr-defined]
        for m in enum if not (enum is Role and m.value == Role.CITIZEN)
    )
    raise ValueError(f"Giá trị «{raw}» không hợp lệ; chấp nhận: {accepted}.")


def _choice(enum: type[Enum]) -> BeforeValidator:
    return BeforeValidator(lambda v: choice_value(enum, v))


def _split_list(value: Any) -> Any:
    """``"citizen; business"`` or ``"citizen, business"`` → a list; lists pass through."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,\n]", value) if part.strip()]
    return value


def _choice_list(enum: type[Enum]) -> BeforeValidator:
    def parse(value: Any) -> list[str]:
        items = _split_list(value)
        if not isinstance(items, list):
            raise ValueError("Phải là danh sách.")
        out: list[str] = []
        for item in items:
            code = choice_value(enum, item)
            if code not in out:
                out.append(code)
        return out

    return BeforeValidator(parse)


_TRUE = {"co", "x", "yes", "y", "true", "1", "dung"}
_FALSE = {"khong", "no", "n", "false", "0", "sai", ""}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = fold(str(value if value is not None else ""))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"Giá trị «{value}» không phải có/không.")


def parse_date(value: Any) -> dt.date | None:
    """Accept ``dd/mm/yyyy``, ``yyyy-mm-dd``, a date or an Excel datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"Ngày «{value}» không hợp lệ (dùng dd/mm/yyyy).")


def parse_decimal(value: Any) -> Decimal:
    """``"0,5"`` (Vietnamese decimal comma) and ``0.5`` both mean one half."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("Thiếu giá trị số.")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip().replace(" ", "").replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"«{value}» không phải là số.") from None


def parse_vnd(value: Any) -> int:
    """``"1.250.000"``, ``"1250000 đ"`` or ``1250000`` → 1250000 (VND has no decimals)."""
    if isinstance(value, bool):
        raise ValueError("Số tiền không hợp lệ.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError("Số tiền (đồng) phải là số nguyên.")
        return int(value)
    text = fold(str(value or "")).replace("dong", "").replace("vnd", "").replace("d", "")
    text = text.replace(".", "").replace(",", "").replace(" ", "")
    if not text.isdigit():
        raise ValueError(f"Số tiền «{value}» không hợp lệ (ví dụ 1.250.000).")
    return int(text)


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else ("" if value is None else value)


Text = Annotated[str, BeforeValidator(_strip)]
Bool = Annotated[bool, BeforeValidator(parse_bool)]
OptDate = Annotated[dt.date | None, BeforeValidator(parse_date)]
Amount = Annotated[Decimal, BeforeValidator(parse_decimal), Field(gt=0, max_digits=7, decimal_places=2)]
Vnd = Annotated[int, BeforeValidator(parse_vnd), Field(ge=0)]

_EPOCH = dt.date(1900, 1, 1)
CODE_RE = re.compile(r"^\d\.\d{6}(\.[0-9A-Za-z]+)*$")
_WORKING_HOURS_PER_DAY = 8


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ComponentIn(_In):
    """Thành phần hồ sơ."""

    code: Text = Field(min_length=1, max_length=40)
    name: Text = Field(min_length=1, max_length=500)
    copy_type: Annotated[str, _choice(CopyType)] = CopyType.ORIGINAL.value
    count: Annotated[int, BeforeValidator(_blank_to_none), Field(ge=1, le=100)] = 1
    required: Bool = True
    reusable: Bool = False
    document_type: Text = Field(default="", max_length=60, pattern=r"^[a-z0-9_]*$")
    template_name: Text = Field(default="", max_length=200)


class FeeIn(_In):
    """Phí, lệ phí (VND). ``valid_to`` is exclusive: the first day the fee no longer applies."""

    code: Text = Field(default="", max_length=40)
    name: Text = Field(min_length=1, max_length=300)
    amount: Vnd
    stage: Annotated[str, _choice(FeeStage)] = FeeStage.AT_RECEIPT.value
    exempt_applicant_types: Annotated[list[str], _choice_list(ApplicantType)] = Field(default_factory=list)
    exemption_text: Text = Field(default="", max_length=500)
    basis: Text = Field(default="", max_length=300)
    valid_from: Annotated[dt.date, BeforeValidator(lambda v: parse_date(v) or _EPOCH)] = _EPOCH
    valid_to: OptDate = None

    @model_validator(mode="after")
    def _range(self) -> FeeIn:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")
        return self

    @property
    def key(self) -> tuple[str, dt.date]:
        return (self.code or fold(self.name), self.valid_from)


class ResultIn(_In):
    """Kết quả thực hiện."""

    code: Text = Field(default="", max_length=40)
    name: Text = Field(min_length=1, max_length=300)
    document_type: Text = Field(default="", max_length=60, pattern=r"^[a-z0-9_]*$")
    validity_months: Annotated[int | None, BeforeValidator(_blank_to_none), Field(ge=1, le=1200)] = None

    @property
    def key(self) -> str:
        return self.code or fold(self.name)


class LegalBasisIn(_In):
    """Căn cứ pháp lý."""

    document: Text = Field(min_length=1, max_length=200)
    title: Text = Field(default="", max_length=500)
    effective_from: OptDate = None


class StepIn(_In):
    """One step of the internal process (quy trình nội bộ)."""

    code: Text = Field(min_length=1, max_length=40)
    name: Text = Field(min_length=1, max_length=300)
    role: Annotated[str, _choice(Role)]
    agency_kind: Annotated[str, BeforeValidator(lambda v: "" if not v else choice_value(AgencyKind, v))] = ""
    duration_amount: Amount
    duration_unit: Annotated[str, _choice(TimeUnit)] = TimeUnit.WORKING_DAY.value
    allowed_actions: Annotated[list[str], _choice_list(StepAction)] = Field(min_length=1)

    @field_validator("role")
    @classmethod
    def _officer_role(cls, value: str) -> str:
        if value == Role.CITIZEN:
            raise ValueError("Bước xử lý phải do cán bộ thực hiện, không phải công dân.")
        return value


def duration_base(amount: Decimal, unit: str) -> tuple[str, Decimal]:
    """Comparable measure: working hours for hour/working_day, else the unit itself."""
    if unit == TimeUnit.HOUR:
        return ("working_hours", amount)
    if unit == TimeUnit.WORKING_DAY:
        return ("working_hours", amount * _WORKING_HOURS_PER_DAY)
    return (unit, amount)


def check_steps_fit(steps: list[StepIn], *, time_amount: Decimal, time_unit: str) -> None:
    """The steps' durations must add up to the statutory time limit, and the last step must be
    able to finish the dossier. Raises ValueError in Vietnamese."""
    if not steps:
        raise ValueError("Quy trình phải có ít nhất một bước.")
    codes = [s.code for s in steps]
    if len(set(codes)) != len(codes):
        raise ValueError("Mã bước bị trùng trong quy trình.")
    target_base, target = duration_base(time_amount, time_unit)
    total = Decimal(0)
    for step in steps:
        base, value = duration_base(step.duration_amount, step.duration_unit)
        if base != target_base:
            unit_label = TimeUnit(step.duration_unit).label
            raise ValueError(
                f"Bước «{step.code}» tính theo «{unit_label}», không cộng được với thời hạn tính theo "
                f"«{TimeUnit(time_unit).label}»."
            )
        total += value
    if total != target:
        raise ValueError(
            f"Tổng thời gian các bước ({_human(total, target_base)}) khác thời hạn giải quyết "
            f"({_human(target, target_base)})."
        )
    if StepAction.FINISH not in steps[-1].allowed_actions:
        raise ValueError("Bước cuối của quy trình phải có thao tác «finish» (hoàn thành, trả kết quả).")


def _human(value: Decimal, base: str) -> str:
    if base == "working_hours":
        days = value / _WORKING_HOURS_PER_DAY
        return f"{days.normalize():f} ngày làm việc"
    return f"{value.normalize():f} {TimeUnit(base).label.lower()}"


class ProcessIn(_In):
    """Quy trình nội bộ. ``valid_from`` defaults to the day it is imported."""

    valid_from: OptDate = None
    note: Text = Field(default="", max_length=300)
    steps: list[StepIn] = Field(min_length=1, max_length=20)


class ProcedureIn(_In):
    """A whole TTHC with its components, fees, results, legal bases and internal process."""

    code: Text = Field(max_length=40)
    name: Text = Field(min_length=1, max_length=500)
    field_code: Text = Field(min_length=1, max_length=40)
    field_name: Text = Field(default="", max_length=200)
    level: Annotated[str, _choice(AuthorityLevel)]
    service_level: Annotated[str, _choice(ServiceLevel)] = ServiceLevel.DIRECT_ONLY.value
    full_online_eligible: Bool = False
    time_limit_amount: Amount
    time_limit_unit: Annotated[str, _choice(TimeUnit)] = TimeUnit.WORKING_DAY.value
    time_limit_text: Text = Field(default="", max_length=500)
    result_on_paper: Bool = True
    applicant_types: Annotated[list[str], _choice_list(ApplicantType)] = Field(default_factory=list)
    steps_text: Text = ""
    submission_methods_text: Text = ""
    applicants_text: Text = ""
    agencies_text: Text = ""
    requirements_text: Text = ""
    status: Annotated[str, _choice(ProcedureStatus)] = ProcedureStatus.PUBLIC.value
    published_decision: Text = Field(default="", max_length=200)
    published_decision_date: OptDate = None
    made_public_at: OptDate = None
    handling_agencies: Annotated[list[str], BeforeValidator(_split_list)] = Field(default_factory=list)
    components: list[ComponentIn] = Field(default_factory=list)
    fees: list[FeeIn] = Field(default_factory=list)
    results: list[ResultIn] = Field(default_factory=list)
    legal_bases: list[LegalBasisIn] = Field(default_factory=list)
    process: ProcessIn | None = None

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not CODE_RE.match(value):
            raise ValueError(f"Mã TTHC «{value}» không đúng định dạng CSDLQG (ví dụ 1.001193).")
        return value

    @field_validator("components")
    @classmethod
    def _unique_components(cls, value: list[ComponentIn]) -> list[ComponentIn]:
        codes = [c.code for c in value]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"Mã thành phần hồ sơ bị trùng: {', '.join(duplicates)}.")
        return value

    @field_validator("fees")
    @classmethod
    def _unique_fees(cls, value: list[FeeIn]) -> list[FeeIn]:
        keys = [f.key for f in value]
        if len(set(keys)) != len(keys):
            raise ValueError("Có hai khoản phí cùng mã (hoặc cùng tên) và cùng ngày hiệu lực.")
        return value

    @field_validator("results")
    @classmethod
    def _unique_results(cls, value: list[ResultIn]) -> list[ResultIn]:
        keys = [r.key for r in value]
        if len(set(keys)) != len(keys):
            raise ValueError("Kết quả thực hiện bị trùng mã hoặc tên.")
        return value

    @field_validator("process")
    @classmethod
    def _process_fits(cls, value: ProcessIn | None, info: ValidationInfo) -> ProcessIn | None:
        amount, unit = info.data.get("time_limit_amount"), info.data.get("time_limit_unit")
        if value is not None and amount is not None and unit is not None:
            check_steps_fit(value.steps, time_amount=amount, time_unit=unit)
        return value

    @model_validator(mode="after")
    def _full_online_is_eligible(self) -> ProcedureIn:
        # A procedure offered fully online is by definition eligible for it.
        if self.service_level == ServiceLevel.FULL_ONLINE:
            self.full_online_eligible = True
        return self


# --- Vietnamese error messages -------------------------------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "Thiếu thông tin bắt buộc.",
    "extra_forbidden": "Cột/trường không được hỗ trợ.",
    "string_too_short": "Không được để trống.",
    "string_too_long": "Quá dài (tối đa {max_length} ký tự).",
    "string_type": "Phải là chuỗi ký tự.",
    "string_pattern_mismatch": "Chỉ dùng chữ thường không dấu, số và dấu gạch dưới (ví dụ giay_khai_sinh).",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "decimal_max_digits": "Quá nhiều chữ số.",
    "decimal_max_places": "Tối đa 2 chữ số thập phân.",
    "list_type": "Phải là danh sách.",
    "too_short": "Cần ít nhất {min_length} mục.",
    "too_long": "Tối đa {max_length} mục.",
    "model_type": "Phải là một đối tượng (JSON object).",
    "model_attributes_type": "Phải là một đối tượng (JSON object).",
    "date_type": "Ngày không hợp lệ.",
}


def errors_vi(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """``[(loc, message)]`` with Vietnamese messages; our own ValueErrors keep their text."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for err in exc.errors():
        kind = err.get("type", "")
        if kind == "value_error":
            message = str(err.get("msg", "")).removeprefix("Value error, ")
        else:
            template = _MESSAGES.get(kind)
            ctx = err.get("ctx") or {}
            try:
                message = template.format(**ctx) if template else str(err.get("msg", ""))
            except (KeyError, IndexError):
                message = template or str(err.get("msg", ""))
        out.append((tuple(err.get("loc", ())), message))
    return out

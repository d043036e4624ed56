"""Public REST API of the TTHC catalog (no login: the catalog is public information)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from chinhquyenso.core.errors import NotFound
from chinhquyenso.procedures.models import (
    AuthorityLevel,
    CopyType,
    FeeStage,
    Procedure,
    ProcedureStatus,
    ServiceLevel,
    StepAction,
    TimeUnit,
)
from chinhquyenso.procedures.selectors import (
    procedure_active_process,
    procedure_field_list,
    procedure_get,
    procedure_missing_components,
    procedure_search,
)

router = Router(tags=["Thủ tục hành chính"])


class ApiErrorOut(Schema):
    code: str = Field(description="Mã lỗi ổn định, ví dụ `not_found`")
    message: str = Field(description="Thông điệp tiếng Việt")


class FieldOut(Schema):
    code: str
    name: str


class FieldWithCountOut(FieldOut):
    procedure_count: int = Field(ge=0, description="Số thủ tục đang công khai")


class TimeLimitOut(Schema):
    amount: Decimal = Field(gt=0)
    unit: TimeUnit
    unit_label: str
    text: str = Field(description="Mô tả thời hạn như được công bố")


class ProcedureSummaryOut(Schema):
    code: str = Field(description="Mã TTHC trên CSDL quốc gia, ví dụ 1.001193")
    name: str
    field: FieldOut
    level: AuthorityLevel
    level_label: str
    service_level: ServiceLevel
    service_level_label: str
    time_limit: TimeLimitOut
    status: ProcedureStatus


class ProcedurePageOut(Schema):
    items: list[ProcedureSummaryOut]
    total: int = Field(ge=0)
    limit: int
    offset: int


class ComponentOut(Schema):
    code: str
    name: str
    copy_type: CopyType
    count: int = Field(ge=1)
    required: bool
    reusable: bool = Field(description="Có thể lấy lại từ kho giấy tờ của công dân")
    document_type: str
    template_name: str


class FeeOut(Schema):
    code: str
    name: str
    amount: int = Field(ge=0, description="VND")
    stage: FeeStage
    exempt_applicant_types: list[str]
    exemption_text: str
    basis: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="Ngày đầu tiên không còn áp dụng (không bao gồm)")


class ResultOut(Schema):
    code: str
    name: str
    document_type: str
    validity_months: int | None


class LegalBasisOut(Schema):
    document: str
    title: str
    effective_from: dt.date | None


class AgencyOut(Schema):
    code: str
    name: str


class StepOut(Schema):
    order: int
    code: str
    name: str
    role: str
    agency_kind: str
    duration_amount: Decimal
    duration_unit: TimeUnit
    allowed_actions: list[StepAction]


class ProcessOut(Schema):
    version: int
    valid_from: dt.date
    steps: list[StepOut]


class ProcedureDetailOut(ProcedureSummaryOut):
    """All 7 public components (NĐ 63/2010 Đ8 k2) plus fees, results and legal bases."""

    steps_text: str = Field(description="Trình tự thực hiện")
    submission_methods_text: str = Field(description="Cách thức thực hiện")
    applicants_text: str = Field(description="Đối tượng thực hiện")
    applicant_types: list[str]
    agencies_text: str = Field(description="Cơ quan thực hiện")
    handling_agencies: list[AgencyOut]
    requirements_text: str = Field(description="Yêu cầu, điều kiện")
    full_online_eligible: bool
    result_on_paper: bool
    components: list[ComponentOut] = Field(description="Thành phần, số lượng hồ sơ")
    fees: list[FeeOut]
    results: list[ResultOut]
    legal_bases: list[LegalBasisOut]
    process: ProcessOut | None = Field(description="Quy trình nội bộ đang áp dụng")
    missing_components: list[str] = Field(description="Thành phần công khai còn thiếu (rỗng nếu đầy đủ)")


class ProcedureFilters(Schema):
    q: str = Field("", max_length=200, description="Từ khóa, không phân biệt dấu")
    field: str | None = Field(None, max_length=40, description="Mã lĩnh vực")
    level: AuthorityLevel | None = None
    service_level: ServiceLevel | None = None
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0)


def _summary(p: Procedure) -> dict[str, object]:
    return {
        "code": p.code, "name": p.name, "field": {"code": p.field.code, "name": p.field.name},
        "level": p.level, "level_label": p.get_level_display(),
        "service_level": p.service_level, "service_level_label": p.get_service_level_display(),
        "time_limit": {"amount": p.time_limit_amount, "unit": p.time_limit_unit,
                       "unit_label": p.get_time_limit_unit_display(), "text": p.time_limit_text},
        "status": p.status,
    }


@router.get("/procedures", response=ProcedurePageOut, auth=None, summary="Tra cứu thủ tục hành chính")
def list_procedures(request: HttpRequest, filters: Query[ProcedureFilters]) -> dict[str, object]:
    rows = procedure_search(
        q=filters.q, field=filters.field or None,
        level=filters.level.value if filters.level else None,
        service_level=filters.service_level.value if filters.service_level else None,
    )
    total = rows.count()
    page = rows[filters.offset: filters.offset + filters.limit]
    return {"items": [_summary(p) for p in page], "total": total, "limit": filters.limit, "offset": filters.offset}


@router.get("/procedures/{code}", response={200: ProcedureDetailOut, 404: ApiErrorOut}, auth=None,
            summary="Chi tiết thủ tục hành chính")
def get_procedure(request: HttpRequest, code: str) -> dict[str, object]:
    p = procedure_get(code)
    try:
        version = procedure_active_process(p, timezone.localdate())
        process: dict[str, object] | None = {
            "version": version.version, "valid_from": version.valid_from,
            "steps": [
                {"order": s.order, "code": s.code, "name": s.name, "role": s.role, "agency_kind": s.agency_kind,
                 "duration_amount": s.duration_amount, "duration_unit": s.duration_unit,
                 "allowed_actions": list(s.allowed_actions or [])}
                for s in version.steps.all()
            ],
        }
    except NotFound:  # no process in force yet
        process = None
    return {
        **_summary(p),
        "steps_text": p.steps_text, "submission_methods_text": p.submission_methods_text,
        "applicants_text": p.applicants_text, "applicant_types": list(p.applicant_types or []),
        "agencies_text": p.agencies_text,
        "handling_agencies": [{"code": a.code, "name": a.name} for a in p.handling_agencies.all()],
        "requirements_text": p.requirements_text, "full_online_eligible": p.full_online_eligible,
        "result_on_paper": p.result_on_paper,
        "components": [
            {"code": c.code, "name": c.name, "copy_type": c.copy_type, "count": c.count, "required": c.required,
             "reusable": c.reusable, "document_type": c.document_type, "template_name": c.template_name}
            for c in p.components.all()
        ],
        "fees": [
            {"code": f.code, "name": f.name, "amount": f.amount, "stage": f.stage,
             "exempt_applicant_types": list(f.exempt_applicant_types or []), "exemption_text": f.exemption_text,
             "basis": f.basis, "valid_from": f.valid_from, "valid_to": f.valid_to}
            for f in p.fees.all()
        ],
        "results": [{"code": r.code, "name": r.name, "document_type": r.document_type,
                     "validity_months": r.validity_months} for r in p.results.all()],
        "legal_bases": [{"document": b.document, "title": b.title, "effective_from": b.effective_from}
                        for b in p.legal_bases.all()],
        "process": process,
        "missing_components": procedure_missing_components(p),
    }


@router.get("/procedure-fields", response=list[FieldWithCountOut], auth=None, summary="Danh mục lĩnh vực")
def list_fields(request: HttpRequest) -> list[dict[str, object]]:
    return [{"code": f.code, "name": f.name, "procedure_count": f.procedure_count}  # type: ignore[attr-defined]
            for f in procedure_field_list()]

"""Reads of the TTHC catalog. Everything date-dependent takes the date: rules change yearly."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.text import fold
from chinhquyenso.procedures.models import (
    AuthorityLevel,
    Procedure,
    ProcedureFee,
    ProcedureField,
    ProcedureStatus,
    ProcessStep,
    ProcessVersion,
    ServiceLevel,
)

#: The 7 components every published TTHC must show (NĐ 63/2010 Đ8 k2; 766 indicator 1.3).
PUBLIC_COMPONENTS: dict[str, str] = {
    "name": "Tên thủ tục",
    "steps": "Trình tự thực hiện",
    "methods": "Cách thức thực hiện",
    "components": "Thành phần, số lượng hồ sơ",
    "time_limit": "Thời hạn giải quyết",
    "applicants": "Đối tượng thực hiện",
    "agencies": "Cơ quan thực hiện",
}


def procedure_search(
    *,
    q: str = "",
    field: str | None = None,
    level: str | None = None,
    service_level: str | None = None,
    include_hidden: bool = False,
) -> QuerySet[Procedure]:
    """Public catalog search. Diacritics-insensitive: every word of ``q`` must appear in the
    folded code + name (``"dang ky khai sinh"`` finds «Đăng ký khai sinh»). ``field`` is a
    field code. Drafts and abolished procedures are hidden unless ``include_hidden``."""
    if level and level not in AuthorityLevel.values:
        raise ValidationFailed(f"Cấp thực hiện «{level}» không hợp lệ; chấp nhận: {', '.join(AuthorityLevel.values)}.")
    if service_level and service_level not in ServiceLevel.values:
        raise ValidationFailed(
            f"Mức độ dịch vụ «{service_level}» không hợp lệ; chấp nhận: {', '.join(ServiceLevel.values)}."
        )
    rows = Procedure.objects.select_related("field")
    if not include_hidden:
        rows = rows.filter(status=ProcedureStatus.PUBLIC)
    for word in fold(q).split():
        rows = rows.filter(search_text__contains=word)
    if field:
        rows = rows.filter(field__code=field)
    if level:
        rows = rows.filter(level=level)
    if service_level:
        rows = rows.filter(service_level=service_level)
    return rows.order_by(Lower("name"), "code")


def procedure_get(code: str, *, include_hidden: bool = False) -> Procedure:
    """One procedure with everything its detail page shows. Raises NotFound."""
    rows = Procedure.objects.select_related("field").prefetch_related(
        "components", "fees", "results", "legal_bases", "handling_agencies",
        Prefetch("process_versions", queryset=ProcessVersion.objects.prefetch_related("steps")),
    )
    if not include_hidden:
        rows = rows.exclude(status=ProcedureStatus.DRAFT)
    procedure = rows.filter(code=code.strip()).first()
    if procedure is None:
        raise NotFound(f"Không tìm thấy thủ tục hành chính mã «{code}».")
    return procedure


def procedure_field_list() -> QuerySet[ProcedureField]:
    """Fields (lĩnh vực) with the number of public procedures in each."""
    return ProcedureField.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__status=ProcedureStatus.PUBLIC))
    ).order_by("name")


def process_version_latest(procedure: Procedure) -> ProcessVersion | None:
    return procedure.process_versions.order_by("-version").first()


def procedure_active_process(procedure: Procedure, on: dt.date) -> ProcessVersion:
    """The internal process in force on ``on`` (latest ``valid_from`` ≤ ``on``); a dossier
    keeps the version it started with. Raises NotFound."""
    version = (
        ProcessVersion.objects.filter(procedure=procedure, valid_from__lte=on)
        .order_by("-valid_from", "-version")
        .prefetch_related(Prefetch("steps", queryset=ProcessStep.objects.order_by("order")))
        .first()
    )
    if version is None:
        raise NotFound(f"Thủ tục {procedure.code} chưa có quy trình nội bộ áp dụng ngày {on:%d/%m/%Y}.")
    return version


def procedure_fees_on(procedure: Procedure, on: dt.date, applicant_type: str | None = None) -> list[ProcedureFee]:
    """Fees payable on ``on`` (``valid_from`` ≤ on < ``valid_to``) by ``applicant_type``:
    fees whose exemption list contains that type are left out."""
    fees = ProcedureFee.objects.filter(procedure=procedure, valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    ).order_by("id")
    return [fee for fee in fees if not applicant_type or applicant_type not in (fee.exempt_applicant_types or [])]


def procedure_missing_components(procedure: Procedure) -> list[str]:
    """Labels of the public components this procedure lacks (empty list = complete)."""
    missing: list[str] = []
    if not procedure.name.strip():
        missing.append(PUBLIC_COMPONENTS["name"])
    if not procedure.steps_text.strip():
        missing.append(PUBLIC_COMPONENTS["steps"])
    if not procedure.submission_methods_text.strip():
        missing.append(PUBLIC_COMPONENTS["methods"])
    if not procedure.components.all():
        missing.append(PUBLIC_COMPONENTS["components"])
    if not procedure.time_limit_amount or procedure.time_limit_amount <= 0:
        missing.append(PUBLIC_COMPONENTS["time_limit"])
    if not procedure.applicants_text.strip() and not procedure.applicant_types:
        missing.append(PUBLIC_COMPONENTS["applicants"])
    if not procedure.agencies_text.strip() and not procedure.handling_agencies.all():
        missing.append(PUBLIC_COMPONENTS["agencies"])
    return missing


def procedures_incomplete() -> list[tuple[Procedure, list[str]]]:
    """Every procedure not abolished that lacks one of the 7 public components, with what it lacks."""
    rows = (
        Procedure.objects.exclude(status=ProcedureStatus.ABOLISHED)
        .prefetch_related("components", "handling_agencies")
        .order_by("code")
    )
    out: list[tuple[Procedure, list[str]]] = []
    for procedure in rows:
        missing = procedure_missing_components(procedure)
        if missing:
            out.append((procedure, missing))
    return out

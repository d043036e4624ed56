"""Catalog admin. Process versions are append-only: an existing version is read-only here; a
changed process is added as a new version (or imported), so dossiers keep theirs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from chinhquyenso.procedures.models import (
    LegalBasis,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    ProcedureField,
    ProcedureResult,
    ProcessStep,
    ProcessVersion,
)
from chinhquyenso.procedures.schemas import StepIn, check_steps_fit
from chinhquyenso.procedures.services import procedure_record_admin_change


class ComponentInline(admin.TabularInline):
    model = ProcedureComponent
    extra = 0
    fields = ("order", "code", "name", "copy_type", "count", "required", "reusable", "document_type", "template_name")


class FeeInline(admin.TabularInline):
    model = ProcedureFee
    extra = 0
    fields = ("code", "name", "amount", "stage", "exempt_applicant_types", "exemption_text", "basis",
              "valid_from", "valid_to")


class ResultInline(admin.TabularInline):
    model = ProcedureResult
    extra = 0


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0


class ProcessVersionReadOnlyInline(admin.TabularInline):
    """Shown on the procedure for orientation; add versions from «Quy trình nội bộ»."""

    model = ProcessVersion
    extra = 0
    fields = ("version", "valid_from", "note", "created_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcedureField)
class ProcedureFieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "field", "level", "service_level", "time_limit_amount", "time_limit_unit", "status")
    list_filter = ("level", "service_level", "status", "field")
    search_fields = ("code", "name", "search_text")
    autocomplete_fields = ("field",)
    filter_horizontal = ("handling_agencies",)
    inlines = [ComponentInline, FeeInline, ResultInline, LegalBasisInline, ProcessVersionReadOnlyInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "field", "level", "status", "service_level", "full_online_eligible")}),
        ("Thời hạn", {"fields": ("time_limit_amount", "time_limit_unit", "time_limit_text")}),
        ("Thành phần công khai", {"fields": ("steps_text", "submission_methods_text", "applicants_text",
                                             "applicant_types", "agencies_text", "handling_agencies",
                                             "requirements_text", "result_on_paper")}),
        ("Công bố", {"fields": ("published_decision", "published_decision_date", "made_public_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        procedure_record_admin_change(procedure=obj, actor=request.user, created=not change,
                                      what=", ".join(form.changed_data))


class StepFormSet(BaseInlineFormSet):
    """The steps of a new version must add up to the procedure's time limit."""

    def clean(self) -> None:
        super().clean()
        procedure = getattr(self.instance, "procedure", None)
        if procedure is None or any(form.errors for form in self.forms):
            return
        rows = sorted(
            (f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")),
            key=lambda d: d.get("order") or 0,
        )
        try:
            steps = [StepIn.model_validate({
                "code": d["code"], "name": d["name"], "role": d["role"], "agency_kind": d.get("agency_kind") or "",
                "duration_amount": d["duration_amount"] or Decimal(0), "duration_unit": d["duration_unit"],
                "allowed_actions": d.get("allowed_actions") or [],
            }) for d in rows]
            check_steps_fit(steps, time_amount=procedure.time_limit_amount, time_unit=procedure.time_limit_unit)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError too
            raise ValidationError(str(exc)) from None


class StepInline(admin.TabularInline):
    model = ProcessStep
    formset = StepFormSet
    extra = 4
    fields = ("order", "code", "name", "role", "agency_kind", "duration_amount", "duration_unit", "allowed_actions")

    # ``obj`` is the parent version: steps are written once, with the new version.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_delete_permission(request, obj)


@admin.register(ProcessVersion)
class ProcessVersionAdmin(admin.ModelAdmin):
    """Add-only: saved versions cannot be edited or deleted (dossiers may use them)."""

    list_display = ("procedure", "version", "valid_from", "created_at")
    list_filter = ("valid_from",)
    search_fields = ("procedure__code", "procedure__name")
    autocomplete_fields = ("procedure",)
    inlines = [StepInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["procedure", "valid_from", "note", *(["version"] if obj else [])]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ProcessVersion, form: Any, change: bool) -> None:
        if not change:
            latest = ProcessVersion.objects.filter(procedure=obj.procedure).aggregate(m=Max("version"))["m"] or 0
            obj.version = latest + 1
        super().save_model(request, obj, form, change)
        procedure_record_admin_change(procedure=obj.procedure, actor=request.user, created=False,
                                      what=f"quy trình nội bộ phiên bản {obj.version}")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessVersion]:
        return super().get_queryset(request).select_related("procedure")

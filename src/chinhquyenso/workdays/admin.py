"""Admin for the calendar table. Saves and deletes go through the services (audit + cache)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chinhquyenso.workdays.models import CalendarOverride
from chinhquyenso.workdays.services import calendar_override_remove, calendar_override_set


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "name", "decision", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "decision", "note")
    date_hierarchy = "day"
    ordering = ("-day",)
    actions = ["remove_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The day is the key: change another day by removing this one and adding that one.
        return ("day", "created_at", "updated_at") if obj else ("created_at", "updated_at")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a queryset delete would skip the audit
        return actions

    def save_model(self, request: HttpRequest, obj: CalendarOverride, form: ModelForm, change: bool) -> None:
        saved = calendar_override_set(
            day=obj.day, kind=obj.kind, name=obj.name, decision=obj.decision, note=obj.note, actor=request.user
        )
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        calendar_override_remove(day=obj.day, actor=request.user)

    @admin.action(description=_("Xóa các ngày điều chỉnh đã chọn"), permissions=["delete"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        days = list(queryset.values_list("day", flat=True))
        for day in days:
            calendar_override_remove(day=day, actor=request.user)
        self.message_user(request, _("Đã xóa %(n)d ngày điều chỉnh.") % {"n": len(days)}, messages.SUCCESS)

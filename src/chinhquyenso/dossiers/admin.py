"""Read-only admin: dossiers change only through ``services.py`` (events, audit, outbox)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.dossiers.models import Dossier, DossierEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = DossierEvent
    fields = ("seq", "kind", "from_status", "to_status", "actor_label", "occurred_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "procedure", "agency", "applicant_name", "received_at", "due_at")
    list_filter = ("status", "channel")
    search_fields = ("code", "search_text")
    exclude = ("applicant_id_number", "search_text")  # personal ID numbers only on the dossier page
    list_select_related = ("procedure", "agency")
    inlines = (EventInline,)

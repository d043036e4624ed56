"""Read-only admin: units change only through the services (merge, rename), never by editing rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.units.models import Agency, Unit, UnitChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level", "kind", "valid_to")
    search_fields = ("code", "name", "name_folded")
    list_select_related = ("parent",)
    ordering = ("valid_from", "level", "code")


@admin.register(UnitChange)
class UnitChangeAdmin(ReadOnlyAdmin):
    list_display = ("effective_on", "kind", "successor", "legal_basis")
    list_filter = ("kind", "effective_on")
    search_fields = ("successor__code", "successor__name", "legal_basis")
    list_select_related = ("successor",)
    filter_horizontal = ("predecessors", "partial_predecessors")


@admin.register(Agency)
class AgencyAdmin(ReadOnlyAdmin):
    list_display = ("code", "portal_code", "name", "kind", "unit", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "portal_code", "name", "short_name")
    list_select_related = ("unit",)

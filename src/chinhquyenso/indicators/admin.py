"""Read-only admin: definition sets change only through the services (dated, audited), never by editing rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.indicators.models import ClassificationBand, IndicatorDefinition, IndicatorGroup


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IndicatorGroup)
class IndicatorGroupAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "max_points", "scoring", "valid_from", "valid_to")
    list_filter = ("valid_from",)


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(ReadOnlyAdmin):
    list_display = ("ref", "code", "group", "max_points", "target", "zero_denominator", "weight_certain",
                    "valid_from", "valid_to")
    list_filter = ("group__code", "weight_certain", "zero_denominator", "subject", "valid_from")
    search_fields = ("code", "name", "ref")
    list_select_related = ("group",)


@admin.register(ClassificationBand)
class ClassificationBandAdmin(ReadOnlyAdmin):
    list_display = ("label", "min_total", "valid_from", "valid_to")

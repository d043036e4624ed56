from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.files.models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    """Read-only: files are written by services only and never modified."""

    list_display = ["id", "sha256", "kind", "size", "original_name", "created_at"]
    list_filter = ["kind"]
    search_fields = ["sha256", "original_name"]
    readonly_fields = ["sha256", "size", "kind", "content_type", "extension", "original_name", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

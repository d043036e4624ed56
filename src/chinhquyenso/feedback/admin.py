"""Read-only admin: petitions and rule sets change only through ``services.py`` (events, audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.feedback.models import FeedbackRuleSet, Petition, PetitionEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = PetitionEvent
    fields = ("seq", "kind", "from_status", "to_status", "actor_label", "agency", "occurred_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "topic", "classification", "agency", "received_at", "reply_due_at")
    list_filter = ("status", "topic", "classification")
    search_fields = ("code", "search_text")
    exclude = ("search_text", "public_search_text", "client_fingerprint")
    list_select_related = ("agency",)
    inlines = (EventInline,)


@admin.register(FeedbackRuleSet)
class FeedbackRuleSetAdmin(ReadOnlyAdmin):
    list_display = ("code", "valid_from", "valid_to", "reply_days", "refuse_days", "first_info_request_days",
                    "publish_days", "in_progress_days")

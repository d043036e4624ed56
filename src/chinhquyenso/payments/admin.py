"""Read-only admin: bills and payments change only through ``services.py`` (audit, receipts, dossier)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chinhquyenso.payments.models import (
    Bill,
    BillLine,
    Discrepancy,
    GatewayNotification,
    Payment,
    Receipt,
    ReconciliationRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = BillLine
    fields = ("name", "code", "unit_amount", "amount", "exempt", "exemption_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ("reference", "dossier", "stage", "status", "total", "created_at", "paid_at")
    list_filter = ("status", "stage")
    search_fields = ("reference", "dossier__code")
    list_select_related = ("dossier",)
    inlines = (LineInline,)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("bill", "method", "source", "gateway", "transaction_id", "amount", "paid_at")
    list_filter = ("method", "source", "gateway")
    search_fields = ("transaction_id", "bill__reference", "counter_receipt_no")
    list_select_related = ("bill",)


@admin.register(GatewayNotification)
class GatewayNotificationAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "gateway", "outcome", "reason", "transaction_id", "bill_reference", "amount")
    list_filter = ("gateway", "outcome", "reason")
    search_fields = ("transaction_id", "bill_reference")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "bill", "issued_at")
    search_fields = ("bill__reference", "number")
    list_select_related = ("bill",)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("day", "gateway", "gateway_count", "matched_count", "started_at")


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ("run", "kind", "status", "transaction_id", "bill_reference", "gateway_amount", "our_amount")
    list_filter = ("kind", "status")

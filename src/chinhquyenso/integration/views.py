"""Trang tích hợp: outbox health, dead letters (retry/cancel), circuit state, synced ratio per agency.

Open to province/unit administrators and auditors; only administrators may retry or cancel, and only
for messages of dossiers in their scope.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chinhquyenso.accounts.decorators import forbidden, officer_required
from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role, scope_for
from chinhquyenso.core.errors import DomainError
from chinhquyenso.integration import selectors, services
from chinhquyenso.integration.models import ErrorKind, OutboxMessage

VIEW_ROLES = (Role.PROVINCE_ADMIN, Role.UNIT_ADMIN, Role.AUDITOR)
ACT_ROLES = (Role.PROVINCE_ADMIN, Role.UNIT_ADMIN)


def _human_age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(n)d giây") % {"n": int(seconds)}
    if seconds < 3600:
        return _("%(n)d phút") % {"n": int(seconds // 60)}
    if seconds < 86400:
        return _("%(h)d giờ %(m)d phút") % {"h": int(seconds // 3600), "m": int(seconds % 3600 // 60)}
    return _("%(n)d ngày") % {"n": int(seconds // 86400)}


def _period(request: HttpRequest) -> tuple[datetime, datetime, int]:
    """The ratio's window: the last ``days`` days (default 30, at most 366)."""
    try:
        days = min(366, max(1, int(request.GET.get("ngay", "30"))))
    except ValueError:
        days = 30
    end = timezone.now()
    return end - timedelta(days=days), end, days


@require_GET
@officer_required(*VIEW_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user, [str(r) for r in VIEW_ROLES])
    agency_ids = scope.agency_ids_qs()
    start, end, days = _period(request)
    overview = selectors.outbox_overview()
    kind_labels = dict(ErrorKind.choices)
    context = {
        "overview": overview,
        "oldest_age": _human_age(overview.oldest_age_seconds),
        "failures": [(kind_labels.get(k, k or "?"), n) for k, n in overview.failures_by_kind.items()],
        "dead_letters": selectors.dead_letters(agency_ids=agency_ids),
        "ratios": selectors.synced_ratio_by_agency(start, end, agency_ids=agency_ids),
        "days": days,
        "can_act": has_role(request.user, *[str(r) for r in ACT_ROLES]),
    }
    return render(request, "integration/dashboard.html", context)


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    message = get_object_or_404(OutboxMessage.objects.select_related("dossier"), pk=pk)
    scope = scope_for(request.user, [str(r) for r in ACT_ROLES])
    dossier = message.dossier
    allowed = scope.everything or (dossier is not None and scope.covers(agency=dossier.agency_id))
    if not allowed:
        return forbidden(request, _("Thông điệp này không thuộc phạm vi đơn vị của bạn."))
    try:
        if action == "retry":
            services.outbox_retry_dead(message=message, actor=request.user)
            messages.success(request, _("Đã đưa thông điệp %(key)s vào hàng đợi gửi lại.") % {"key": message.key})
        else:
            services.outbox_cancel(message=message, actor=request.user)
            messages.success(request, _("Đã hủy gửi thông điệp %(key)s.") % {"key": message.key})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("integration:dashboard")


@require_POST
@officer_required(*ACT_ROLES)
def retry_message(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "retry")


@require_POST
@officer_required(*ACT_ROLES)
def cancel_message(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "cancel")


@require_GET
@officer_required(*VIEW_ROLES)
def data_services_page(request: HttpRequest) -> HttpResponse:
    """Dịch vụ dữ liệu đã kết nối: calls in the last 30 days, last call, idle-service warning (PAR 7.1.4)."""
    from chinhquyenso.integration.data_services import data_service_usage

    days = 30
    return render(request, "integration/data_services.html",
                  {"usage": data_service_usage(days=days), "days": days})

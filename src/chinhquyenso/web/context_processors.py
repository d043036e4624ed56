"""Navigation that shows only what exists and what the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _


def _entry(label: str, url_name: str) -> dict[str, str] | None:
    """A menu entry, or None when that app is not installed in this deployment."""
    try:
        return {"label": label, "url": reverse(url_name)}
    except NoReverseMatch:
        return None


def _officer_entries(user: Any) -> list[dict[str, str] | None]:
    """Officers only: their dossiers, the counter for one-stop officers, fees, feedback, integration."""
    from chinhquyenso.accounts.models import Role
    from chinhquyenso.accounts.scope import has_role, is_officer

    if not is_officer(user):
        return []
    entries = [_entry(_("Hồ sơ của tôi"), "dossiers:inbox")]
    if has_role(user, Role.ONE_STOP_OFFICER):
        entries.append(_entry(_("Một cửa"), "dossiers:receive"))
    entries.append(_entry(_("Thu phí, lệ phí"), "payments:officer_bills"))
    entries.append(_entry(_("Phản ánh, kiến nghị cần xử lý"), "feedback:inbox"))
    entries.append(_entry(_("Bảng điểm 766"), "indicators:scorecard"))
    if has_role(user, Role.PROVINCE_ADMIN, Role.UNIT_ADMIN, Role.AUDITOR):
        entries.append(_entry(_("Tích hợp, đồng bộ"), "integration:dashboard"))
    return entries


def _citizen_entries(user: Any) -> list[dict[str, str] | None]:
    if not getattr(user, "is_citizen", False):
        return []
    return [
        _entry(_("Nộp hồ sơ trực tuyến"), "citizens:submit_search"),
        _entry(_("Hồ sơ của tôi"), "citizens:my_dossiers"),
        _entry(_("Kho giấy tờ"), "citizens:documents"),
        _entry(_("Phí, lệ phí của tôi"), "payments:my_bills"),
    ]


def navigation(request: HttpRequest) -> dict[str, Any]:
    items: list[dict[str, str] | None] = [
        _entry(_("Trang chủ"), "web:home"),
        _entry(_("Thủ tục hành chính"), "procedures:catalog"),
        _entry(_("Tra cứu hồ sơ"), "citizens:lookup"),
        _entry(_("Phản ánh, kiến nghị"), "feedback:public_list"),
        _entry(_("Chỉ số 766"), "indicators:public"),
    ]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        items.extend(_officer_entries(user))
        items.extend(_citizen_entries(user))
        if user.is_staff:
            items.append(_entry(_("Quản trị"), "admin:index"))
        items.append(_entry(_("Đổi mật khẩu"), "accounts:password_change"))
    return {"nav_items": [i for i in items if i]}

"""Navigation that shows only what exists and what the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def _entry(label: str, url_name: str) -> dict[str, str] | None:
    try:
        return {"label": label, "url": reverse(url_name)}
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    items: list[dict[str, str] | None] = [
        _entry("Trang chủ", "web:home"),
        _entry("Thủ tục hành chính", "procedures:catalog"),
    ]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_staff:
            items.append(_entry("Quản trị", "admin:index"))
        items.append(_entry("Đổi mật khẩu", "accounts:password_change"))
    return {"nav_items": [i for i in items if i]}

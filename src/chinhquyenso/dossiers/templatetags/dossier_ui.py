"""Display helpers for the officer dossier pages: ``{% load dossier_ui %}``.

``{{ hours|working_time }}`` → ``2 ngày 3 giờ`` / ``Quá hạn 4 giờ``; ``{{ hours|due_class }}`` →
``due-ok`` / ``due-soon`` / ``due-late`` (classes of web/site.css); ``{{ status|status_class }}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import gettext as _

from chinhquyenso.dossiers.models import Status

register = template.Library()

#: A working day has 8 office hours (07:00–11:30, 13:30–17:00).
HOURS_PER_DAY = 8.0
#: "Due soon" = at most one working day left.
SOON_HOURS = HOURS_PER_DAY


def format_working_time(hours: float | None, *, late: bool = False) -> str:
    """Working time in Vietnamese: whole working days of 8 hours, then hours (or minutes when < 1 h).
    ``late`` (or negative hours) reads "Quá hạn …"; a due moment passed after office hours is just "Quá hạn"."""
    if hours is None:
        return "—"
    late = late or hours < 0
    left = abs(float(hours))
    days = int(left // HOURS_PER_DAY)
    rest = left - days * HOURS_PER_DAY
    parts = []
    if days:
        parts.append(_("%(n)d ngày") % {"n": days})
    whole = int(rest)
    minutes = round((rest - whole) * 60)
    if minutes == 60:
        whole, minutes = whole + 1, 0
    if whole:
        parts.append(_("%(n)d giờ") % {"n": whole})
    if not days and minutes:
        parts.append(_("%(n)d phút") % {"n": minutes})
    if late:
        return _("Quá hạn %(time)s") % {"time": " ".join(parts)} if parts else _("Quá hạn")
    return " ".join(parts) or _("dưới 1 phút")


@dataclass(frozen=True)
class DueState:
    """What the inbox and the dossier page show about the deadline."""

    hours: float | None
    late: bool
    css: str
    text: str


def due_state(*, hours: float | None, due_at: datetime | None, paused: bool, now: datetime) -> DueState:
    """Late when the working hours left are negative, or when the due moment has passed (after office
    hours the working time between them is zero, yet the appointment is missed)."""
    late = hours is not None and (hours < 0 or (not paused and due_at is not None and due_at < now))
    css = "due-late" if late else due_css_class(hours)
    return DueState(hours=hours, late=late, css=css, text=format_working_time(hours, late=late))


def due_css_class(hours: float | None) -> str:
    """On time / due within one working day / late."""
    if hours is None:
        return ""
    if hours < 0:
        return "due-late"
    if hours <= SOON_HOURS:
        return "due-soon"
    return "due-ok"


@register.filter(name="working_time")
def working_time(hours: Any) -> str:
    return format_working_time(None if hours is None or hours == "" else float(hours))


@register.filter(name="due_class")
def due_class(hours: Any) -> str:
    return due_css_class(None if hours is None or hours == "" else float(hours))


_STATUS_CLASSES = {
    Status.NEW: "st-new", Status.RECEIVED: "st-open", Status.PROCESSING: "st-open",
    Status.SUPPLEMENT_REQUESTED: "st-wait", Status.PAYMENT_REQUIRED: "st-wait", Status.FINISHED: "st-done",
    Status.RETURNED: "st-done", Status.REFUSED: "st-closed", Status.WITHDRAWN: "st-closed",
    Status.STOPPED: "st-closed",
}


@register.filter(name="status_class")
def status_class(status: Any) -> str:
    try:
        return _STATUS_CLASSES.get(Status(int(status)), "")
    except (TypeError, ValueError):
        return ""


@register.simple_tag(takes_context=True)
def posted(context: template.Context, action: str, name: str, default: str = "") -> str:
    """The value the officer typed into ``action``'s form, when that form came back with an error."""
    if context.get("error_action") != action:
        return default
    data = context.get("posted") or {}
    value = data.get(name, default)
    return str(value) if value is not None else default


@register.filter(name="get_item")
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def user_is_one_stop(context: template.Context) -> bool:
    """Whether the signed-in user staffs a one-stop desk (cached on the request)."""
    from chinhquyenso.accounts.models import Role
    from chinhquyenso.accounts.scope import has_role

    request = context.get("request")
    if request is None:
        return False
    cached = getattr(request, "_dossier_ui_one_stop", None)
    if cached is None:
        cached = bool(request.user.is_authenticated and has_role(request.user, Role.ONE_STOP_OFFICER))
        request._dossier_ui_one_stop = cached
    return bool(cached)


@register.filter(name="vn_datetime")
def vn_datetime(value: Any) -> str:
    """``dd/mm/yyyy HH:MM`` in local time; empty for anything that is not a datetime."""
    import datetime as dt

    from django.utils import timezone

    if not isinstance(value, dt.datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")

"""Reads for dossiers: the officer inbox, one dossier, its timeline, what the user may do, on-time facts.

Every officer read goes through :func:`dossier_visible_queryset`, which applies the one scope
rule of :mod:`chinhquyenso.accounts.scope` (handling agency, receiving agency, or an agency
consulted on the dossier). A dossier outside it does not exist for that user (NotFound).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chinhquyenso.accounts.scope import visible_agency_ids
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.text import fold
from chinhquyenso.dossiers import rules
from chinhquyenso.dossiers.models import (
    ACTIVE_STATUSES,
    Dossier,
    DossierConsultation,
    DossierEvent,
    Status,
)
from chinhquyenso.dossiers.workflow import allowed_actions, is_owner
from chinhquyenso.workdays import calendar

MAX_PAGE = 200
DUE_FILTERS = ("overdue", "today", "soon", "paused", "open")

EVENT_LABELS = {
    "received": "Tiếp nhận hồ sơ",
    "submitted": "Nộp hồ sơ trực tuyến",
    "accepted": "Tiếp nhận hồ sơ trực tuyến",
    "refused": "Từ chối tiếp nhận",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "supplement_received": "Tiếp nhận hồ sơ bổ sung",
    "forwarded": "Chuyển xử lý",
    "returned_for_rework": "Trả lại bước trước",
    "consultation_requested": "Xin ý kiến",
    "consultation_answered": "Trả lời xin ý kiến",
    "payment_required": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "payment_fulfilled": "Đã thực hiện nghĩa vụ tài chính",
    "stopped": "Dừng xử lý",
    "withdrawn": "Rút hồ sơ",
    "finished": "Hoàn thành xử lý",
    "result_returned": "Trả kết quả",
    "extended": "Xin lỗi và gia hạn",
    "component_digitized": "Số hóa thành phần hồ sơ",
}


# --- Scope and lookup ----------------------------------------------------------------------------


def dossier_visible_queryset(user: Any) -> QuerySet[Dossier]:
    """Dossiers an officer may see: handling or receiving agency in scope, or consulted agency in scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    ids = visible_agency_ids(user)
    if ids is None:
        return Dossier.objects.all()
    consulted = DossierConsultation.objects.filter(dossier_id=OuterRef("pk"), agency_id__in=ids)
    return Dossier.objects.filter(Q(agency_id__in=ids) | Q(receiving_agency_id__in=ids) | Q(Exists(consulted)))


def dossier_get_for_user(user: Any, code: str) -> Dossier:
    """One dossier by code, if the user may see it (officer scope, or the online owner); else NotFound."""
    related = ("procedure", "procedure__field", "agency", "receiving_agency", "unit", "current_step",
               "process_version", "assignee", "citizen")
    dossier = dossier_visible_queryset(user).select_related(*related).filter(code=code).first()
    if dossier is None:
        own = Dossier.objects.select_related(*related).filter(code=code).first()
        if own is not None and is_owner(user, own):
            return own
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    return dossier


def dossier_allowed_actions(user: Any, dossier: Dossier) -> list[str]:
    """Action names (see ``workflow.Action``) the user may do on the dossier right now."""
    return allowed_actions(user, dossier)


# --- Inbox ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    statuses: Sequence[int] = ()
    due: str | None = None  # overdue | today | soon | paused | open
    q: str = ""
    assigned_to_me: bool = False
    agency_id: int | None = None
    channel: int | None = None
    procedure_id: int | None = None


@dataclass
class InboxPage:
    items: list[Dossier]
    next_cursor: str | None
    limit: int
    filters: InboxFilters = field(default_factory=InboxFilters)


def encode_cursor(dossier: Dossier) -> str:
    raw = json.dumps({"d": dossier.due_at.isoformat() if dossier.due_at else None, "i": dossier.pk})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        due = parse_datetime(data["d"]) if data.get("d") else None
        if data.get("d") and due is None:
            raise ValueError("bad date")
        return due, int(data["i"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("Con trỏ phân trang không hợp lệ.", code="cursor_invalid") from None


def _after_cursor(qs: QuerySet[Dossier], cursor: str) -> QuerySet[Dossier]:
    due, pk = decode_cursor(cursor)
    if due is None:
        return qs.filter(due_at__isnull=True, pk__gt=pk)
    return qs.filter(Q(due_at__gt=due) | Q(due_at=due, pk__gt=pk) | Q(due_at__isnull=True))


def _due_filter(qs: QuerySet[Dossier], due: str, now: datetime) -> QuerySet[Dossier]:
    active = qs.filter(status__in=ACTIVE_STATUSES)
    if due == "open":
        return active
    if due == "paused":
        return active.filter(clock_paused_at__isnull=False)
    running = active.filter(clock_paused_at__isnull=True, due_at__isnull=False)
    if due == "overdue":
        return running.filter(due_at__lt=now)
    local = timezone.localtime(now, calendar.TIMEZONE)
    if due == "today":  # still in time, due before midnight
        end_dt = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=calendar.TIMEZONE)
        return running.filter(due_at__gte=now, due_at__lt=end_dt)
    if due == "soon":  # still in time, due by the end of the next working day
        limit = calendar.deadline(now, 2, "working_day")
        return running.filter(due_at__gte=now, due_at__lte=limit)
    raise ValidationFailed("Bộ lọc hạn xử lý không hợp lệ.", code="due_filter_invalid")


def dossier_inbox(
    user: Any, *, filters: InboxFilters | None = None, cursor: str | None = None, limit: int = 50,
    now: datetime | None = None,
) -> InboxPage:
    """The officer's list, ordered by due moment (no due date last) then id, keyset-paginated.

    Keyset (``cursor`` = the last row's due moment and id) stays fast on deep pages: each page
    is an index range scan on ``(due_at, id)``, never an OFFSET.
    """
    filters = filters or InboxFilters()
    limit = max(1, min(int(limit), MAX_PAGE))
    moment = now or timezone.now()
    qs = dossier_visible_queryset(user)
    if filters.statuses:
        bad = [s for s in filters.statuses if s not in Status.values]
        if bad:
            raise ValidationFailed("Trạng thái hồ sơ không hợp lệ.", code="status_invalid")
        qs = qs.filter(status__in=list(filters.statuses))
    if filters.due:
        qs = _due_filter(qs, filters.due, moment)
    if filters.q:
        needle = fold(filters.q)[:200]
        if needle:
            qs = qs.filter(search_text__contains=needle)
    if filters.assigned_to_me:
        qs = qs.filter(assignee_id=user.pk)
    if filters.agency_id is not None:
        qs = qs.filter(agency_id=filters.agency_id)
    if filters.channel is not None:
        qs = qs.filter(channel=filters.channel)
    if filters.procedure_id is not None:
        qs = qs.filter(procedure_id=filters.procedure_id)
    if cursor:
        qs = _after_cursor(qs, cursor)
    rows = list(
        qs.select_related("procedure", "agency", "receiving_agency", "current_step", "assignee")
        .order_by(F("due_at").asc(nulls_last=True), "pk")[: limit + 1]
    )
    has_more = len(rows) > limit
    items = rows[:limit]
    return InboxPage(items=items, next_cursor=encode_cursor(items[-1]) if has_more and items else None,
                     limit=limit, filters=filters)


# --- One dossier ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    kind: str
    label: str
    occurred_at: datetime
    actor_label: str
    from_status: int | None
    to_status: int | None
    status_label: str
    step_name: str
    payload: dict[str, Any]


def dossier_timeline(dossier: Dossier) -> list[TimelineEntry]:
    """Events oldest first, with Vietnamese labels (Phiếu kiểm soát quá trình giải quyết, Mẫu 06)."""
    entries = []
    for event in DossierEvent.objects.filter(dossier_id=dossier.pk).select_related("step").order_by("seq"):
        status = event.to_status or event.from_status
        entries.append(TimelineEntry(
            seq=event.seq, kind=event.kind, label=EVENT_LABELS.get(event.kind, event.kind),
            occurred_at=event.occurred_at, actor_label=event.actor_label, from_status=event.from_status,
            to_status=event.to_status, status_label=Status(status).label if status else "",
            step_name=event.step.name if event.step else "", payload=event.payload,
        ))
    return entries


def dossier_remaining_working_hours(dossier: Dossier, now: datetime | None = None) -> float | None:
    """Working hours left until ``due_at`` (negative when overdue); frozen while waiting for a supplement.
    None when the dossier has no due date or is no longer being processed."""
    if dossier.due_at is None or dossier.status not in ACTIVE_STATUSES:
        return None
    reference = dossier.clock_paused_at or now or timezone.now()
    if reference <= dossier.due_at:
        return calendar.working_hours_between(reference, dossier.due_at)
    return -calendar.working_hours_between(dossier.due_at, reference)


# --- On-time facts for indicators ----------------------------------------------------------------


class WorkingRuleCalendar:
    """:class:`rules.RuleCalendar` on the Vietnamese working calendar (what the services use)."""

    def hours_between(self, start: datetime, end: datetime) -> float:
        return calendar.working_hours_between(start, end) if end > start else 0.0

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return calendar.add_working_hours(start, hours) if hours > 0 else start


WORKING_CALENDAR = WorkingRuleCalendar()


def dossier_on_time_facts(dossier: Dossier) -> rules.OnTimeFacts:
    """Terminal timestamps and supplement spans, from the dossier's own columns (no event scan)."""
    terminal: dict[int, datetime] = {}
    for status, moment in (
        (Status.FINISHED, dossier.finished_at), (Status.RETURNED, dossier.returned_at),
        (Status.STOPPED, dossier.stopped_at), (Status.REFUSED, dossier.refused_at),
        (Status.WITHDRAWN, dossier.withdrawn_at),
    ):
        if moment is not None:
            terminal[int(status)] = moment
    spans = tuple(
        rules.SupplementSpan(requested_at, received_at)
        for requested_at, received_at in dossier.supplements.order_by("requested_at", "id").values_list(
            "requested_at", "received_at")
    )
    return rules.OnTimeFacts(terminal=terminal, supplements=spans)


def dossier_status_changes(dossier: Dossier) -> list[rules.StatusChange]:
    """The event log reduced to status changes (to recompute the rule from events)."""
    return [
        rules.StatusChange(status=to_status, at=at)
        for to_status, at in DossierEvent.objects.filter(dossier_id=dossier.pk, to_status__isnull=False)
        .order_by("seq").values_list("to_status", "occurred_at")
        if to_status is not None
    ]


def dossier_on_time(dossier: Dossier, *, period_end: datetime, from_events: bool = False) -> rules.OnTimeResult:
    """766 indicator 2.1 for one dossier as of ``period_end``, measured on the working calendar.

    Judged against ``original_due_at`` (the appointment at receipt) with the supplement pause
    added back, exactly as ``dossier_receive_supplement`` moves ``due_at``; apology extensions
    (Mẫu 04) do not count. ``from_events=True`` rebuilds the facts from the event log instead
    of the columns; both must agree.
    """
    facts: rules.OnTimeFacts | list[rules.StatusChange] = (
        dossier_status_changes(dossier) if from_events else dossier_on_time_facts(dossier)
    )
    time_limit = None
    due = dossier.original_due_at
    if due is None and dossier.received_at is not None:
        amount = float(dossier.procedure.time_limit_amount or 0)
        if amount > 0:
            due = calendar.deadline(dossier.received_at, amount, dossier.procedure.time_limit_unit)
    return rules.classify_on_time(
        received_at=dossier.received_at, due_at=due, events_or_facts=facts, period_end=period_end,
        time_limit=time_limit, calendar=WORKING_CALENDAR,
    )

"""Reads for dossiers: the officer inbox, one dossier, its timeline, what the user may do, on-time facts.

Every officer read goes through :func:`dossier_visible_queryset`, which applies the one scope
rule of :mod:`chinhquyenso.accounts.scope` (handling agency, receiving agency, or an agency
consulted on the dossier). A dossier outside it does not exist for that user (NotFound). The inbox
applies the same rule with the scope's ids resolved into constants (:func:`_inbox_scope`, same rows).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import scope_for, visible_agency_ids
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
from chinhquyenso.procedures.models import ProcessStep
from chinhquyenso.units.models import Agency, AgencyKind
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

#: Statuses with work left for somebody: being processed (2, 4, 5, 6) or a result to hand back (9).
OPEN_WORK: tuple[int, ...] = (Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED,
                              Status.PAYMENT_REQUIRED, Status.FINISHED)
#: Up to this many agency ids, a scope is written into SQL as constants (see :func:`_inbox_scope`).
SCOPE_LIST_MAX = 200
#: Up to this many consulted dossiers, they are written as constant ids too; beyond, an EXISTS subquery.
CONSULTED_LIST_MAX = SCOPE_LIST_MAX * 10
#: Up to this many agencies in scope, a page is read branch by branch (see :func:`_keyset_page`).
BRANCHES_MAX = 4

_ONE_STOP = Role.ONE_STOP_OFFICER.value
_PROCESSING = Role.PROCESSING_OFFICER.value
_LEADER = Role.LEADER.value


@dataclass(frozen=True)
class InboxFilters:
    statuses: Sequence[int] = ()
    due: str | None = None  # overdue | today | soon | paused | open
    q: str = ""
    assigned_to_me: bool = False
    agency_id: int | None = None
    channel: int | None = None
    procedure_id: int | None = None
    waiting_for_me: bool = False  # only what this officer can move on now (:func:`waiting_for_me_q`)

    @property
    def open_work_only(self) -> bool:
        """Every row the filters can return is in :data:`OPEN_WORK` (so only open work is read)."""
        return self.waiting_for_me or bool(self.due) or bool(
            self.statuses and set(self.statuses) <= set(OPEN_WORK))


@dataclass
class InboxPage:
    items: list[Dossier]
    next_cursor: str | None
    limit: int
    filters: InboxFilters = field(default_factory=InboxFilters)


def _constant_ids(ids: QuerySet[Agency, int]) -> list[int] | None:
    """The scope's agency ids as a constant list when it is small (a commune, a Sở: a handful)."""
    found = list(ids[: SCOPE_LIST_MAX + 1])
    return None if len(found) > SCOPE_LIST_MAX else found


def _in_scope(ids: QuerySet[Agency, int] | list[int] | None, field: str) -> Q:
    """``field`` in the agency ids; a tautology when the scope is everything (``None``)."""
    return Q(pk__isnull=False) if ids is None else Q(**{f"{field}__in": ids})


@dataclass(frozen=True)
class _Scope:
    """The rows a user may see, and the same rows as a few branches each read in ``(due_at, id)`` order
    straight off an index (one agency as handling agency, one as receiving agency, the consulted ids).
    ``branches`` is empty when the scope is everything or too wide: then the list is read in one query."""

    qs: QuerySet[Dossier]
    branches: tuple[Q, ...] = ()


def _inbox_scope(user: Any, *, statuses: Sequence[int] | None = None) -> _Scope:
    """:func:`dossier_visible_queryset` with the scope's agency ids resolved up front into constants.

    The rule is the same — handling or receiving agency in :func:`accounts.scope.visible_agency_ids`, or a
    dossier consulted with one of them — and so are the rows; only the SQL differs. With
    ``agency_id IN (SELECT … units_unit.path LIKE …)`` PostgreSQL cannot estimate the rows: at a million
    dossiers it loops over every agency or walks the whole ``due_at`` index. With ``agency_id IN (23)`` it
    reads the officer's agencies by index. ``statuses``: the caller keeps only rows in these statuses, so
    only consulted dossiers in them need listing. A scope too wide to list (more than
    :data:`SCOPE_LIST_MAX` agencies, more than :data:`CONSULTED_LIST_MAX` consulted dossiers) keeps the
    subqueries.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return _Scope(Dossier.objects.none())
    ids = visible_agency_ids(user)
    if ids is None:
        return _Scope(Dossier.objects.all())
    agencies = _constant_ids(ids)
    if agencies is None:
        return _Scope(dossier_visible_queryset(user))
    consulted_qs = DossierConsultation.objects.filter(agency_id__in=agencies)
    if statuses is not None:
        consulted_qs = consulted_qs.filter(dossier__status__in=list(statuses))
    consulted = list(consulted_qs.order_by().values_list("dossier_id", flat=True).distinct()
                     [: CONSULTED_LIST_MAX + 1])
    q = Q(agency_id__in=agencies) | Q(receiving_agency_id__in=agencies)
    if len(consulted) > CONSULTED_LIST_MAX:
        return _Scope(Dossier.objects.filter(q | Q(Exists(consulted_qs.filter(dossier_id=OuterRef("pk"))))))
    if consulted:
        q |= Q(pk__in=consulted)
    branches: tuple[Q, ...] = ()
    if len(agencies) <= BRANCHES_MAX:
        branches = (*(Q(agency_id=a) for a in agencies), *(Q(receiving_agency_id=a) for a in agencies),
                    *((Q(pk__in=consulted),) if consulted else ()))
    return _Scope(Dossier.objects.filter(q), branches)


def open_work_queryset(user: Any) -> QuerySet[Dossier]:
    """Dossiers with work left (:data:`OPEN_WORK`) the user may see: :func:`_inbox_scope` on open work."""
    return _inbox_scope(user, statuses=OPEN_WORK).qs.filter(status__in=OPEN_WORK)


def _open_consultations_q(ids: QuerySet[Agency, int] | list[int] | None) -> Q:
    """Dossiers with an unanswered consultation addressed to one of ``ids`` (constant ids when few)."""
    open_ = DossierConsultation.objects.filter(answered_at__isnull=True)
    if ids is not None:
        open_ = open_.filter(agency_id__in=ids)
    if isinstance(ids, list):
        found = list(open_.order_by().values_list("dossier_id", flat=True).distinct()[: CONSULTED_LIST_MAX + 1])
        if len(found) <= CONSULTED_LIST_MAX:
            return Q(pk__in=found)
    return Q(Exists(open_.filter(dossier_id=OuterRef("pk"))))


def waiting_for_me_q(user: Any) -> Q:
    """Dossiers this officer can move on now (``Q`` on :class:`Dossier`), following the transition table:

    * a step of the internal process whose role the user holds at the step's agency (handling agency,
      or the receiving service centre for ``ttpvhcc`` steps), assigned to them or to nobody;
    * counter work for one-stop officers: supplements to receive (5), results to return (9);
    * financial obligations to confirm (6) for one-stop and processing officers;
    * open consultations addressed to an agency where the user is a processing officer or leader.

    Role scopes come from :func:`chinhquyenso.accounts.scope.scope_for`; combine with
    :func:`dossier_visible_queryset` (as :func:`dossier_inbox_queryset` does).
    """
    q = Q(pk__in=[])
    for role in (_ONE_STOP, _PROCESSING, _LEADER):
        scope = scope_for(user, [role])
        if scope.empty:
            continue
        scope_ids = scope.agency_ids_qs()
        ids: QuerySet[Agency, int] | list[int] | None = None
        if scope_ids is not None:
            ids = _constant_ids(scope_ids)
            if ids is None:
                ids = scope_ids
        at_desk = _in_scope(ids, "agency") | _in_scope(ids, "receiving_agency")
        # Steps as subqueries, not a join: the planner misjudges the OR below and a join then runs per row.
        role_steps = ProcessStep.objects.filter(role=role)
        centre_steps = role_steps.filter(agency_kind=AgencyKind.SERVICE_CENTRE).values("pk")
        own_steps = role_steps.exclude(agency_kind=AgencyKind.SERVICE_CENTRE).values("pk")
        step_agency_in_scope = (
            (Q(current_step_id__in=own_steps) & _in_scope(ids, "agency"))
            | (Q(current_step_id__in=centre_steps) & _in_scope(ids, "receiving_agency"))
        )
        q |= (Q(status__in=[Status.RECEIVED, Status.PROCESSING])
              & (Q(assignee__isnull=True) | Q(assignee_id=user.pk)) & step_agency_in_scope)
        if role == _ONE_STOP:
            q |= Q(status__in=[Status.SUPPLEMENT_REQUESTED, Status.FINISHED]) & at_desk
        if role in (_ONE_STOP, _PROCESSING):
            q |= Q(status=Status.PAYMENT_REQUIRED) & at_desk
        if role in (_PROCESSING, _LEADER):
            q |= Q(status__in=[Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUIRED]) & (
                _open_consultations_q(ids))
    # Redundant with every branch above; lets the planner use an index on open work.
    return Q(status__in=OPEN_WORK) & q


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


_INBOX_RELATED = ("procedure", "agency", "receiving_agency", "current_step", "assignee")


def _keyset_page(qs: QuerySet[Dossier], cursor: str | None, size: int, *, dated_only: bool = False,
                 branches: Sequence[Q] = ()) -> list[Dossier]:
    """Up to ``size`` rows after ``cursor`` in the order ``(due_at NULLS LAST, id)``.

    Plain range reads instead of one ``OR``: the dated rows from the cursor on
    (``due_at >= d AND (due_at > d OR id > i)``, an index range that starts at the cursor), then, only
    if the page is not full, the rows without a due date by id (``dated_only``: the filters already
    require a due date). One query with ``due_at > d OR (due_at = d AND id > i) OR due_at IS NULL``
    cannot start the index scan at the cursor: PostgreSQL read 240,000 index entries for a page 2,000
    rows down.

    The page is chosen on ``(due_at, id)`` alone, then its rows are fetched by id with their
    procedure, agencies, step and assignee. With ``branches`` (:class:`_Scope`) each branch is read on
    its own — ``agency_id = 23 ORDER BY due_at, id LIMIT size`` walks the ``(agency, due_at, id)``
    index and stops after ``size`` rows — and the branches are merged here. One query on
    ``agency_id IN (23) OR receiving_agency_id IN (23)`` cannot be read in order from any index: the
    database either sorts all the agency's rows or walks the province-wide ``due_at`` index until it
    meets enough of them (190 ms for a quiet commune).
    """
    due, pk = decode_cursor(cursor) if cursor else (None, None)

    def read(part: QuerySet[Dossier], order: tuple[str, ...]) -> list[tuple[Any, int]]:
        # Keys only (due_at, id): no joins while choosing the page, whatever the planner estimates.
        keys: set[tuple[Any, int]] = set()
        for branch in branches or (Q(),):
            keys.update(part.filter(branch).order_by(*order).values_list("due_at", "pk")[:size])
        return sorted(keys, key=lambda k: (k[0], k[1]) if k[0] is not None else (k[1],))[:size]

    chosen: list[tuple[Any, int]] = []
    if cursor is None or due is not None:
        dated = qs.filter(due_at__isnull=False)
        if due is not None:
            dated = dated.filter(Q(due_at__gte=due) & (Q(due_at__gt=due) | Q(pk__gt=pk)))
        chosen = read(dated, ("due_at", "pk"))
    if len(chosen) < size and not dated_only:
        undated = qs.filter(due_at__isnull=True)
        if cursor is not None and due is None:
            undated = undated.filter(pk__gt=pk)
        chosen += read(undated, ("pk",))[: size - len(chosen)]
    # Then the page's rows with what the list shows, by primary key (the scope applies here too).
    by_pk = qs.filter(pk__in=[k[1] for k in chosen]).select_related(*_INBOX_RELATED).in_bulk()
    return [by_pk[k[1]] for k in chosen if k[1] in by_pk]


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


def dossier_inbox_queryset(user: Any, *, filters: InboxFilters | None = None,
                           now: datetime | None = None) -> QuerySet[Dossier]:
    """The rows of the officer's list (unordered): the scope of :func:`dossier_visible_queryset` —
    always applied, with its agency ids as constants (:func:`_inbox_scope`) — narrowed by ``filters``.
    The web inbox, the REST list and the home-page counts all use it."""
    return _inbox_rows(user, filters or InboxFilters(), now)[0]


def _inbox_rows(user: Any, filters: InboxFilters, now: datetime | None) -> tuple[QuerySet[Dossier], tuple[Q, ...]]:
    moment = now or timezone.now()
    if filters.statuses and any(s not in Status.values for s in filters.statuses):
        raise ValidationFailed("Trạng thái hồ sơ không hợp lệ.", code="status_invalid")
    if filters.open_work_only:
        scope = _inbox_scope(user, statuses=OPEN_WORK)
        qs = scope.qs.filter(status__in=OPEN_WORK)  # also lets the planner use the open-work indexes
    else:
        scope = _inbox_scope(user, statuses=list(filters.statuses) or None)
        qs = scope.qs
    if filters.statuses:
        qs = qs.filter(status__in=list(filters.statuses))
    if filters.waiting_for_me:
        qs = qs.filter(waiting_for_me_q(user))
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
    return qs, scope.branches


def dossier_inbox(
    user: Any, *, filters: InboxFilters | None = None, cursor: str | None = None, limit: int = 50,
    now: datetime | None = None,
) -> InboxPage:
    """The officer's list, ordered by due moment (no due date last) then id, keyset-paginated.

    Keyset (``cursor`` = the last row's due moment and id) stays fast on deep pages: each page
    is an index range scan on ``(due_at, id)`` from the cursor (:func:`_keyset_page`), never an
    OFFSET, and never a COUNT.
    """
    filters = filters or InboxFilters()
    limit = max(1, min(int(limit), MAX_PAGE))
    qs, branches = _inbox_rows(user, filters, now)
    rows = _keyset_page(qs, cursor or None, limit + 1, dated_only=filters.due in ("overdue", "today", "soon"),
                        branches=branches)
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


def dossier_remaining_working_hours(dossier: Dossier, now: datetime | None = None, *,
                                    working_calendar: calendar.WorkingCalendar | None = None) -> float | None:
    """Working hours left until ``due_at`` (negative when overdue); frozen while waiting for a supplement.
    None when the dossier has no due date or is no longer being processed. ``working_calendar``: one
    :func:`workdays.calendar.get_calendar` for a whole list (it must cover the years involved)."""
    if dossier.due_at is None or dossier.status not in ACTIVE_STATUSES:
        return None
    reference = dossier.clock_paused_at or now or timezone.now()
    between = working_calendar.working_hours_between if working_calendar else calendar.working_hours_between
    if reference <= dossier.due_at:
        return between(reference, dossier.due_at)
    return -between(dossier.due_at, reference)


def inbox_working_calendar(items: Sequence[Dossier], now: datetime) -> calendar.WorkingCalendar:
    """One working calendar covering every due date on an inbox page and ``now`` (one lookup per page
    instead of one per row)."""
    years: set[int] = set()
    for moment in [now, *(d.due_at for d in items if d.due_at), *(d.clock_paused_at for d in items
                                                                   if d.clock_paused_at)]:
        year = timezone.localtime(moment, calendar.TIMEZONE).year
        years.update((year - 1, year, year + 1))
    return calendar.get_calendar(years=sorted(years))


# --- On-time facts for indicators ----------------------------------------------------------------


class WorkingRuleCalendar:
    """:class:`rules.RuleCalendar` on the Vietnamese working calendar (what the services use).

    Without ``fixed`` every call looks up the calendar in force (dated overrides included); a batch
    that judges many dossiers passes one calendar it read once (``calendar.get_calendar(years=…)``)."""

    def __init__(self, fixed: calendar.WorkingCalendar | None = None) -> None:
        self.fixed = fixed

    def hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        return (self.fixed or calendar).working_hours_between(start, end)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        if hours <= 0:
            return start
        return (self.fixed or calendar).add_working_hours(start, hours)

    def deadline(self, start: datetime, amount: float, unit: str) -> datetime:
        return (self.fixed or calendar).deadline(start, amount, unit)


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

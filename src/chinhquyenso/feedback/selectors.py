"""Reads for PAKN: rule sets, the officer inbox, the submitter's own petitions, public answers, and the
counts behind 766 indicators 5.1–5.3 (the indicators app calls the ``indicator_*`` functions).

Every officer read goes through :func:`petition_visible_queryset`, which applies the one scope rule
of :mod:`chinhquyenso.accounts.scope` to the handling agency. A petition outside it does not exist
for that user (NotFound), so its existence is never revealed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from chinhquyenso.accounts.scope import has_role, scope_queryset
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.text import fold
from chinhquyenso.feedback import rules
from chinhquyenso.feedback.models import (
    OPEN_STATUSES,
    FeedbackRuleSet,
    Petition,
    PetitionEvent,
    PetitionStatus,
    Topic,
)
from chinhquyenso.feedback.workflow import HANDLER_ROLES, is_submitter
from chinhquyenso.workdays.calendar import TIMEZONE, WorkingCalendar, get_calendar

#: An open petition is shown "due soon" when this many working days or fewer are left.
SOON_WORKING_DAYS = 3
DUE_FILTERS = ("late", "soon", "open")

EVENT_LABELS = {
    "submitted": "Gửi phản ánh, kiến nghị",
    "raised_again": "Phản ánh lại",
    "classified": "Phân loại",
    "assigned": "Phân công xử lý",
    "transferred": "Chuyển cơ quan khác xử lý",
    "info_requested": "Yêu cầu bổ sung thông tin",
    "info_supplied": "Bổ sung thông tin",
    "refused": "Từ chối tiếp nhận",
    "answered": "Trả lời",
    "published": "Công khai kết quả",
    "rated": "Đánh giá kết quả trả lời",
}
#: Timeline entries a submitter sees (internal assignment notes stay inside the agency).
SUBMITTER_EVENTS = frozenset({"submitted", "transferred", "info_requested", "info_supplied", "refused", "answered",
                              "published", "rated", "raised_again"})


# --- Rule sets -----------------------------------------------------------------------------------


def rule_set_in_force(day: date) -> FeedbackRuleSet:
    """The rule set valid on ``day``; ValidationFailed when none (or, by a data error, several) is."""
    found = list(
        FeedbackRuleSet.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))[:2]
    )
    if not found:
        raise ValidationFailed(
            f"Chưa có quy định thời hạn xử lý phản ánh, kiến nghị áp dụng cho ngày {day:%d/%m/%Y}.",
            code="no_rule_set",
        )
    if len(found) > 1:
        raise ValidationFailed(
            f"Có nhiều bộ quy tắc xử lý PAKN cùng hiệu lực ngày {day:%d/%m/%Y}; cần sửa dữ liệu.",
            code="overlapping_rule_sets",
        )
    return found[0]


def rule_sets() -> QuerySet[FeedbackRuleSet]:
    return FeedbackRuleSet.objects.order_by("valid_from")


# --- Lookups -------------------------------------------------------------------------------------


_RELATED = ("agency", "unit", "procedure", "dossier", "submitter", "assignee", "rule_set", "follow_up_of")


def petition_visible_queryset(user: Any) -> QuerySet[Petition]:
    """Petitions an officer may see: handling agency in the user's scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Petition.objects.none()
    return scope_queryset(Petition.objects.all(), user, agency_field="agency")


def petition_get_for_officer(user: Any, code: str) -> Petition:
    petition = petition_visible_queryset(user).select_related(*_RELATED).filter(code=code).first()
    if petition is None:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.", code="petition_not_found")
    return petition


def petition_get_for_user(user: Any, code: str) -> Petition:
    """By code: an officer in scope, or the account that sent it; anyone else gets NotFound."""
    petition = Petition.objects.select_related(*_RELATED).filter(code=code).first()
    if petition is not None and (
        is_submitter(user, petition) or petition_visible_queryset(user).filter(pk=petition.pk).exists()
    ):
        return petition
    raise NotFound("Không tìm thấy phản ánh, kiến nghị.", code="petition_not_found")


def assignee_candidates(petition: Petition) -> list[Any]:
    """Active officers who may handle this petition: a handler role over its agency."""
    from chinhquyenso.accounts.models import RoleAssignment, User

    agency = petition.agency
    user_ids = RoleAssignment.objects.filter(role__in=HANDLER_ROLES).filter(
        Q(agency_id=agency.pk) | Q(agency__isnull=True, unit_id=agency.unit_id)
    ).values("user_id")
    users = User.objects.filter(pk__in=user_ids, is_active=True).order_by("full_name", "username")
    return [u for u in users if has_role(u, *HANDLER_ROLES, agency=agency.pk)]


def petition_events(petition: Petition) -> QuerySet[PetitionEvent]:
    return petition.events.select_related("agency").order_by("seq")


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


# --- Due colours ---------------------------------------------------------------------------------


def current_due(petition: Petition) -> datetime | None:
    """The deadline that matters now: the reply while open, the publication while it waits for it."""
    if petition.status in OPEN_STATUSES:
        return petition.reply_due_at
    if petition.status == PetitionStatus.ANSWERED and petition.publish_intended:
        return petition.publish_due_at
    return None


def due_state(petition: Petition, *, today: date | None = None, cal: WorkingCalendar | None = None) -> str:
    """``"late"``, ``"soon"``, ``"ok"`` for the inbox colours (CSS ``due-…``), ``""`` when nothing is due."""
    due = current_due(petition)
    if due is None:
        return ""
    cal = cal or get_calendar()
    today = today or timezone.localdate()
    due_day = due.astimezone(cal.tz).date()
    if cal.working_days_between(due_day, today) > 0:
        return "late"
    if cal.working_days_between(today, due_day) <= SOON_WORKING_DAYS:
        return "soon"
    return "ok"


def working_days_left(
    petition: Petition, *, today: date | None = None, cal: WorkingCalendar | None = None
) -> int | None:
    due = current_due(petition)
    if due is None:
        return None
    cal = cal or get_calendar()
    return cal.working_days_between(today or timezone.localdate(), due.astimezone(cal.tz).date())


# --- Lists ---------------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TIMEZONE)


def _search(qs: QuerySet[Petition], q: str) -> QuerySet[Petition]:
    for word in fold(q).split()[:8]:
        qs = qs.filter(search_text__contains=word)
    return qs


def petition_inbox(
    user: Any,
    *,
    status: str | None = None,
    topic: str | None = None,
    due: str | None = None,
    q: str = "",
    agency_id: int | None = None,
    assigned_to_me: bool = False,
    today: date | None = None,
) -> QuerySet[Petition]:
    """The officer inbox: open petitions first by reply due date, filters in the query string.

    ``due``: ``"late"`` (past the reply or publication due day), ``"soon"`` (at most
    :data:`SOON_WORKING_DAYS` working days left), ``"open"`` (still being handled).
    """
    qs = petition_visible_queryset(user).select_related("agency", "assignee", "procedure")
    if status:
        if status not in PetitionStatus.values:
            raise ValidationFailed("Trạng thái không hợp lệ.", code="status_invalid")
        qs = qs.filter(status=status)
    if topic:
        if topic not in Topic.values:
            raise ValidationFailed("Phân loại không hợp lệ.", code="topic_invalid")
        qs = qs.filter(Q(classification=topic) | Q(classification="", topic=topic))
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if assigned_to_me:
        qs = qs.filter(assignee_id=getattr(user, "pk", None))
    if q:
        qs = _search(qs, q)
    if due:
        if due not in DUE_FILTERS:
            raise ValidationFailed("Bộ lọc hạn xử lý không hợp lệ.", code="due_filter_invalid")
        qs = _due_filter(qs, due, today or timezone.localdate())
    return qs.order_by("reply_due_at", "id")


def _due_filter(qs: QuerySet[Petition], due: str, today: date) -> QuerySet[Petition]:
    open_q = Q(status__in=[str(s) for s in OPEN_STATUSES])
    waiting_publish = Q(status=PetitionStatus.ANSWERED, publish_intended=True)
    if due == "open":
        return qs.filter(open_q)
    cal = get_calendar()
    if due == "late":
        # Late once a working day has passed after the due day (due days are working days).
        last_working = today if cal.is_working_day(today) else cal.add_working_days(today, -1)
        bound = _day_start(last_working)
        return qs.filter((open_q & Q(reply_due_at__lt=bound)) | (waiting_publish & Q(publish_due_at__lt=bound)))
    # soon: not late, due within SOON_WORKING_DAYS working days
    upper = _day_start(cal.add_working_days(today, SOON_WORKING_DAYS) + timedelta(days=1))
    late_ids = _due_filter(qs, "late", today).values("pk")
    return qs.filter((open_q & Q(reply_due_at__lt=upper)) | (waiting_publish & Q(publish_due_at__lt=upper))).exclude(
        pk__in=late_ids
    )


def petitions_of_submitter(user: Any) -> QuerySet[Petition]:
    """Phản ánh của tôi."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Petition.objects.none()
    return Petition.objects.filter(submitter_id=user.pk).select_related("agency").order_by("-received_at", "-id")


def petitions_published(*, q: str = "", agency_id: int | None = None, topic: str | None = None) -> QuerySet[Petition]:
    """Published answers, newest first. Callers show only the public fields (no personal data)."""
    qs = Petition.objects.filter(status=PetitionStatus.PUBLISHED).select_related("agency", "procedure")
    if q:
        for word in fold(q).split()[:8]:
            qs = qs.filter(public_search_text__contains=word)
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if topic:
        qs = qs.filter(Q(classification=topic) | Q(classification="", topic=topic))
    return qs.order_by("-published_at", "-id")


def petition_published_get(code: str) -> Petition:
    petition = Petition.objects.select_related("agency", "procedure").filter(
        code=code, status=PetitionStatus.PUBLISHED
    ).first()
    if petition is None:
        raise NotFound("Không tìm thấy kết quả trả lời đã công khai.", code="petition_not_found")
    return petition


@dataclass(frozen=True)
class Tracking:
    """What anyone holding the code may see: no content, no personal data."""

    code: str
    status: str
    status_label: str
    agency_name: str
    received_at: datetime
    reply_due_at: datetime | None
    answered_at: datetime | None
    refused_at: datetime | None
    published: bool


def petition_track(code: str) -> Tracking:
    petition = Petition.objects.select_related("agency").filter(code=(code or "").strip().upper()).first()
    if petition is None:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị với mã này.", code="petition_not_found")
    return Tracking(
        code=petition.code, status=petition.status, status_label=str(petition.get_status_display()),
        agency_name=petition.agency.name, received_at=petition.received_at, reply_due_at=petition.reply_due_at,
        answered_at=petition.answered_at, refused_at=petition.refused_at,
        published=petition.status == PetitionStatus.PUBLISHED,
    )


# --- 766 indicators 5.1–5.3 ----------------------------------------------------------------------


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start, end]`` (days, both included) as local-midnight bounds ``[lo, hi)``."""
    if end < start:
        raise ValidationFailed("Ngày cuối kỳ phải sau ngày đầu kỳ.", code="period_invalid")
    return _day_start(start), _day_start(end + timedelta(days=1))


def _in_units(
    qs: QuerySet[Petition], agency_ids: Iterable[int] | None, unit_ids: Iterable[int] | None
) -> QuerySet[Petition]:
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=list(agency_ids))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return qs


def _as_of(end: date, today: date | None) -> date:
    """Open petitions are judged at the end of the period, or today while the period runs."""
    return min(end, today or timezone.localdate())


def indicator_petition_classification(
    *, start: date, end: date, agency_ids: Iterable[int] | None = None, unit_ids: Iterable[int] | None = None
) -> tuple[int, int, int]:
    """766 5.1: ``(about regulations/TTHC, about officers' conduct, total)`` of petitions received
    (or transferred in) during ``[start, end]``, by the officer's classification when made."""
    lo, hi = period_bounds(start, end)
    qs = _in_units(Petition.objects.filter(clock_started_at__gte=lo, clock_started_at__lt=hi), agency_ids, unit_ids)
    regulation = staff = total = 0
    for classification, topic in qs.values_list("classification", "topic").iterator():
        total += 1
        effective = classification or topic
        regulation += effective == Topic.REGULATION
        staff += effective == Topic.STAFF_CONDUCT
    return regulation, staff, total


def indicator_petition_on_time(
    *,
    start: date,
    end: date,
    agency_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> tuple[int, int]:
    """766 5.2 ``(numerator, denominator)``: petitions whose clock started (received, or transferred
    in) during ``[start, end]``, and how many of them are on time as of the end of the period."""
    lo, hi = period_bounds(start, end)
    qs = _in_units(
        Petition.objects.filter(clock_started_at__gte=lo, clock_started_at__lt=hi).select_related("rule_set"),
        agency_ids, unit_ids,
    )
    cal = get_calendar()
    as_of = _as_of(end, today)
    on_time = total = 0
    for petition in qs.iterator(chunk_size=500):
        total += 1
        on_time += rules.petition_on_time(petition, as_of, cal=cal)
    return on_time, total


def indicator_petition_satisfaction(
    *,
    start: date,
    end: date,
    agency_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> tuple[int, int]:
    """766 5.3 ``(numerator, denominator)`` over the petitions first received during ``[start, end]``
    (follow-ups that raise an earlier petition again are not new petitions)."""
    result = indicator_petition_satisfaction_breakdown(
        start=start, end=end, agency_ids=agency_ids, unit_ids=unit_ids, today=today
    )
    return result.numerator, result.denominator


def indicator_petition_satisfaction_breakdown(
    *,
    start: date,
    end: date,
    agency_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> rules.SatisfactionBreakdown:
    lo, hi = period_bounds(start, end)
    qs = _in_units(
        Petition.objects.filter(received_at__gte=lo, received_at__lt=hi, follow_up_of__isnull=True)
        .select_related("rule_set"),
        agency_ids, unit_ids,
    )
    return rules.petition_satisfaction_breakdown(
        qs.iterator(chunk_size=500), period_end=_as_of(end, today), cal=get_calendar()
    )

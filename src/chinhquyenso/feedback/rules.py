"""The 766 rules for PAKN as pure functions (QĐ 766/QĐ-TTg, indicators 5.2 and 5.3).

**5.2 PETITION_PROCESSING_ON_TIME** — a petition is on time when, as of the end of the period:

* the reply (trả lời) came ≤ ``reply_days`` (15) working days after the clock started, i.e. after
  receipt or, for a transferred petition, after it was transferred in;
* a refusal (từ chối tiếp nhận) came ≤ ``refuse_days`` (2) working days after the start;
* the first request for more information (yêu cầu bổ sung thông tin lần đầu) came
  ≤ ``first_info_request_days`` (5) working days after the start;
* the answer was published (công khai) ≤ ``publish_days`` (2) working days after the answer,
  when it is to be published;
* a petition still in progress at the end of the period is on time when
  (end of period − start) ≤ ``in_progress_days`` (15) working days.

Counting: "n working days after the start" is the n-th working day after the receipt day, and the
receipt day is the day of :meth:`WorkingCalendar.next_working_moment` (a petition sent at night or
on a holiday starts the next working morning), exactly like :func:`~chinhquyenso.workdays.calendar.deadline`.
An action is late when more than n working days separate the receipt day from the day of the
action: an answer sent on the Saturday after a Friday due date has used 15 working days, not 16.

**As of the end of the period**: facts dated after ``period_end`` are ignored, so a past period
gives the same answer whenever it is recomputed; a petition answered after the period ended was
in progress at its end.

**5.3 PETITION_HANDLING_SATISFACTION** = (total − disliked − late − raised again) / total, over the
petitions first received in the period. A petition in more than one of those groups is taken off
once (see :func:`petition_satisfaction_breakdown`): subtracting it twice could push the rate below
zero, which a rate cannot be. Ratings and "raised again" are taken as they stand when computed.

No database access here when ``rules`` and ``cal`` are given: the arithmetic is property-tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chinhquyenso.workdays.calendar import WorkingCalendar


@dataclass(frozen=True)
class PetitionRules:
    """The time limits of one :class:`~chinhquyenso.feedback.models.FeedbackRuleSet`, in working days."""

    reply_days: int
    refuse_days: int
    first_info_request_days: int
    publish_days: int
    in_progress_days: int
    code: str = ""

    @classmethod
    def from_rule_set(cls, rule_set: Any) -> PetitionRules:
        return cls(
            reply_days=rule_set.reply_days, refuse_days=rule_set.refuse_days,
            first_info_request_days=rule_set.first_info_request_days, publish_days=rule_set.publish_days,
            in_progress_days=rule_set.in_progress_days, code=rule_set.code,
        )


class PetitionFacts(Protocol):
    """What the rules read; :class:`~chinhquyenso.feedback.models.Petition` has all of it."""

    received_at: datetime
    transferred_at: datetime | None
    first_info_request_at: datetime | None
    refused_at: datetime | None
    answered_at: datetime | None
    published_at: datetime | None
    publish_intended: bool


class SatisfactionFacts(PetitionFacts, Protocol):
    like_count: int
    dislike_count: int
    raised_again_at: datetime | None


@dataclass(frozen=True)
class DueDates:
    """Due moments (closing time of the due day) counted from the start of the clock."""

    refuse: datetime
    first_info_request: datetime
    reply: datetime


class LateReason:
    REFUSE = "refuse_late"
    INFO_REQUEST = "info_request_late"
    REPLY = "reply_late"
    IN_PROGRESS = "in_progress_late"
    PUBLISH = "publish_late"


LATE_REASON_LABELS = {
    LateReason.REFUSE: "Từ chối tiếp nhận quá hạn",
    LateReason.INFO_REQUEST: "Yêu cầu bổ sung thông tin lần đầu quá hạn",
    LateReason.REPLY: "Trả lời quá hạn",
    LateReason.IN_PROGRESS: "Đang xử lý quá hạn",
    LateReason.PUBLISH: "Công khai kết quả quá hạn",
}


def clock_start(petition: PetitionFacts) -> datetime:
    """Where the deadlines count from: the transfer in, else the receipt (766 §5.2)."""
    return petition.transferred_at or petition.received_at


def _default_calendar() -> WorkingCalendar:
    from chinhquyenso.workdays.calendar import get_calendar

    return get_calendar()


def _default_rules(petition: Any) -> PetitionRules:
    """The rule set the petition remembers, else the one in force when its clock started."""
    rule_set = getattr(petition, "rule_set", None)
    if rule_set is not None:
        return PetitionRules.from_rule_set(rule_set)
    from chinhquyenso.feedback.selectors import rule_set_in_force

    start = clock_start(petition)
    return PetitionRules.from_rule_set(rule_set_in_force(_local_day(_default_calendar(), start)))


def _local_day(cal: WorkingCalendar, moment: datetime) -> date:
    return moment.astimezone(cal.tz).date()


def receipt_day(start: datetime, cal: WorkingCalendar) -> date:
    """The day the clock really starts: the next working moment's day (after-hours rule)."""
    return _local_day(cal, cal.next_working_moment(start))


def working_days_used(start: datetime, day: date, cal: WorkingCalendar) -> int:
    """Working days in (receipt day, ``day``]: how many of the limit an action on ``day`` used."""
    return cal.working_days_between(receipt_day(start, cal), day)


def due_dates(start: datetime, rules: PetitionRules, cal: WorkingCalendar) -> DueDates:
    return DueDates(
        refuse=cal.deadline(start, rules.refuse_days, "working_day"),
        first_info_request=cal.deadline(start, rules.first_info_request_days, "working_day"),
        reply=cal.deadline(start, rules.reply_days, "working_day"),
    )


def publish_due(answered_at: datetime, rules: PetitionRules, cal: WorkingCalendar) -> datetime:
    return cal.deadline(answered_at, rules.publish_days, "working_day")


def late_reasons(
    petition: PetitionFacts,
    period_end: date,
    *,
    rules: PetitionRules | None = None,
    cal: WorkingCalendar | None = None,
) -> list[str]:
    """Why the petition counts as late as of ``period_end`` (empty: on time). See the module doc."""
    cal = cal or _default_calendar()
    rules = rules or _default_rules(petition)
    start = clock_start(petition)
    if _local_day(cal, start) > period_end:
        start = petition.received_at  # transferred only after the period: it ran at the first agency then
        if _local_day(cal, start) > period_end:
            return []  # not received yet in that period: nothing can be late

    def by_end(moment: datetime | None) -> date | None:
        if moment is None:
            return None
        day = _local_day(cal, moment)
        return day if day <= period_end else None

    def used(day: date) -> int:
        return working_days_used(start, day, cal)

    reasons: list[str] = []
    info_day = by_end(petition.first_info_request_at)
    # An information request made before a transfer belongs to the previous agency's clock.
    if info_day is not None and petition.first_info_request_at is not None and petition.first_info_request_at >= start:
        if used(info_day) > rules.first_info_request_days:
            reasons.append(LateReason.INFO_REQUEST)
    refused_day = by_end(petition.refused_at)
    answered_day = by_end(petition.answered_at)
    if refused_day is not None:
        if used(refused_day) > rules.refuse_days:
            reasons.append(LateReason.REFUSE)
    elif answered_day is not None and petition.answered_at is not None:
        if used(answered_day) > rules.reply_days:
            reasons.append(LateReason.REPLY)
        published_day = by_end(petition.published_at)
        if petition.publish_intended or published_day is not None:
            check_day = published_day if published_day is not None else period_end
            if working_days_used(petition.answered_at, check_day, cal) > rules.publish_days:
                reasons.append(LateReason.PUBLISH)
    elif used(period_end) > rules.in_progress_days:
        reasons.append(LateReason.IN_PROGRESS)
    return reasons


def petition_on_time(
    petition: PetitionFacts,
    period_end: date,
    *,
    rules: PetitionRules | None = None,
    cal: WorkingCalendar | None = None,
) -> bool:
    """766 indicator 5.2 for one petition, as of the last day of the period (inclusive)."""
    return not late_reasons(petition, period_end, rules=rules, cal=cal)


@dataclass(frozen=True)
class SatisfactionBreakdown:
    """5.3 in detail. ``unsatisfied`` counts each petition once, whatever the number of reasons."""

    total: int
    disliked: int
    late: int
    raised_again: int
    unsatisfied: int

    @property
    def numerator(self) -> int:
        return self.total - self.unsatisfied

    @property
    def denominator(self) -> int:
        return self.total


def petition_satisfaction_breakdown(
    petitions: Iterable[SatisfactionFacts],
    *,
    period_end: date | None = None,
    rules_for: Callable[[Any], PetitionRules] | None = None,
    cal: WorkingCalendar | None = None,
) -> SatisfactionBreakdown:
    """Count the petitions (all first received in the period) that pull 5.3 down, and why.
    ``period_end`` defaults to today (Vietnam time)."""
    cal = cal or _default_calendar()
    if period_end is None:
        period_end = _local_day(cal, datetime.now(cal.tz))
    pick = rules_for or _default_rules
    total = disliked = late = raised = unsatisfied = 0
    for petition in petitions:
        total += 1
        is_disliked = petition.dislike_count > petition.like_count
        is_late = not petition_on_time(petition, period_end, rules=pick(petition), cal=cal)
        is_raised = petition.raised_again_at is not None
        disliked += is_disliked
        late += is_late
        raised += is_raised
        unsatisfied += is_disliked or is_late or is_raised
    return SatisfactionBreakdown(total=total, disliked=disliked, late=late, raised_again=raised,
                                 unsatisfied=unsatisfied)


def petition_satisfaction_counts(
    petitions: Iterable[SatisfactionFacts],
    *,
    period_end: date | None = None,
    rules_for: Callable[[Any], PetitionRules] | None = None,
    cal: WorkingCalendar | None = None,
) -> tuple[int, int]:
    """766 indicator 5.3: ``(numerator, denominator)``; the caller passes the petitions first received
    in the period (follow-ups excluded)."""
    result = petition_satisfaction_breakdown(petitions, period_end=period_end, rules_for=rules_for, cal=cal)
    return result.numerator, result.denominator

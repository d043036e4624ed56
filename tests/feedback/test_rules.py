"""The 766 PAKN rules (5.2 on time, 5.3 satisfaction) as pure functions, over a pure calendar.

The calendar is the ``holidays`` package's (no database), so the arithmetic is checked against a
brute-force day-by-day count with hypothesis, and on known dates around Tết 2026 (16–20/02/2026 off).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinhquyenso.feedback.rules import (
    LateReason,
    PetitionRules,
    due_dates,
    late_reasons,
    petition_on_time,
    petition_satisfaction_breakdown,
    petition_satisfaction_counts,
    publish_due,
)
from chinhquyenso.workdays.calendar import TIMEZONE, WorkingCalendar, base_calendar

CAL = WorkingCalendar(*base_calendar(2024, 2029))
RULES = PetitionRules(reply_days=15, refuse_days=2, first_info_request_days=5, publish_days=2, in_progress_days=15,
                      code="QD766-2022")


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)


@dataclasses.dataclass
class Facts:
    received_at: dt.datetime
    transferred_at: dt.datetime | None = None
    first_info_request_at: dt.datetime | None = None
    refused_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    publish_intended: bool = False
    like_count: int = 0
    dislike_count: int = 0
    raised_again_at: dt.datetime | None = None


def on_time(facts: Facts, end: dt.date) -> bool:
    return petition_on_time(facts, end, rules=RULES, cal=CAL)


def reasons(facts: Facts, end: dt.date) -> list[str]:
    return late_reasons(facts, end, rules=RULES, cal=CAL)


def brute_used(start: dt.datetime, day: dt.date) -> int:
    """Working days in (receipt day, day], counted one day at a time (receipt after hours → next day)."""
    local = start.astimezone(TIMEZONE)
    receipt = local.date()
    closing = local.replace(hour=17, minute=0, second=0, microsecond=0)
    if not CAL.is_working_day(receipt) or local >= closing:
        receipt += dt.timedelta(days=1)
        while not CAL.is_working_day(receipt):
            receipt += dt.timedelta(days=1)
    count, d = 0, receipt
    while d < day:
        d += dt.timedelta(days=1)
        count += CAL.is_working_day(d)
    return count


# --- Known dates around Tết 2026 -----------------------------------------------------------------

TET_EVE = vn(2026, 2, 13, 10)  # Friday before the Tết holiday (16–20/02/2026)


def test_due_dates_received_just_before_tet_skip_the_holiday() -> None:
    dues = due_dates(TET_EVE, RULES, CAL)
    assert dues.refuse == vn(2026, 2, 24, 17)  # 23/02, 24/02
    assert dues.first_info_request == vn(2026, 2, 27, 17)
    assert dues.reply == vn(2026, 3, 13, 17)  # 5 + 5 + 5 working days after the holiday week


def test_received_after_closing_counts_from_the_next_working_day() -> None:
    late_evening = vn(2026, 2, 13, 18)
    assert due_dates(late_evening, RULES, CAL).reply == vn(2026, 3, 16, 17)
    saturday = vn(2026, 2, 14, 9)
    assert due_dates(saturday, RULES, CAL).refuse == vn(2026, 2, 25, 17)


def test_reply_on_the_due_day_is_on_time_the_next_working_day_is_late() -> None:
    assert on_time(Facts(TET_EVE, answered_at=vn(2026, 3, 13, 16, 30)), dt.date(2026, 3, 31))
    assert on_time(Facts(TET_EVE, answered_at=vn(2026, 3, 13, 20)), dt.date(2026, 3, 31))  # same day, after hours
    assert on_time(Facts(TET_EVE, answered_at=vn(2026, 3, 14, 10)), dt.date(2026, 3, 31))  # Saturday: 15 days used
    late = Facts(TET_EVE, answered_at=vn(2026, 3, 16, 8))
    assert reasons(late, dt.date(2026, 3, 31)) == [LateReason.REPLY]


def test_refusal_has_its_own_two_day_limit() -> None:
    assert on_time(Facts(TET_EVE, refused_at=vn(2026, 2, 24, 16)), dt.date(2026, 3, 31))
    late = Facts(TET_EVE, refused_at=vn(2026, 2, 25, 9))  # day 3: late even though far inside 15 days
    assert reasons(late, dt.date(2026, 3, 31)) == [LateReason.REFUSE]


def test_first_information_request_has_a_five_day_limit() -> None:
    ok = Facts(TET_EVE, first_info_request_at=vn(2026, 2, 27, 10), answered_at=vn(2026, 3, 10))
    assert on_time(ok, dt.date(2026, 3, 31))
    late = Facts(TET_EVE, first_info_request_at=vn(2026, 3, 2, 10), answered_at=vn(2026, 3, 10))
    assert reasons(late, dt.date(2026, 3, 31)) == [LateReason.INFO_REQUEST]


def test_transfer_restarts_the_clock_and_an_earlier_request_is_not_the_new_agencys() -> None:
    received = vn(2026, 3, 2)
    transferred = vn(2026, 3, 20)
    facts = Facts(received, transferred_at=transferred, first_info_request_at=vn(2026, 3, 16),
                  answered_at=vn(2026, 4, 9))  # 14 working days after the transfer
    assert on_time(facts, dt.date(2026, 4, 30))
    facts.answered_at = vn(2026, 4, 14)
    assert reasons(facts, dt.date(2026, 4, 30)) == [LateReason.REPLY]


def test_a_transfer_after_the_period_is_not_seen_in_it() -> None:
    facts = Facts(vn(2026, 3, 2), transferred_at=vn(2026, 4, 20))
    assert reasons(facts, dt.date(2026, 3, 31)) == [LateReason.IN_PROGRESS]  # 21 working days at the first agency
    assert on_time(facts, dt.date(2026, 4, 30))  # counted from the transfer (27/04 and 30/04 are days off)


def test_in_progress_at_period_end_is_on_time_within_fifteen_working_days() -> None:
    facts = Facts(TET_EVE)
    assert on_time(facts, dt.date(2026, 3, 13))  # the due day itself
    assert on_time(facts, dt.date(2026, 3, 15))  # the weekend after: still 15 working days
    assert reasons(facts, dt.date(2026, 3, 16)) == [LateReason.IN_PROGRESS]


def test_facts_after_the_period_end_are_ignored() -> None:
    answered_late = Facts(TET_EVE, answered_at=vn(2026, 3, 20))
    assert on_time(answered_late, dt.date(2026, 2, 28))  # in progress at the end of February
    assert not on_time(answered_late, dt.date(2026, 3, 31))
    assert on_time(Facts(vn(2026, 4, 1)), dt.date(2026, 3, 31))  # not started yet


def test_publication_within_two_working_days_of_the_answer() -> None:
    answered = vn(2026, 3, 5, 10)  # Thursday
    due = publish_due(answered, RULES, CAL)
    assert due == vn(2026, 3, 9, 17)
    ok = Facts(TET_EVE, answered_at=answered, publish_intended=True, published_at=vn(2026, 3, 9, 16))
    assert on_time(ok, dt.date(2026, 3, 31))
    late = Facts(TET_EVE, answered_at=answered, publish_intended=True, published_at=vn(2026, 3, 10, 8))
    assert reasons(late, dt.date(2026, 3, 31)) == [LateReason.PUBLISH]
    waiting = Facts(TET_EVE, answered_at=answered, publish_intended=True)
    assert on_time(waiting, dt.date(2026, 3, 9))
    assert reasons(waiting, dt.date(2026, 3, 10)) == [LateReason.PUBLISH]
    private = Facts(TET_EVE, answered_at=answered, publish_intended=False)
    assert on_time(private, dt.date(2026, 12, 31))


def test_several_reasons_are_all_reported() -> None:
    facts = Facts(TET_EVE, first_info_request_at=vn(2026, 3, 10), answered_at=vn(2026, 3, 20), publish_intended=True)
    assert reasons(facts, dt.date(2026, 3, 31)) == [LateReason.INFO_REQUEST, LateReason.REPLY, LateReason.PUBLISH]


# --- Properties ----------------------------------------------------------------------------------

starts = st.builds(
    lambda day, minutes: dt.datetime.combine(day, dt.time(), tzinfo=TIMEZONE) + dt.timedelta(minutes=minutes),
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
    st.integers(min_value=0, max_value=24 * 60 - 1),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, days=st.integers(min_value=0, max_value=60), hour=st.integers(min_value=0, max_value=23))
def test_reply_on_time_matches_a_day_by_day_count(start: dt.datetime, days: int, hour: int) -> None:
    answered = dt.datetime.combine(start.date() + dt.timedelta(days=days), dt.time(hour), tzinfo=TIMEZONE)
    if answered < start:
        answered = start
    facts = Facts(start, answered_at=answered)
    expected = brute_used(start, answered.date()) <= RULES.reply_days
    assert on_time(facts, dt.date(2028, 12, 31)) is expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, days=st.integers(min_value=0, max_value=60))
def test_in_progress_on_time_matches_a_day_by_day_count(start: dt.datetime, days: int) -> None:
    end = start.date() + dt.timedelta(days=days)
    assert on_time(Facts(start), end) is (brute_used(start, end) <= RULES.in_progress_days)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts)
def test_due_moment_is_the_last_on_time_moment(start: dt.datetime) -> None:
    dues = due_dates(start, RULES, CAL)
    assert on_time(Facts(start, answered_at=dues.reply), dt.date(2028, 12, 31))
    next_day = CAL.add_working_days(dues.reply.date(), 1)
    assert not on_time(Facts(start, answered_at=CAL.opening(next_day)), dt.date(2028, 12, 31))
    assert on_time(Facts(start, refused_at=dues.refuse), dt.date(2028, 12, 31))
    assert dues.refuse <= dues.first_info_request <= dues.reply
    assert CAL.is_working_day(dues.reply.date())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, a=st.integers(min_value=0, max_value=40), b=st.integers(min_value=0, max_value=40))
def test_answering_earlier_is_never_worse(start: dt.datetime, a: int, b: int) -> None:
    early, late = sorted((a, b))
    at_early = start + dt.timedelta(days=early)
    at_late = start + dt.timedelta(days=late)
    if on_time(Facts(start, answered_at=at_late), dt.date(2028, 12, 31)):
        assert on_time(Facts(start, answered_at=at_early), dt.date(2028, 12, 31))


flags = st.fixed_dictionaries({
    "likes": st.integers(min_value=0, max_value=3),
    "dislikes": st.integers(min_value=0, max_value=3),
    "answer_after": st.integers(min_value=0, max_value=40),
    "raised": st.booleans(),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(flags, max_size=12), start=starts)
def test_satisfaction_takes_each_unsatisfying_petition_off_once(
    items: list[dict[str, int]], start: dt.datetime
) -> None:
    petitions = [
        Facts(start, answered_at=start + dt.timedelta(days=i["answer_after"]), like_count=i["likes"],
              dislike_count=i["dislikes"], raised_again_at=start if i["raised"] else None)
        for i in items
    ]
    end = dt.date(2028, 12, 31)
    numerator, denominator = petition_satisfaction_counts(petitions, period_end=end, rules_for=lambda p: RULES,
                                                          cal=CAL)
    expected = sum(
        1 for p in petitions
        if p.dislike_count <= p.like_count and p.raised_again_at is None and on_time(p, end)
    )
    assert denominator == len(petitions)
    assert numerator == expected
    assert 0 <= numerator <= denominator
    detail = petition_satisfaction_breakdown(petitions, period_end=end, rules_for=lambda p: RULES, cal=CAL)
    assert max(detail.disliked, detail.late, detail.raised_again) <= detail.unsatisfied
    assert detail.unsatisfied <= detail.disliked + detail.late + detail.raised_again


def test_satisfaction_formula_on_a_worked_example() -> None:
    """10 petitions: 1 disliked, 1 late, 1 raised again, 1 both disliked and late → 6/10."""
    good = [Facts(TET_EVE, answered_at=vn(2026, 3, 2), like_count=1) for _ in range(6)]
    disliked = Facts(TET_EVE, answered_at=vn(2026, 3, 2), dislike_count=1)
    late = Facts(TET_EVE, answered_at=vn(2026, 3, 20))
    raised = Facts(TET_EVE, answered_at=vn(2026, 3, 2), raised_again_at=vn(2026, 3, 5))
    both = Facts(TET_EVE, answered_at=vn(2026, 3, 20), like_count=1, dislike_count=2)
    tie = Facts(TET_EVE, answered_at=vn(2026, 3, 2), like_count=1, dislike_count=1)  # not more dislikes: fine
    petitions = [*good[:5], tie, disliked, late, raised, both]
    result = petition_satisfaction_breakdown(petitions, period_end=dt.date(2026, 3, 31), rules_for=lambda p: RULES,
                                             cal=CAL)
    assert (result.total, result.disliked, result.late, result.raised_again, result.unsatisfied) == (10, 2, 2, 1, 4)
    assert (result.numerator, result.denominator) == (6, 10)
    assert petition_satisfaction_counts([], period_end=dt.date(2026, 3, 31), cal=CAL) == (0, 0)

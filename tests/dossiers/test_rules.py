"""The 766 on-time rule (vn-methodology §1.4), by example and by property on random histories."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from chinhquyenso.dossiers.rules import (
    FINISHED,
    PROCESSING,
    RECEIVED,
    REFUSED,
    RETURNED,
    STOPPED,
    SUPPLEMENT_REQUESTED,
    WITHDRAWN,
    OnTimeCategory,
    OnTimeFacts,
    StatusChange,
    SupplementSpan,
    classify_on_time,
    end_of_processing,
    facts_from_changes,
)
from chinhquyenso.workdays.calendar import TIMEZONE

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=TIMEZONE)  # Monday
DUE = dt.datetime(2026, 3, 9, 17, 0, tzinfo=TIMEZONE)  # Monday after, end of office hours
FAR = dt.datetime(2027, 1, 1, tzinfo=TIMEZONE)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def judge(facts: OnTimeFacts, *, due: dt.datetime | None = DUE, period_end: dt.datetime = FAR,
          time_limit: float | None = None, received: dt.datetime | None = T0) -> OnTimeCategory:
    return classify_on_time(received_at=received, due_at=due, events_or_facts=facts, period_end=period_end,
                            time_limit=time_limit).category


# --- Examples ------------------------------------------------------------------------------------


def test_finished_before_the_due_day_is_early() -> None:
    assert judge(OnTimeFacts(terminal={FINISHED: dt.datetime(2026, 3, 6, 10, tzinfo=TIMEZONE)})) == OnTimeCategory.EARLY


def test_finished_on_the_due_day_is_on_time() -> None:
    assert judge(OnTimeFacts(terminal={FINISHED: dt.datetime(2026, 3, 9, 16, tzinfo=TIMEZONE)})) == \
        OnTimeCategory.ON_TIME
    assert judge(OnTimeFacts(terminal={FINISHED: DUE})) == OnTimeCategory.ON_TIME


def test_finished_after_the_due_moment_is_late() -> None:
    assert judge(OnTimeFacts(terminal={FINISHED: DUE + dt.timedelta(minutes=1)})) == OnTimeCategory.LATE


def test_finished_status_is_preferred_over_an_earlier_return() -> None:
    terminal = {RETURNED: dt.datetime(2026, 3, 5, tzinfo=TIMEZONE), FINISHED: DUE + dt.timedelta(days=1)}
    assert end_of_processing(terminal) == terminal[FINISHED]
    assert judge(OnTimeFacts(terminal=terminal)) == OnTimeCategory.LATE


def test_preference_order_of_terminal_statuses() -> None:
    a, b, c, d = (h(1), h(2), h(3), h(4))
    assert end_of_processing({RETURNED: b, STOPPED: a}) == b
    assert end_of_processing({STOPPED: c, REFUSED: b, WITHDRAWN: a}) == b
    assert end_of_processing({WITHDRAWN: d}) == d
    assert end_of_processing({WITHDRAWN: d}, received=False) is None


def test_stopped_refused_withdrawn_end_processing() -> None:
    for status in (STOPPED, REFUSED, WITHDRAWN):
        assert judge(OnTimeFacts(terminal={status: h(5)})) == OnTimeCategory.EARLY
        assert judge(OnTimeFacts(terminal={status: DUE + dt.timedelta(hours=1)})) == OnTimeCategory.LATE


def test_not_received_is_outside_the_indicator() -> None:
    assert judge(OnTimeFacts(), received=None) == OnTimeCategory.NOT_RECEIVED
    assert judge(OnTimeFacts(), received=T0, period_end=T0 - dt.timedelta(days=1)) == OnTimeCategory.NOT_RECEIVED


def test_unfinished_is_judged_at_the_period_end() -> None:
    assert judge(OnTimeFacts(), period_end=DUE) == OnTimeCategory.IN_PROGRESS_ON_TIME
    assert judge(OnTimeFacts(), period_end=DUE + dt.timedelta(seconds=1)) == OnTimeCategory.IN_PROGRESS_LATE
    # Finished after the period: still "in progress" for that period.
    facts = OnTimeFacts(terminal={FINISHED: DUE + dt.timedelta(days=3)})
    assert judge(facts, period_end=h(10)) == OnTimeCategory.IN_PROGRESS_ON_TIME


def test_waiting_for_supplement_ends_processing_at_the_request() -> None:
    facts = OnTimeFacts(supplements=(SupplementSpan(h(20), None),))
    result = classify_on_time(received_at=T0, due_at=DUE, events_or_facts=facts, period_end=FAR)
    assert result.category == OnTimeCategory.EARLY and result.end_at == h(20) and result.finished
    late_request = OnTimeFacts(supplements=(SupplementSpan(DUE + dt.timedelta(hours=2), None),))
    assert judge(late_request) == OnTimeCategory.LATE


def test_answer_after_the_period_counts_as_still_waiting() -> None:
    answered = DUE + dt.timedelta(days=10)
    spans = (SupplementSpan(DUE - dt.timedelta(hours=1), answered),)  # waited 10 days + 1 hour
    in_time = OnTimeFacts(terminal={FINISHED: answered + dt.timedelta(minutes=30)}, supplements=spans)
    too_slow = OnTimeFacts(terminal={FINISHED: answered + dt.timedelta(hours=2)}, supplements=spans)
    assert judge(in_time, period_end=FAR) == OnTimeCategory.ON_TIME
    assert judge(too_slow, period_end=FAR) == OnTimeCategory.LATE
    # Judged for a period that closed while the citizen had not answered: the request ended processing.
    assert judge(too_slow, period_end=DUE + dt.timedelta(days=5)) == OnTimeCategory.ON_TIME


def test_supplement_time_is_subtracted() -> None:
    finish = DUE + dt.timedelta(hours=30)
    assert judge(OnTimeFacts(terminal={FINISHED: finish})) == OnTimeCategory.LATE
    waited = OnTimeFacts(terminal={FINISHED: finish}, supplements=(SupplementSpan(h(10), h(10 + 48)),))
    result = classify_on_time(received_at=T0, due_at=DUE, events_or_facts=waited, period_end=FAR)
    assert result.supplement_hours == 48 and result.effective_due_at == DUE + dt.timedelta(hours=48)
    assert result.category == OnTimeCategory.EARLY


def test_a_second_supplement_request_is_late() -> None:
    facts = OnTimeFacts(terminal={FINISHED: h(30)},
                        supplements=(SupplementSpan(h(1), h(2)), SupplementSpan(h(3), h(4))))
    assert judge(facts) == OnTimeCategory.LATE
    in_progress = OnTimeFacts(supplements=(SupplementSpan(h(1), h(2)), SupplementSpan(h(3), h(4))))
    assert judge(in_progress, period_end=h(10)) == OnTimeCategory.IN_PROGRESS_LATE


def test_no_due_date_uses_the_time_limit() -> None:
    facts = OnTimeFacts(terminal={FINISHED: h(40)}, supplements=(SupplementSpan(h(5), h(15)),))
    assert judge(facts, due=None, time_limit=30) == OnTimeCategory.ON_TIME  # 40 − 10 ≤ 30
    assert judge(facts, due=None, time_limit=29) == OnTimeCategory.LATE
    assert judge(facts, due=None, time_limit=None) in (OnTimeCategory.ON_TIME, OnTimeCategory.EARLY)


def test_facts_from_status_changes() -> None:
    changes = [StatusChange(RECEIVED, h(0)), StatusChange(PROCESSING, h(1)), StatusChange(SUPPLEMENT_REQUESTED, h(2)),
               StatusChange(PROCESSING, h(5)), StatusChange(FINISHED, h(9)), StatusChange(RETURNED, h(10))]
    facts = facts_from_changes(changes)
    assert facts.supplements == (SupplementSpan(h(2), h(5)),)
    assert facts.terminal == {FINISHED: h(9), RETURNED: h(10)}
    assert classify_on_time(received_at=T0, due_at=DUE, events_or_facts=changes, period_end=FAR) == \
        classify_on_time(received_at=T0, due_at=DUE, events_or_facts=facts, period_end=FAR)


# --- Properties ----------------------------------------------------------------------------------

hours = st.integers(min_value=0, max_value=24 * 40)


@st.composite
def histories(draw: st.DrawFn, *, max_supplements: int = 3) -> tuple[dt.datetime, tuple[SupplementSpan, ...],
                                                                      dt.datetime]:
    """(due, non-overlapping answered supplement spans, the moment after the last answer)."""
    due = h(draw(st.integers(min_value=1, max_value=24 * 20)))
    cursor = draw(st.integers(min_value=0, max_value=100))
    spans = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_supplements))):
        start = cursor + draw(st.integers(min_value=1, max_value=200))
        end = start + draw(st.integers(min_value=1, max_value=200))
        spans.append(SupplementSpan(h(start), h(end)))
        cursor = end
    return due, tuple(spans), h(cursor)


LATE = {OnTimeCategory.LATE, OnTimeCategory.IN_PROGRESS_LATE}


@settings(max_examples=300, deadline=None)
@given(histories(), hours, hours, st.sampled_from([FINISHED, RETURNED, STOPPED, REFUSED, WITHDRAWN]))
def test_finishing_later_never_turns_late_into_on_time(history: tuple, a: int, b: int, status: int) -> None:
    due, spans, after = history
    first, second = sorted((a, b))
    early = judge(OnTimeFacts(terminal={status: after + dt.timedelta(hours=first)}, supplements=spans), due=due)
    later = judge(OnTimeFacts(terminal={status: after + dt.timedelta(hours=second)}, supplements=spans), due=due)
    if early in LATE:
        assert later in LATE


@settings(max_examples=300, deadline=None)
@given(histories(max_supplements=4), hours, st.booleans())
def test_two_supplement_requests_are_always_late(history: tuple, extra: int, finished: bool) -> None:
    due, spans, after = history
    terminal = {FINISHED: after + dt.timedelta(hours=extra)} if finished else {}
    result = classify_on_time(received_at=T0, due_at=due, events_or_facts=OnTimeFacts(terminal, spans),
                              period_end=FAR)
    if result.supplement_requests >= 2:
        assert result.category in LATE and not result.on_time
    if len(spans) >= 2:
        assert result.category in LATE


@settings(max_examples=300, deadline=None)
@given(histories(max_supplements=1), hours)
def test_an_answered_supplement_never_makes_a_dossier_late(history: tuple, extra: int) -> None:
    due, spans, after = history
    end = {FINISHED: after + dt.timedelta(hours=extra)}
    without = judge(OnTimeFacts(end, ()), due=due)
    with_pause = judge(OnTimeFacts(end, spans), due=due)
    if without not in LATE:
        assert with_pause not in LATE


@settings(max_examples=300, deadline=None)
@given(histories(), hours, hours, hours)
def test_a_closed_period_is_never_judged_again(history: tuple, extra: int, p1: int, p2: int) -> None:
    """For a finished dossier, any period ending after everything happened gives the same answer."""
    due, spans, after = history
    end = after + dt.timedelta(hours=extra)
    facts = OnTimeFacts({FINISHED: end}, spans)
    one = judge(facts, due=due, period_end=end + dt.timedelta(hours=p1))
    two = judge(facts, due=due, period_end=end + dt.timedelta(hours=p2))
    assert one == two and one in (OnTimeCategory.EARLY, OnTimeCategory.ON_TIME, OnTimeCategory.LATE)


@settings(max_examples=300, deadline=None)
@given(histories(max_supplements=1), hours, hours)
def test_an_unfinished_dossier_late_at_one_period_end_stays_late(history: tuple, p1: int, p2: int) -> None:
    due, spans, after = history
    facts = OnTimeFacts({}, spans)
    first, second = sorted((p1, p2))
    a = judge(facts, due=due, period_end=after + dt.timedelta(hours=first))
    b = judge(facts, due=due, period_end=after + dt.timedelta(hours=second))
    assert a in (OnTimeCategory.IN_PROGRESS_ON_TIME, OnTimeCategory.IN_PROGRESS_LATE)
    if a == OnTimeCategory.IN_PROGRESS_LATE:
        assert b == OnTimeCategory.IN_PROGRESS_LATE


@settings(max_examples=300, deadline=None)
@given(histories(), hours, st.integers(min_value=0, max_value=24 * 60))
def test_early_means_an_earlier_day_and_on_time_not_after_due(history: tuple, extra: int, period: int) -> None:
    due, spans, after = history
    end = after + dt.timedelta(hours=extra)
    result = classify_on_time(received_at=T0, due_at=due, events_or_facts=OnTimeFacts({FINISHED: end}, spans),
                              period_end=T0 + dt.timedelta(hours=period))
    if result.category in (OnTimeCategory.EARLY, OnTimeCategory.ON_TIME, OnTimeCategory.IN_PROGRESS_ON_TIME):
        assert result.effective_due_at is not None and result.judged_at <= result.effective_due_at
    if result.category == OnTimeCategory.EARLY:
        assert result.judged_at.astimezone(TIMEZONE).date() < result.effective_due_at.astimezone(TIMEZONE).date()
    assert result.on_time == (result.category not in LATE)


@settings(max_examples=200, deadline=None)
@given(histories(), hours, st.booleans())
def test_status_changes_and_facts_agree(history: tuple, extra: int, returned: bool) -> None:
    """The rule gives the same answer from the event log as from the stored facts."""
    due, spans, after = history
    changes = [StatusChange(RECEIVED, T0), StatusChange(PROCESSING, T0 + dt.timedelta(minutes=1))]
    for span in spans:
        changes += [StatusChange(SUPPLEMENT_REQUESTED, span.requested_at), StatusChange(PROCESSING, span.returned_at)]
    end = after + dt.timedelta(hours=extra)
    changes.append(StatusChange(FINISHED, end))
    terminal = {FINISHED: end}
    if returned:
        changes.append(StatusChange(RETURNED, end + dt.timedelta(hours=1)))
        terminal[RETURNED] = end + dt.timedelta(hours=1)
    assert judge(facts_from_changes(changes), due=due) == judge(OnTimeFacts(terminal, spans), due=due)

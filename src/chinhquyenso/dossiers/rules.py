"""Pure rules about dossiers: the 766 on-time classification (Decision 766, indicator 2.1).

Nothing here touches the database, so indicators can judge a dossier for any period from the
facts stored on it (``received_at``, ``original_due_at``, terminal timestamps, supplement
spans) or from its event log, and hypothesis can check the rule on random histories.

The rule, from the 766 formula document (reference vn-methodology §1.4):

* **End of processing** (NgayKetThucXuLy) = time of the first terminal status, preferring
  "Đã xử lý xong" (9), then "Đã trả kết quả" (10), then "Dừng xử lý" / "Không được tiếp
  nhận" (8/3); "Công dân yêu cầu rút hồ sơ" (7) also ends processing of a received dossier.
* A dossier waiting for a supplement ("Yêu cầu bổ sung", 5) the citizen has not answered:
  the request's timestamp is the end of processing.
* A **second** supplement request makes the dossier late.
* Supplement time (answered − requested) is subtracted: the due moment moves later by it.
* No due date (NgayHenTra): on time ⇔ end − NgayTiepNhan − supplement time ≤ time limit.
* Not finished: judged at the end of the reporting period.

Time is measured by a :class:`RuleCalendar`. The default, :data:`CALENDAR_TIME`, counts
plain hours; ``selectors`` passes the working calendar so that the supplement pause is
measured in working hours exactly like ``dossier_receive_supplement`` moves ``due_at``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# National status codes (TrangThaiHoSo); duplicated as plain ints so this module stays pure.
NEW, RECEIVED, REFUSED, PROCESSING, SUPPLEMENT_REQUESTED = 1, 2, 3, 4, 5
PAYMENT_REQUIRED, WITHDRAWN, STOPPED, FINISHED, RETURNED = 6, 7, 8, 9, 10

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class RuleCalendar(Protocol):
    """How long is a span, and where does a moment land after some hours of it."""

    def hours_between(self, start: datetime, end: datetime) -> float: ...

    def add_hours(self, start: datetime, hours: float) -> datetime: ...


class _CalendarTime:
    """Plain elapsed time: 24 hours a day, every day."""

    def hours_between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds() / 3600.0)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return start + timedelta(hours=hours)


CALENDAR_TIME: RuleCalendar = _CalendarTime()


class OnTimeCategory(enum.StrEnum):
    EARLY = "early"  # trước hạn: finished on a day before the due day
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn
    IN_PROGRESS_ON_TIME = "in_progress_on_time"  # đang xử lý, còn hạn
    IN_PROGRESS_LATE = "in_progress_late"  # đang xử lý, quá hạn
    NOT_RECEIVED = "not_received"  # not received by the end of the period: outside the indicator

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]

    @property
    def counts_as_on_time(self) -> bool:
        """Numerator of 766 indicator 2.1: finished or in progress, and not late."""
        return self in (OnTimeCategory.EARLY, OnTimeCategory.ON_TIME, OnTimeCategory.IN_PROGRESS_ON_TIME)


_CATEGORY_LABELS = {
    OnTimeCategory.EARLY: "Trước hạn",
    OnTimeCategory.ON_TIME: "Đúng hạn",
    OnTimeCategory.LATE: "Quá hạn",
    OnTimeCategory.IN_PROGRESS_ON_TIME: "Đang xử lý, còn hạn",
    OnTimeCategory.IN_PROGRESS_LATE: "Đang xử lý, quá hạn",
    OnTimeCategory.NOT_RECEIVED: "Chưa tiếp nhận",
}


@dataclass(frozen=True)
class StatusChange:
    """One status the dossier entered, and when (an event reduced to what the rule needs)."""

    status: int
    at: datetime


@dataclass(frozen=True)
class SupplementSpan:
    """One supplement request (Mẫu 02) and, if the citizen answered, when."""

    requested_at: datetime
    returned_at: datetime | None = None


@dataclass(frozen=True)
class OnTimeFacts:
    """What the rule needs, as stored on the dossier.

    ``terminal`` maps a terminal status (3, 7, 8, 9, 10) to the first time the dossier entered it.
    """

    terminal: dict[int, datetime] = field(default_factory=dict)
    supplements: tuple[SupplementSpan, ...] = ()


@dataclass(frozen=True)
class OnTimeResult:
    category: OnTimeCategory
    end_at: datetime | None  # end of processing used for the judgement (None: judged at period_end)
    judged_at: datetime  # end_at, or period_end for dossiers still in progress
    effective_due_at: datetime | None  # due moment after adding the answered supplement time
    supplement_hours: float  # answered supplement time, in the calendar's hours
    supplement_requests: int  # requests made up to the judgement
    finished: bool

    @property
    def on_time(self) -> bool:
        return self.category.counts_as_on_time

    @property
    def late(self) -> bool:
        return self.category in (OnTimeCategory.LATE, OnTimeCategory.IN_PROGRESS_LATE)


TERMINAL_PREFERENCE: tuple[tuple[int, ...], ...] = ((FINISHED,), (RETURNED,), (STOPPED, REFUSED), (WITHDRAWN,))


def facts_from_changes(changes: Iterable[StatusChange]) -> OnTimeFacts:
    """Reduce an ordered list of status changes to :class:`OnTimeFacts`.

    A supplement span starts when the dossier enters 5 and ends when it next enters any other status.
    """
    terminal: dict[int, datetime] = {}
    spans: list[SupplementSpan] = []
    open_request: datetime | None = None
    for change in sorted(changes, key=lambda c: c.at):
        if change.status == SUPPLEMENT_REQUESTED:
            if open_request is None:
                open_request = change.at
            continue
        if open_request is not None:
            spans.append(SupplementSpan(open_request, change.at))
            open_request = None
        if change.status in (REFUSED, WITHDRAWN, STOPPED, FINISHED, RETURNED):
            terminal.setdefault(change.status, change.at)
    if open_request is not None:
        spans.append(SupplementSpan(open_request, None))
    return OnTimeFacts(terminal=terminal, supplements=tuple(spans))


def end_of_processing(terminal: dict[int, datetime], *, received: bool = True) -> datetime | None:
    """First terminal status by the 766 preference order (9, then 10, then 8/3, then 7)."""
    for group in TERMINAL_PREFERENCE:
        if group == (WITHDRAWN,) and not received:
            continue
        times = [terminal[s] for s in group if s in terminal]
        if times:
            return min(times)
    return None


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date() if moment.tzinfo else moment.date()


def classify_on_time(
    *,
    received_at: datetime | None,
    due_at: datetime | None,
    events_or_facts: OnTimeFacts | Sequence[StatusChange],
    period_end: datetime,
    time_limit: float | None = None,
    calendar: RuleCalendar = CALENDAR_TIME,
) -> OnTimeResult:
    """Judge one dossier as of ``period_end`` (766 indicator 2.1).

    ``due_at`` is the appointment given at receipt (``Dossier.original_due_at``): supplement
    time is added here, so pass the date before any supplement shift, and before an apology
    extension (Mẫu 04 does not make a late dossier on time). ``time_limit`` (hours in the
    calendar's measure) is used only when there is no due date.
    Facts after ``period_end`` are ignored, so the answer for a past period never changes.
    """
    facts = (
        events_or_facts if isinstance(events_or_facts, OnTimeFacts) else facts_from_changes(events_or_facts)
    )
    if received_at is None or received_at > period_end:
        return OnTimeResult(OnTimeCategory.NOT_RECEIVED, None, period_end, due_at, 0.0, 0, False)

    terminal = {status: at for status, at in facts.terminal.items() if at <= period_end}
    spans = sorted((s for s in facts.supplements if s.requested_at <= period_end), key=lambda s: s.requested_at)
    end_at = end_of_processing(terminal, received=True)

    # The citizen never answered (as of period_end) a request made before any terminal status:
    # the request is the end of processing.
    for span in spans:
        answered = span.returned_at is not None and span.returned_at <= period_end
        if not answered and (end_at is None or span.requested_at <= end_at):
            end_at = span.requested_at
            break

    judged_at = end_at if end_at is not None else period_end
    counted = [s for s in spans if s.requested_at <= judged_at]
    supplement_hours = sum(
        calendar.hours_between(s.requested_at, min(s.returned_at, judged_at))
        for s in counted
        if s.returned_at is not None and s.returned_at <= period_end
    )
    finished = end_at is not None

    if due_at is not None:
        due = calendar.add_hours(due_at, supplement_hours) if supplement_hours else due_at
        effective_due: datetime | None = due
        in_time = judged_at <= due
    elif time_limit is not None:
        effective_due = calendar.add_hours(received_at, time_limit + supplement_hours)
        in_time = calendar.hours_between(received_at, judged_at) - supplement_hours <= time_limit
    else:
        effective_due = None  # no deadline at all: never late by time
        in_time = True

    if len(counted) >= 2:
        in_time = False  # a second supplement request counts the dossier as late

    if not finished:
        category = OnTimeCategory.IN_PROGRESS_ON_TIME if in_time else OnTimeCategory.IN_PROGRESS_LATE
    elif not in_time:
        category = OnTimeCategory.LATE
    elif effective_due is not None and _local_date(judged_at) < _local_date(effective_due):
        category = OnTimeCategory.EARLY
    else:
        category = OnTimeCategory.ON_TIME
    return OnTimeResult(
        category=category,
        end_at=end_at,
        judged_at=judged_at,
        effective_due_at=effective_due,
        supplement_hours=supplement_hours,
        supplement_requests=len(counted),
        finished=finished,
    )

"""Writes to the calendar table. Each one is atomic, audited, and drops the cached calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.workdays.calendar import invalidate_calendar_cache
from chinhquyenso.workdays.models import CalendarOverride, OverrideKind

_NAME_MAX = CalendarOverride._meta.get_field("name").max_length or 200
_DECISION_MAX = CalendarOverride._meta.get_field("decision").max_length or 200


def _check_day(day: Any) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationFailed("Ngày điều chỉnh phải là một ngày (date), không kèm giờ.")
    return day


def _snapshot(row: CalendarOverride) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "kind": row.kind, "name": row.name, "decision": row.decision, "note": row.note}


def _invalidate() -> None:
    # Now, for the rest of this transaction, and after commit, for readers that rebuilt meanwhile.
    invalidate_calendar_cache()
    transaction.on_commit(invalidate_calendar_cache)


@transaction.atomic
def calendar_override_set(
    *, day: date, kind: str, name: str, decision: str, actor: Any, note: str = ""
) -> CalendarOverride:
    """Make ``day`` a day off or a working day whatever the library says (ngày nghỉ / ngày làm bù),
    citing the decision (e.g. "Thông báo 9441/TB-BNV"). Replaces an existing override of that day."""
    day = _check_day(day)
    if kind not in OverrideKind.values:
        raise ValidationFailed("Loại điều chỉnh phải là 'day_off' (ngày nghỉ) hoặc 'working_day' (ngày làm việc).")
    name, decision, note = (name or "").strip(), (decision or "").strip(), (note or "").strip()
    if not name:
        raise ValidationFailed("Cần tên ngày điều chỉnh (ví dụ: Nghỉ Tết Dương lịch).")
    if not decision:
        raise ValidationFailed("Cần số văn bản quyết định việc điều chỉnh (ví dụ: Thông báo 9441/TB-BNV).")
    if len(name) > _NAME_MAX or len(decision) > _DECISION_MAX:
        raise ValidationFailed(f"Tên ngày và số văn bản không được dài quá {_NAME_MAX} ký tự.")
    row = CalendarOverride.objects.select_for_update().filter(day=day).first()
    before = _snapshot(row) if row else None
    if row is None:
        row = CalendarOverride(day=day)
    row.kind, row.name, row.decision, row.note = kind, name, decision, note
    row.save()
    audit_record(
        action="workdays.override_set", actor=actor, obj=row, summary={"before": before, "after": _snapshot(row)}
    )
    _invalidate()
    return row


@transaction.atomic
def calendar_override_remove(*, day: date, actor: Any) -> None:
    """Remove the override of ``day``: the library calendar applies again."""
    day = _check_day(day)
    row = CalendarOverride.objects.select_for_update().filter(day=day).first()
    if row is None:
        raise NotFound(f"Không có điều chỉnh lịch cho ngày {day:%d/%m/%Y}.")
    audit_record(action="workdays.override_remove", actor=actor, obj=row, summary={"before": _snapshot(row)})
    row.delete()
    _invalidate()

"""Writes: publishing next period's definition set and classification bands, always audited.

A set is every group and sub-indicator row sharing one ``valid_from``. Revising never edits rows in
force: it ends them at the new set's first day (``valid_to`` is exclusive) and writes a full new
set, so scores for earlier dates stay exactly as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, ValidationFailed
from chinhquyenso.indicators.models import (
    ClassificationBand,
    GroupScoring,
    IndicatorDefinition,
    IndicatorGroup,
    Measure,
    ScoringKind,
    Subject,
    ZeroDenominator,
)

TOTAL_MAX_POINTS = Decimal("100")  # QĐ 766: the index is out of 100

DEFINITION_FIELDS = {
    "max_points", "target", "zero_denominator", "zero_denominator_note", "weight_certain", "certainty_note",
    "scoring_kind", "measure", "subject", "name", "numerator_text", "denominator_text", "source", "ref", "order",
}
GROUP_FIELDS = {"max_points", "name", "scoring", "note", "order"}
_CHOICES: dict[str, set[str]] = {
    "zero_denominator": set(ZeroDenominator.values),
    "scoring_kind": set(ScoringKind.values),
    "measure": set(Measure.values),
    "subject": set(Subject.values),
    "scoring": set(GroupScoring.values),
}


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{what} phải là số: {value!r}.") from None
    if not number.is_finite():
        raise ValidationFailed(f"{what} phải là số hữu hạn.")
    return number


def _clean(field: str, value: Any, what: str) -> Any:
    if field == "max_points":
        number = _decimal(value, f"Điểm tối đa của {what}")
        if number < 0 or number > TOTAL_MAX_POINTS:
            raise ValidationFailed(f"Điểm tối đa của {what} phải trong khoảng 0–100.")
        return number
    if field == "target":
        number = _decimal(value, f"Chỉ tiêu của {what}")
        if not Decimal("0") < number <= Decimal("1"):
            raise ValidationFailed(f"Chỉ tiêu của {what} phải lớn hơn 0 và không quá 1 (100%).")
        return number
    if field in _CHOICES:
        if value not in _CHOICES[field]:
            raise ValidationFailed(f"Giá trị {value!r} không hợp lệ cho {field} của {what}.")
        return value
    if field == "weight_certain":
        if not isinstance(value, bool):
            raise ValidationFailed(f"weight_certain của {what} phải là true/false.")
        return value
    if field == "order":
        if not isinstance(value, int) or value < 0:
            raise ValidationFailed(f"Thứ tự của {what} phải là số nguyên không âm.")
        return value
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} của {what} phải là chuỗi.")
    return value.strip()


def _check_changes(changes: Mapping[str, Mapping[str, Any]], known: set[str], allowed: set[str],
                   kind: str) -> dict[str, dict[str, Any]]:
    cleaned: dict[str, dict[str, Any]] = {}
    for code, fields in changes.items():
        if code not in known:
            raise ValidationFailed(f"Không có {kind} mã {code!r} trong bộ đang áp dụng.")
        unknown = set(fields) - allowed
        if unknown:
            raise ValidationFailed(f"Không sửa được trường {', '.join(sorted(unknown))} của {kind} {code}.")
        cleaned[code] = {f: _clean(f, v, f"{kind} {code}") for f, v in fields.items()}
    return cleaned


def check_definition_set(groups: Sequence[IndicatorGroup], definitions: Sequence[IndicatorDefinition]) -> None:
    """A set adds up: each group's sub-indicator maxima sum to the group maximum, groups to 100."""
    by_group: dict[str, Decimal] = {g.code: Decimal("0") for g in groups}
    for d in definitions:
        code = d.group.code
        if code not in by_group:
            raise ValidationFailed(f"Chỉ số {d.code} thuộc nhóm {code} không có trong bộ.")
        if d.scoring_kind == ScoringKind.INFORMATIONAL and d.max_points != 0:
            raise ValidationFailed(f"Chỉ số theo dõi {d.code} phải có điểm tối đa 0.")
        by_group[code] += d.max_points
    for g in groups:
        if by_group[g.code] != g.max_points:
            raise ValidationFailed(
                f"Nhóm {g.code}: tổng điểm các chỉ số thành phần ({by_group[g.code]}) khác điểm tối đa của nhóm "
                f"({g.max_points})."
            )
    grand = sum((g.max_points for g in groups), Decimal("0"))
    if grand != TOTAL_MAX_POINTS:
        raise ValidationFailed(f"Tổng điểm tối đa các nhóm là {grand}, phải bằng {TOTAL_MAX_POINTS}.")


def _in_force(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


@transaction.atomic
def definitions_revise(
    *,
    valid_from: date,
    actor: Any,
    reason: str,
    definition_changes: Mapping[str, Mapping[str, Any]] | None = None,
    group_changes: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[IndicatorDefinition]:
    """Publish a new definition set from ``valid_from``: the set in force that day, with changes.

    Example: next year's weights (``{"DOSSIER_ON_TIME": {"max_points": "18"}}`` plus the matching
    group changes). Rows in force get ``valid_to = valid_from``; nothing before that day changes.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi căn cứ/lý do thay đổi bộ chỉ số.")
    groups = list(IndicatorGroup.objects.select_for_update().filter(_in_force(valid_from)).order_by("order", "code"))
    definitions = list(
        IndicatorDefinition.objects.select_for_update().filter(_in_force(valid_from)).select_related("group")
        .order_by("group__order", "order", "code")
    )
    if not groups or not definitions:
        raise ValidationFailed(f"Không có bộ chỉ số nào áp dụng ngày {valid_from:%d/%m/%Y} để sửa đổi.")
    later = Q(valid_from__gte=valid_from)
    if IndicatorGroup.objects.filter(later).exists() or IndicatorDefinition.objects.filter(later).exists():
        raise Conflict(f"Đã có bộ chỉ số hiệu lực từ {valid_from:%d/%m/%Y} trở về sau.")
    d_changes = _check_changes(definition_changes or {}, {d.code for d in definitions}, DEFINITION_FIELDS,
                               "chỉ số")
    g_changes = _check_changes(group_changes or {}, {g.code for g in groups}, GROUP_FIELDS, "nhóm")
    if not d_changes and not g_changes:
        raise ValidationFailed("Không có thay đổi nào.")

    new_groups: dict[str, IndicatorGroup] = {}
    for g in groups:
        clone = IndicatorGroup(
            code=g.code, name=g.name, max_points=g.max_points, order=g.order, scoring=g.scoring, note=g.note,
            valid_from=valid_from, valid_to=g.valid_to,
        )
        for field, value in g_changes.get(g.code, {}).items():
            setattr(clone, field, value)
        new_groups[g.code] = clone
    new_definitions: list[IndicatorDefinition] = []
    for d in definitions:
        clone_d = IndicatorDefinition(
            code=d.code, ref=d.ref, name=d.name, numerator_text=d.numerator_text,
            denominator_text=d.denominator_text, group=new_groups[d.group.code], max_points=d.max_points,
            target=d.target, scoring_kind=d.scoring_kind, measure=d.measure, zero_denominator=d.zero_denominator,
            zero_denominator_note=d.zero_denominator_note, weight_certain=d.weight_certain,
            certainty_note=d.certainty_note, source=d.source, subject=d.subject, order=d.order,
            valid_from=valid_from, valid_to=d.valid_to,
        )
        for field, value in d_changes.get(d.code, {}).items():
            setattr(clone_d, field, value)
        new_definitions.append(clone_d)
    check_definition_set(list(new_groups.values()), new_definitions)

    for g in groups:
        g.valid_to = valid_from
        g.save(update_fields=["valid_to"])
    for d in definitions:
        d.valid_to = valid_from
        d.save(update_fields=["valid_to"])
    for clone in new_groups.values():
        clone.save()
    for clone_d in new_definitions:
        clone_d.group = new_groups[clone_d.group.code]
        clone_d.save()
    audit_record(
        action="indicators.definitions_revised",
        actor=actor,
        object_type="indicators.definitionset",
        object_id=valid_from.isoformat(),
        summary={
            "valid_from": valid_from.isoformat(),
            "reason": reason,
            "definitions": {c: {f: str(v) for f, v in ch.items()} for c, ch in d_changes.items()},
            "groups": {c: {f: str(v) for f, v in ch.items()} for c, ch in g_changes.items()},
        },
    )
    return new_definitions


@transaction.atomic
def classification_bands_set(
    *,
    valid_from: date,
    bands: Sequence[tuple[Any, str]],
    actor: Any,
    reason: str,
) -> list[ClassificationBand]:
    """Replace the xếp loại bands from ``valid_from`` (``[(min_total, label), ...]``, one band at 0)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi căn cứ/lý do thay đổi thang xếp loại.")
    cleaned: list[tuple[Decimal, str]] = []
    for minimum, label in bands:
        value = _decimal(minimum, "Điểm tối thiểu của mức xếp loại")
        if value < 0 or value > TOTAL_MAX_POINTS:
            raise ValidationFailed("Điểm tối thiểu của mức xếp loại phải trong khoảng 0–100.")
        text = (label or "").strip()
        if not text:
            raise ValidationFailed("Mức xếp loại cần có tên.")
        cleaned.append((value, text))
    if not cleaned or min(v for v, _ in cleaned) != 0:
        raise ValidationFailed("Thang xếp loại cần một mức bắt đầu từ 0 điểm.")
    if len({v for v, _ in cleaned}) != len(cleaned):
        raise ValidationFailed("Hai mức xếp loại không được cùng điểm tối thiểu.")
    if ClassificationBand.objects.filter(valid_from__gte=valid_from).exists():
        raise Conflict(f"Đã có thang xếp loại hiệu lực từ {valid_from:%d/%m/%Y} trở về sau.")
    current = list(ClassificationBand.objects.select_for_update().filter(_in_force(valid_from)))
    for band in current:
        band.valid_to = valid_from
        band.save(update_fields=["valid_to"])
    created = [
        ClassificationBand.objects.create(label=label, min_total=value, valid_from=valid_from, note=reason)
        for value, label in sorted(cleaned, reverse=True)
    ]
    audit_record(
        action="indicators.bands_set",
        actor=actor,
        object_type="indicators.classificationband",
        object_id=valid_from.isoformat(),
        summary={"valid_from": valid_from.isoformat(), "reason": reason,
                 "bands": [[str(v), label] for v, label in sorted(cleaned, reverse=True)]},
    )
    return created

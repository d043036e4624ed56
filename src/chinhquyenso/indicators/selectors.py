"""Reads: which definitions, groups and bands are in force on a date."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from chinhquyenso.core.errors import NotFound
from chinhquyenso.indicators.models import ClassificationBand, IndicatorDefinition, IndicatorGroup


def _in_force(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def today() -> date:
    """Today in the province's time zone (Asia/Ho_Chi_Minh)."""
    return timezone.localdate()


def _day(on: date | None) -> date:
    return today() if on is None else on


def groups_on(*, on: date | None = None) -> QuerySet[IndicatorGroup]:
    return IndicatorGroup.objects.filter(_in_force(_day(on))).order_by("order", "code")


def definitions_on(*, on: date | None = None) -> QuerySet[IndicatorDefinition]:
    """Every sub-indicator in force, in display order (group, then sub-indicator)."""
    return (
        IndicatorDefinition.objects.filter(_in_force(_day(on)))
        .select_related("group")
        .order_by("group__order", "order", "code")
    )


def definition_get(*, code: str, on: date | None = None) -> IndicatorDefinition:
    day = _day(on)
    found = definitions_on(on=day).filter(code=code.strip().upper()).first()
    if found is None:
        raise NotFound(f"Không có chỉ số mã {code!r} áp dụng ngày {day:%d/%m/%Y}.", code="indicator_not_found")
    return found


def bands_on(*, on: date | None = None) -> QuerySet[ClassificationBand]:
    return ClassificationBand.objects.filter(_in_force(_day(on))).order_by("-min_total")

"""Reads over units and agencies, including "as of" questions across reorganizations.

Two ways to count old records in a new structure:

* :func:`unit_successor_on` / :func:`units_successor_map` take an old unit forward to the unit in
  force on a day (a dossier of old "Thị trấn Đa Phước" counts for new "Xã Vĩnh Hậu");
* :func:`unit_predecessors` / :func:`unit_rollup_ids` take a new unit back to every row whose
  records belong to it (a roll-up of "Xã Vĩnh Hậu" as of today sums those rows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.core.text import fold
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitChange, UnitLevel

_MAX_HOPS = 64  # a successor chain longer than this is a loop in the data


def _today() -> dt.date:
    return timezone.localdate()


def valid_on_q(day: dt.date, prefix: str = "") -> Q:
    """``Q`` for rows in force on ``day`` (``valid_from <= day < valid_to``); ``prefix`` e.g. ``"unit__"``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def units_valid_on(day: dt.date | None = None) -> QuerySet[Unit]:
    """Every unit row in force on ``day`` (default today)."""
    return Unit.objects.filter(valid_on_q(day or _today()))


def _subtree_prefix(unit: Unit) -> str:
    """``unit.path``, refusing an empty or malformed one: it would be a prefix of every unit."""
    path = unit.path or ""
    if len(path) < 3 or not (path.startswith("/") and path.endswith("/")):
        raise ValidationFailed(
            f"Đơn vị {unit} chưa có đường dẫn phân cấp; hãy tạo đơn vị bằng unit_create hoặc load-units.",
            code="unit_path_missing",
        )
    return path


def unit_descendants(unit: Unit, *, include_self: bool = True, on: dt.date | None = None) -> QuerySet[Unit]:
    """All units below ``unit`` (one indexed prefix query on ``path``), optionally only those in force on ``on``."""
    qs = Unit.objects.filter(path__startswith=_subtree_prefix(unit))
    if not include_self:
        qs = qs.exclude(pk=unit.pk)
    if on is not None:
        qs = qs.filter(valid_on_q(on))
    return qs


def unit_get(*, code: str, level: str, on: dt.date | None = None) -> Unit:
    """The unit of GSO ``code`` at ``level`` in force on ``on`` (codes are reused over time)."""
    day = on or _today()
    unit = Unit.objects.filter(code=code, level=level).filter(valid_on_q(day)).first()
    if unit is None:
        raise NotFound(f"Không có đơn vị mã {code} có hiệu lực ngày {day:%d/%m/%Y}.", code="unit_not_found")
    return unit


def _successor_edges() -> dict[int, int]:
    through = UnitChange.predecessors.through
    return dict(through.objects.values_list("unit_id", "unitchange__successor_id"))


def unit_successor_on(unit: Unit, day: dt.date) -> Unit:
    """Đơn vị kế thừa: the unit in force on ``day`` that ``unit``'s records belong to, following
    merges, renames and re-parentings forward. ``unit`` itself if it is in force on ``day``."""
    current = Unit.objects.get(pk=unit.pk)  # the caller's instance may predate a change
    for _ in range(_MAX_HOPS):
        if current.is_valid_on(day):
            return current
        if day < current.valid_from:
            raise NotFound(
                f"{current.full_name} ({current.code}) chưa có hiệu lực vào ngày {day:%d/%m/%Y}.",
                code="unit_not_yet_valid",
            )
        change = (
            UnitChange.objects.filter(predecessors=current).select_related("successor").order_by("effective_on").first()
        )
        if change is None:
            raise NotFound(
                f"{current.full_name} ({current.code}) hết hiệu lực từ {current.valid_to:%d/%m/%Y} và không có đơn vị "
                "kế thừa.",
                code="unit_no_successor",
            )
        current = change.successor
    raise ValidationFailed("Chuỗi đơn vị kế thừa bị vòng lặp.", code="unit_cycle")


def units_successor_map(day: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, int]:
    """``{unit id: id of the unit in force on day}`` for many units at once (roll-ups re-keyed "as of"
    a structure). Units with no successor in force on ``day`` are left out."""
    edges = _successor_edges()
    # chains pass through units outside ``unit_ids``: load the validity of all (a few thousand rows at most)
    validity = {pk: (start, end) for pk, start, end in Unit.objects.values_list("id", "valid_from", "valid_to")}
    wanted = unit_ids if unit_ids is not None else list(validity)
    result: dict[int, int] = {}
    for start_id in wanted:
        current: int | None = start_id
        for _ in range(_MAX_HOPS):
            if current is None or current not in validity:
                break
            start, end = validity[current]
            if start <= day and (end is None or day < end):
                result[start_id] = current
                break
            if day < start:
                break
            current = edges.get(current)
    return result


def unit_predecessors(unit: Unit) -> list[Unit]:
    """Every old unit whose history maps into ``unit``, transitively (merged, renamed, re-parented
    or abolished into it), oldest structure first. Partial predecessors are not included."""
    through = UnitChange.predecessors.through
    found: set[int] = set()
    frontier = {unit.pk}
    for _ in range(_MAX_HOPS):
        step = set(
            through.objects.filter(unitchange__successor_id__in=frontier).values_list("unit_id", flat=True)
        ) - found - {unit.pk}
        if not step:
            break
        found |= step
        frontier = step
    return list(Unit.objects.filter(pk__in=found).order_by("valid_from", "level", "code"))


def unit_rollup_ids(unit: Unit) -> set[int]:
    """Ids of every unit row whose records count towards ``unit`` in its structure: the unit, all its
    descendants, their predecessors, those predecessors' descendants, and so on."""
    through = UnitChange.predecessors.through
    ids: set[int] = set()
    paths = [_subtree_prefix(unit)]
    for _ in range(_MAX_HOPS):
        below: set[int] = set()
        for start in range(0, len(paths), 200):  # keep each OR chain short (SQLite's expression depth)
            below_q = Q()
            for path in paths[start:start + 200]:
                below_q |= Q(path__startswith=path)
            below |= set(Unit.objects.filter(below_q).values_list("id", flat=True))
        below -= ids
        ids |= below
        preds = set(through.objects.filter(unitchange__successor_id__in=below).values_list("unit_id", flat=True))
        new = preds - ids  # a unit already in ``ids`` came with all its descendants
        if not new:
            break
        paths = _outermost(Unit.objects.filter(pk__in=new).values_list("path", flat=True))
    return ids


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop every path that lies under another one of the list: its prefix query already covers it."""
    kept: list[str] = []
    for path in sorted(paths):  # an ancestor sorts right before its descendants
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def unit_partial_predecessors(unit: Unit) -> list[Unit]:
    """Old units that gave part of their territory to ``unit`` (their records follow another successor)."""
    return list(Unit.objects.filter(partly_succeeded_by__successor=unit).order_by("code"))


def agencies_under(unit: Unit, *, include_self: bool = True, on: dt.date | None = None) -> QuerySet[Agency]:
    """Agencies attached to ``unit`` or any unit below it."""
    qs = Agency.objects.filter(unit__path__startswith=_subtree_prefix(unit)).select_related("unit")
    if not include_self:
        qs = qs.exclude(unit=unit)
    if on is not None:
        qs = qs.filter(valid_on_q(on))
    return qs


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.select_related("unit").filter(code=code).first()
    if agency is None:
        raise NotFound(f"Không có cơ quan mã {code}.", code="agency_not_found")
    return agency


def province_current(*, on: dt.date | None = None) -> Unit:
    """The province this platform serves, as in force on ``on`` (default today): the province whose
    People's Committee carries ``CHINHQUYENSO["PROVINCE_PORTAL_CODE"]``, or the only one in force."""
    day = on or _today()
    provinces = Unit.objects.filter(level=UnitLevel.PROVINCE).filter(valid_on_q(day))
    portal_code = settings.CHINHQUYENSO.get("PROVINCE_PORTAL_CODE", "")
    if portal_code:
        ours = provinces.filter(
            agencies__portal_code=portal_code, agencies__kind=AgencyKind.PEOPLES_COMMITTEE
        ).first()
        if ours is not None:
            return ours
    found = list(provinces[:2])
    if len(found) == 1:
        return found[0]
    raise NotFound(f"Chưa có dữ liệu tỉnh có hiệu lực ngày {day:%d/%m/%Y}; hãy chạy «chinhquyenso load-units».",
                   code="province_not_found")


def communes_search(query: str = "", *, on: dt.date | None = None, limit: int = 200) -> list[Unit]:
    """Current communes of the province whose name, code, or a predecessor's name matches ``query``
    (diacritics-insensitive): someone typing the old "Đa Phước" finds the new "Xã Vĩnh Hậu"."""
    day = on or _today()
    province = province_current(on=day)
    communes = unit_descendants(province, include_self=False, on=day).filter(level=UnitLevel.COMMUNE)
    needle = fold(query)
    if needle:
        # match from the start of a word: "an phu" finds "Xã An Phú", not "Xã Tân Phú"
        by_name = Q(name_folded__startswith=needle) | Q(name_folded__contains=f" {needle}")
        matched = by_name | Q(code__startswith=needle)
        old_ids = list(Unit.objects.filter(level=UnitLevel.COMMUNE, valid_to__lte=day)
                       .filter(by_name | Q(code=needle)).values_list("id", flat=True))
        if old_ids:
            forward = units_successor_map(day, unit_ids=old_ids)
            matched |= Q(pk__in=set(forward.values()))
        communes = communes.filter(matched)
    return list(communes.order_by("name_folded")[:limit])


def commune_predecessor_names(communes: list[Unit]) -> dict[int, list[str]]:
    """``{commune id: ["Thị trấn Đa Phước (Huyện An Phú)", ...]}`` for showing where each came from."""
    through = UnitChange.predecessors.through
    rows = (
        through.objects.filter(unitchange__successor_id__in=[c.pk for c in communes])
        .select_related("unitchange", "unit", "unit__parent")
        .order_by("unit__name_folded")
    )
    names: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        old = row.unit
        parent = old.parent
        where = f" ({parent.full_name})" if parent is not None and parent.level == UnitLevel.DISTRICT else ""
        names[row.unitchange.successor_id].append(f"{old.full_name}{where}")
    return dict(names)

"""Writes for administrative units and agencies.

A unit's row is its identity over ``[valid_from, valid_to)``: a reorganization never edits an
old row except to set its ``valid_to``; it opens new rows and records a :class:`UnitChange`, so
old dossiers keep pointing at the unit that handled them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, ValidationFailed
from chinhquyenso.core.text import fold, nfc
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitChange, UnitChangeKind, UnitLevel

DATA_DIR = Path(__file__).resolve().parent / "data"

LEVEL_RANK: dict[str, int] = {UnitLevel.PROVINCE: 0, UnitLevel.DISTRICT: 1, UnitLevel.COMMUNE: 2}
CODE_DIGITS: dict[str, int] = {UnitLevel.PROVINCE: 2, UnitLevel.DISTRICT: 3, UnitLevel.COMMUNE: 5}
KINDS: dict[str, frozenset[str]] = {
    UnitLevel.PROVINCE: frozenset({"Tỉnh", "Thành phố"}),
    UnitLevel.DISTRICT: frozenset({"Huyện", "Quận", "Thị xã", "Thành phố"}),
    UnitLevel.COMMUNE: frozenset({"Xã", "Phường", "Thị trấn", "Đặc khu"}),
}
LEVEL_LABEL: dict[str, str] = {
    UnitLevel.PROVINCE: "cấp tỉnh",
    UnitLevel.DISTRICT: "cấp huyện",
    UnitLevel.COMMUNE: "cấp xã",
}
MAX_DEPTH = 8  # far deeper than any real hierarchy (3 levels); a longer chain is corrupt data
_AGENCY_CODE = re.compile(r"^[A-Za-z0-9]+([.\-][A-Za-z0-9]+)*$")


def _d(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "không thời hạn"


def _span(start: dt.date, end: dt.date | None) -> str:
    """"từ 01/01/2000 đến 01/07/2025" or "từ 01/07/2025, không thời hạn"."""
    return f"từ {_d(start)} đến {_d(end)}" if end else f"từ {_d(start)}, không thời hạn"


# --- validation shared by every path that opens a unit row ---------------------------------------


def _clean_unit_fields(
    *, code: str, name: str, kind: str, level: str, valid_from: dt.date, valid_to: dt.date | None
) -> tuple[str, str, str]:
    """Check what can be checked without the database; return (code, name, kind) normalised."""
    if level not in LEVEL_RANK:
        raise ValidationFailed(
            f"Cấp đơn vị hành chính «{level}» không hợp lệ (tỉnh, huyện hoặc xã).", code="unit_level_invalid"
        )
    code = (code or "").strip()
    digits = CODE_DIGITS[level]
    if not (code.isascii() and code.isdigit() and len(code) == digits):
        raise ValidationFailed(
            f"Mã đơn vị hành chính {LEVEL_LABEL[level]} phải gồm đúng {digits} chữ số theo danh mục của Tổng cục "
            f"Thống kê (nhận được «{code}»).",
            code="unit_code_invalid",
        )
    name = nfc((name or "").strip())
    if not name:
        raise ValidationFailed("Tên đơn vị hành chính không được để trống.", code="unit_name_required")
    kind = nfc((kind or "").strip())
    if kind not in KINDS[level]:
        allowed = ", ".join(sorted(KINDS[level]))
        raise ValidationFailed(
            f"Loại đơn vị «{kind}» không phù hợp với {LEVEL_LABEL[level]} (chỉ nhận: {allowed}).",
            code="unit_kind_invalid",
        )
    if not isinstance(valid_from, dt.date):
        raise ValidationFailed("Phải có ngày bắt đầu hiệu lực.", code="unit_range_invalid")
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationFailed(
            f"Ngày hết hiệu lực ({_d(valid_to)}) phải sau ngày bắt đầu hiệu lực ({_d(valid_from)}).",
            code="unit_range_invalid",
        )
    return code, name, kind


def _check_parent_level(level: str, parent_level: str | None) -> None:
    if level == UnitLevel.PROVINCE:
        if parent_level is not None:
            raise ValidationFailed("Đơn vị cấp tỉnh không có đơn vị cấp trên.", code="unit_parent_level_invalid")
        return
    if parent_level is None:
        raise ValidationFailed(
            f"Đơn vị {LEVEL_LABEL[level]} phải thuộc một đơn vị cấp trên.", code="unit_parent_required"
        )
    if LEVEL_RANK[parent_level] >= LEVEL_RANK[level] or (
        level == UnitLevel.DISTRICT and parent_level != UnitLevel.PROVINCE
    ):
        raise ValidationFailed(
            f"Đơn vị {LEVEL_LABEL[level]} không thể thuộc đơn vị {LEVEL_LABEL[parent_level]}.",
            code="unit_parent_level_invalid",
        )


def _check_parent_covers(
    *, parent_name: str, parent_from: dt.date, parent_to: dt.date | None, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    starts_ok = parent_from <= valid_from
    ends_ok = parent_to is None or (valid_to is not None and valid_to <= parent_to)
    if not (starts_ok and ends_ok):
        raise ValidationFailed(
            f"Đơn vị cấp trên {parent_name} có hiệu lực {_span(parent_from, parent_to)}, không bao trùm "
            f"thời gian hiệu lực của đơn vị mới ({_span(valid_from, valid_to)}).",
            code="unit_parent_not_valid",
        )


def _ancestor_path(parent: Unit) -> str:
    """The materialized path of ``parent`` rebuilt from the parent links; refuses a loop."""
    chain: list[int] = []
    seen: set[int] = set()
    current_id: int | None = parent.pk
    while current_id is not None:
        if current_id in seen or len(chain) > MAX_DEPTH:
            raise ValidationFailed(
                "Chuỗi đơn vị cấp trên bị vòng lặp (một đơn vị là cấp trên của chính nó); dữ liệu cần được sửa trước.",
                code="unit_cycle",
            )
        seen.add(current_id)
        chain.append(current_id)
        current_id = Unit.objects.filter(pk=current_id).values_list("parent_id", flat=True).first()
    return "/" + "/".join(str(i) for i in reversed(chain)) + "/"


def _check_no_overlap(
    *, code: str, level: str, valid_from: dt.date, valid_to: dt.date | None, exclude: Iterable[int] = ()
) -> None:
    clash = Unit.objects.filter(code=code, level=level).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
    if valid_to is not None:
        clash = clash.filter(valid_from__lt=valid_to)
    other = clash.exclude(pk__in=list(exclude)).first()
    if other is not None:
        raise ValidationFailed(
            f"Mã {code} ({LEVEL_LABEL[level]}) đã được dùng cho {other.full_name} có hiệu lực "
            f"{_span(other.valid_from, other.valid_to)}, trùng thời gian với đơn vị mới.",
            code="unit_overlap",
        )


def _open_row(
    *, code: str, name: str, kind: str, level: str, parent: Unit | None, valid_from: dt.date, valid_to: dt.date | None
) -> Unit:
    """Validate and insert one unit row, with its materialized path. No audit: callers audit."""
    code, name, kind = _clean_unit_fields(
        code=code, name=name, kind=kind, level=level, valid_from=valid_from, valid_to=valid_to
    )
    if parent is not None and parent.pk is None:
        raise ValidationFailed("Đơn vị cấp trên chưa được lưu.", code="unit_parent_required")
    _check_parent_level(level, parent.level if parent is not None else None)
    prefix = "/"
    if parent is not None:
        parent = Unit.objects.get(pk=parent.pk)  # fresh validity, not a stale instance
        _check_parent_covers(
            parent_name=parent.full_name, parent_from=parent.valid_from, parent_to=parent.valid_to,
            valid_from=valid_from, valid_to=valid_to,
        )
        prefix = _ancestor_path(parent)
    _check_no_overlap(code=code, level=level, valid_from=valid_from, valid_to=valid_to)
    unit = Unit(code=code, name=name, kind=kind, level=level, parent=parent, valid_from=valid_from, valid_to=valid_to)
    unit.name_folded = fold(unit.full_name)
    unit.save()
    unit.path = f"{prefix}{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def _close_row(unit: Unit, effective_on: dt.date) -> None:
    """End ``unit`` on ``effective_on`` (exclusive). The only change an old row ever gets."""
    if not (unit.valid_from < effective_on and (unit.valid_to is None or effective_on < unit.valid_to)):
        raise ValidationFailed(
            f"{unit.full_name} ({unit.code}) có hiệu lực {_span(unit.valid_from, unit.valid_to)}; "
            f"không thể thay đổi từ ngày {_d(effective_on)}.",
            code="unit_not_valid",
        )
    Unit.objects.filter(pk=unit.pk).update(valid_to=effective_on)
    unit.valid_to = effective_on


def _record_change(
    *,
    kind: str,
    effective_on: dt.date,
    successor: Unit,
    predecessors: list[Unit],
    legal_basis: str = "",
    note: str = "",
) -> UnitChange:
    already = UnitChange.predecessors.through.objects.filter(unit_id__in=[p.pk for p in predecessors]).first()
    if already is not None:
        raise Conflict(
            "Một đơn vị đã có đơn vị kế thừa; mỗi đơn vị chỉ được kế thừa một lần.", code="unit_already_succeeded"
        )
    change = UnitChange.objects.create(
        kind=kind, effective_on=effective_on, successor=successor, legal_basis=legal_basis.strip(), note=note
    )
    change.predecessors.set(predecessors)
    return change


def _move_children(*, old_parent: Unit, new_parent: Unit, effective_on: dt.date, legal_basis: str) -> list[Unit]:
    """Re-home the children still in force on ``effective_on``: close each child's row and open an
    identical one under ``new_parent`` (its path changes, so its own children follow recursively)."""
    moved: list[Unit] = []
    children = Unit.objects.select_for_update().filter(parent=old_parent).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=effective_on)
    )
    for child in children.order_by("code"):
        if child.valid_from >= effective_on:
            raise ValidationFailed(
                f"{child.full_name} ({child.code}) bắt đầu hiệu lực từ {_d(child.valid_from)}, không sớm hơn ngày "
                f"thay đổi {_d(effective_on)}; hãy xử lý đơn vị này trước.",
                code="unit_child_not_movable",
            )
        old_to = child.valid_to
        _close_row(child, effective_on)
        fresh = _open_row(
            code=child.code, name=child.name, kind=child.kind, level=child.level, parent=new_parent,
            valid_from=effective_on, valid_to=old_to,
        )
        _record_change(
            kind=UnitChangeKind.REPARENT, effective_on=effective_on, successor=fresh, predecessors=[child],
            legal_basis=legal_basis, note=f"Chuyển sang {new_parent.full_name}",
        )
        moved.append(fresh)
        moved.extend(_move_children(old_parent=child, new_parent=fresh, effective_on=effective_on,
                                    legal_basis=legal_basis))
    return moved


# --- public services ---------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    level: str,
    parent: Unit | None = None,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    actor: Any = None,
) -> Unit:
    """Thêm đơn vị hành chính: checks the GSO code, the parent's level and validity, and that no
    other row of the same code and level is in force over the same days."""
    unit = _open_row(
        code=code, name=name, kind=kind, level=level, parent=parent, valid_from=valid_from, valid_to=valid_to
    )
    audit_record(
        action="unit.create", actor=actor, obj=unit,
        summary={"code": unit.code, "name": unit.full_name, "level": unit.level, "parent": unit.parent_id,
                 "valid_from": unit.valid_from, "valid_to": unit.valid_to},
    )
    return unit


@transaction.atomic
def units_merge(
    *,
    predecessors: list[Unit],
    into_code: str,
    into_name: str,
    kind: str,
    effective_on: dt.date,
    legal_basis: str = "",
    parent: Unit | None = None,
    actor: Any = None,
) -> Unit:
    """Sáp nhập: close ``predecessors`` on ``effective_on`` and make them one unit.

    The successor is a new row (it may reuse a predecessor's code), or an existing unit of code
    ``into_code`` already in force that absorbs the others ("sáp nhập vào"). Children still in
    force move under the successor. ``parent`` defaults to the predecessors' common parent.
    """
    if not predecessors:
        raise ValidationFailed("Phải chọn ít nhất một đơn vị để sáp nhập.", code="merge_empty")
    ids = [p.pk for p in predecessors]
    if None in ids or len(set(ids)) != len(ids):
        raise ValidationFailed("Danh sách đơn vị sáp nhập có đơn vị trùng hoặc chưa được lưu.", code="merge_invalid")
    locked = {u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=ids)}
    if len(locked) != len(ids):
        raise ValidationFailed("Có đơn vị trong danh sách sáp nhập không còn tồn tại.", code="merge_invalid")
    olds = [locked[i] for i in ids]
    levels = {u.level for u in olds}
    if len(levels) != 1:
        raise ValidationFailed("Chỉ sáp nhập các đơn vị cùng cấp.", code="merge_levels_differ")
    level = levels.pop()
    into_code = (into_code or "").strip()
    _clean_unit_fields(code=into_code, name=into_name, kind=kind, level=level, valid_from=effective_on, valid_to=None)

    # The existing unit, if any, that keeps going and absorbs the others.
    absorber = (
        Unit.objects.select_for_update()
        .filter(code=into_code, level=level, valid_from__lte=effective_on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=effective_on))
        .exclude(pk__in=ids)
        .first()
    )
    if absorber is not None:
        if absorber.name != nfc(into_name.strip()) or absorber.kind != nfc(kind.strip()):
            raise ValidationFailed(
                f"Mã {into_code} đang là {absorber.full_name}; muốn đổi tên thì đổi tên trước, hoặc đưa đơn vị đó vào "
                "danh sách sáp nhập.",
                code="merge_successor_conflict",
            )

    if parent is None and level != UnitLevel.PROVINCE:
        parent_ids = {u.parent_id for u in olds}
        if absorber is not None:
            parent_ids.add(absorber.parent_id)
        common = parent_ids.pop() if len(parent_ids) == 1 else None
        if common is None:
            raise ValidationFailed(
                "Các đơn vị thuộc các đơn vị cấp trên khác nhau; hãy chỉ rõ đơn vị cấp trên của đơn vị sau sáp nhập.",
                code="merge_parent_required",
            )
        parent = Unit.objects.get(pk=common)

    for old in olds:
        _close_row(old, effective_on)
    if absorber is not None:
        successor = absorber
        if parent is not None and absorber.parent_id != parent.pk:
            raise ValidationFailed(
                f"{absorber.full_name} thuộc đơn vị cấp trên khác với đơn vị đã chọn.", code="merge_parent_required"
            )
    else:
        successor = _open_row(
            code=into_code, name=into_name, kind=kind, level=level, parent=parent, valid_from=effective_on,
            valid_to=None,
        )
    change = _record_change(
        kind=UnitChangeKind.MERGE, effective_on=effective_on, successor=successor, predecessors=olds,
        legal_basis=legal_basis,
    )
    moved: list[Unit] = []
    for old in olds:
        moved += _move_children(old_parent=old, new_parent=successor, effective_on=effective_on,
                                legal_basis=legal_basis)
    audit_record(
        action="units.merge", actor=actor, obj=successor,
        summary={"change": change.pk, "predecessors": [u.code for u in olds], "successor": successor.code,
                 "name": successor.full_name, "effective_on": effective_on, "legal_basis": legal_basis,
                 "children_moved": len(moved)},
    )
    return successor


@transaction.atomic
def unit_rename(
    *,
    unit: Unit,
    new_name: str,
    effective_on: dt.date,
    legal_basis: str = "",
    new_kind: str | None = None,
    actor: Any = None,
) -> Unit:
    """Đổi tên (or change kind, e.g. xã → phường): close the old row and open a new row with the same
    code, so records before ``effective_on`` keep the old name."""
    if unit.pk is None:
        raise ValidationFailed("Đơn vị chưa được lưu.", code="unit_not_valid")
    old = Unit.objects.select_for_update().get(pk=unit.pk)
    kind = new_kind if new_kind is not None else old.kind
    _, name, kind = _clean_unit_fields(
        code=old.code, name=new_name, kind=kind, level=old.level, valid_from=effective_on, valid_to=None
    )
    if name == old.name and kind == old.kind:
        raise ValidationFailed("Tên mới trùng với tên hiện tại.", code="rename_same_name")
    old_to = old.valid_to
    parent = old.parent
    _close_row(old, effective_on)
    fresh = _open_row(
        code=old.code, name=name, kind=kind, level=old.level, parent=parent, valid_from=effective_on, valid_to=old_to
    )
    change = _record_change(
        kind=UnitChangeKind.RENAME, effective_on=effective_on, successor=fresh, predecessors=[old],
        legal_basis=legal_basis, note=f"{old.full_name} → {fresh.full_name}",
    )
    moved = _move_children(old_parent=old, new_parent=fresh, effective_on=effective_on, legal_basis=legal_basis)
    audit_record(
        action="unit.rename", actor=actor, obj=fresh,
        summary={"change": change.pk, "code": fresh.code, "old_name": old.full_name, "new_name": fresh.full_name,
                 "effective_on": effective_on, "legal_basis": legal_basis, "children_moved": len(moved)},
    )
    unit.valid_to = old.valid_to
    return fresh


@transaction.atomic
def agency_create(
    *,
    code: str,
    portal_code: str,
    name: str,
    kind: str,
    unit: Unit,
    short_name: str = "",
    parent: Agency | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    actor: Any = None,
) -> Agency:
    """Thêm cơ quan: a unique code, a unit in force over the agency's whole life, at most one
    People's Committee per unit at a time, and a parent agency of the same unit or one above."""
    agency = _agency_build(
        code=code, portal_code=portal_code, name=name, kind=kind, unit=unit, short_name=short_name, parent=parent,
        valid_from=valid_from, valid_to=valid_to,
    )
    agency.save()
    audit_record(
        action="agency.create", actor=actor, obj=agency,
        summary={"code": agency.code, "portal_code": agency.portal_code, "name": agency.name, "unit": unit.pk},
    )
    return agency


def _agency_build(
    *,
    code: str,
    portal_code: str,
    name: str,
    kind: str,
    unit: Unit,
    short_name: str = "",
    parent: Agency | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    db_checks: bool = True,
) -> Agency:
    """Validate and build (not save) an agency. ``db_checks=False``: the caller has checked code
    uniqueness, the one-UBND rule and the parent agency itself, in bulk."""
    code = (code or "").strip()
    portal_code = (portal_code or "").strip()
    if not code or len(code) > 40 or not _AGENCY_CODE.match(code):
        raise ValidationFailed(
            f"Mã cơ quan «{code}» không hợp lệ (chữ, số, dấu chấm hoặc gạch nối; tối đa 40 ký tự).",
            code="agency_code_invalid",
        )
    if not portal_code or len(portal_code) > 40 or not _AGENCY_CODE.match(portal_code):
        raise ValidationFailed(f"Mã trên Cổng DVCQG «{portal_code}» không hợp lệ.", code="agency_portal_code_invalid")
    name = nfc((name or "").strip())
    if not name:
        raise ValidationFailed("Tên cơ quan không được để trống.", code="agency_name_required")
    if kind not in AgencyKind.values:
        raise ValidationFailed(f"Loại cơ quan «{kind}» không hợp lệ.", code="agency_kind_invalid")
    if unit is None or unit.pk is None:
        raise ValidationFailed("Cơ quan phải thuộc một đơn vị hành chính.", code="agency_unit_required")
    valid_from = valid_from or unit.valid_from
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationFailed(
            f"Ngày hết hiệu lực ({_d(valid_to)}) phải sau ngày bắt đầu ({_d(valid_from)}).", code="agency_range_invalid"
        )
    _check_parent_covers(
        parent_name=unit.full_name, parent_from=unit.valid_from, parent_to=unit.valid_to, valid_from=valid_from,
        valid_to=valid_to,
    )
    if db_checks and Agency.objects.filter(code=code).exists():
        raise Conflict(f"Mã cơ quan {code} đã tồn tại.", code="agency_code_taken")
    if db_checks and kind == AgencyKind.PEOPLES_COMMITTEE:
        overlap = Agency.objects.filter(unit=unit, kind=AgencyKind.PEOPLES_COMMITTEE).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from)
        )
        if valid_to is not None:
            overlap = overlap.filter(valid_from__lt=valid_to)
        if overlap.exists():
            raise ValidationFailed(
                f"{unit.full_name} đã có Ủy ban nhân dân trong cùng thời gian.", code="agency_ubnd_duplicate"
            )
    if parent is not None:
        if parent.pk is None:
            raise ValidationFailed("Cơ quan cấp trên chưa được lưu.", code="agency_parent_invalid")
        if db_checks:
            parent_path = Unit.objects.filter(pk=parent.unit_id).values_list("path", flat=True).first() or ""
            if not unit.path.startswith(parent_path):
                raise ValidationFailed(
                    "Cơ quan cấp trên phải thuộc cùng đơn vị hành chính hoặc đơn vị cấp trên của nó.",
                    code="agency_parent_invalid",
                )
    return Agency(
        code=code, portal_code=portal_code, name=name, short_name=(short_name or "").strip(), kind=kind, unit=unit,
        parent=parent, valid_from=valid_from, valid_to=valid_to,
    )


# --- the shipped An Giang data -----------------------------------------------------------------


def _read_csv(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(line for line in fh if not line.startswith("#"))


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _level_of_code(code: str) -> str:
    return {2: UnitLevel.PROVINCE, 3: UnitLevel.DISTRICT, 5: UnitLevel.COMMUNE}.get(len(code), "")


class _UnitIndex:
    """All rows of a set of codes, in memory: resolves "code X at level L in force on day D"."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.by_code: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for unit in units:
            self.add(unit)

    def add(self, unit: Unit) -> None:
        self.by_code[(unit.level, unit.code)].append(unit)

    def on(self, level: str, code: str, day: dt.date) -> Unit | None:
        return next((u for u in self.by_code.get((level, code), []) if u.is_valid_on(day)), None)

    def starting(self, level: str, code: str, day: dt.date) -> Unit | None:
        return next((u for u in self.by_code.get((level, code), []) if u.valid_from == day), None)

    def ending(self, level: str, code: str, day: dt.date) -> Unit | None:
        return next((u for u in self.by_code.get((level, code), []) if u.valid_to == day), None)

    def exact(self, level: str, code: str, valid_from: dt.date) -> Unit | None:
        return self.starting(level, code, valid_from)


@transaction.atomic
def units_load_an_giang(*, actor: Any = None) -> dict[str, int]:
    """Nạp đơn vị hành chính tỉnh An Giang (before and after 01/7/2025), the 2025 changes and the
    agencies from the CSV files shipped in ``units/data``. Idempotent: rows already present (same
    code, level and start date; same change; same agency code) are left alone."""
    unit_rows = list(_read_csv("an_giang_units.csv"))
    codes = {r["code"] for r in unit_rows}
    index = _UnitIndex(Unit.objects.filter(code__in=codes))
    created_units = 0
    for level in (UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE):
        fresh: list[tuple[Unit, Unit | None]] = []
        for row in unit_rows:
            if row["level"] != level:
                continue
            valid_from, valid_to = _date(row["valid_from"]), _date(row["valid_to"])
            assert valid_from is not None
            code, name, kind = _clean_unit_fields(
                code=row["code"], name=row["name"], kind=row["kind"], level=level, valid_from=valid_from,
                valid_to=valid_to,
            )
            if index.exact(level, code, valid_from) is not None:
                continue
            parent: Unit | None = None
            if row["parent_code"]:
                parent_level = _level_of_code(row["parent_code"])
                parent = index.on(parent_level, row["parent_code"], valid_from)
                if parent is None:
                    raise ValidationFailed(
                        f"Không tìm thấy đơn vị cấp trên {row['parent_code']} của {code} vào {_d(valid_from)}.",
                        code="unit_parent_required",
                    )
            _check_parent_level(level, parent.level if parent else None)
            if parent is not None:
                _check_parent_covers(
                    parent_name=parent.full_name, parent_from=parent.valid_from, parent_to=parent.valid_to,
                    valid_from=valid_from, valid_to=valid_to,
                )
            for other in index.by_code.get((level, code), []):
                if other.valid_from < (valid_to or dt.date.max) and valid_from < (other.valid_to or dt.date.max):
                    raise ValidationFailed(
                        f"Mã {code} ({LEVEL_LABEL[level]}) trùng thời gian hiệu lực với {other.full_name}.",
                        code="unit_overlap",
                    )
            unit = Unit(code=code, name=name, kind=kind, level=level, parent=parent, valid_from=valid_from,
                        valid_to=valid_to)
            unit.name_folded = fold(unit.full_name)
            fresh.append((unit, parent))
            index.add(unit)
        if not fresh:
            continue
        Unit.objects.bulk_create([u for u, _ in fresh])
        by_prefix: dict[str, list[Unit]] = defaultdict(list)
        for unit, parent in fresh:
            by_prefix[parent.path if parent else "/"].append(unit)
        for prefix, members in by_prefix.items():  # one UPDATE per parent, cheaper than bulk_update's CASE
            Unit.objects.filter(pk__in=[u.pk for u in members]).update(
                path=Concat(Value(prefix), Cast("id", output_field=CharField()), Value("/"))
            )
            for unit in members:
                unit.path = f"{prefix}{unit.pk}/"
        created_units += len(fresh)

    created_changes = _load_changes(index)
    created_agencies = _load_agencies(index)
    summary = {
        "units_created": created_units,
        "changes_created": created_changes,
        "agencies_created": created_agencies,
        "units_total": Unit.objects.count(),
        "changes_total": UnitChange.objects.count(),
        "agencies_total": Agency.objects.count(),
    }
    if created_units or created_changes or created_agencies:
        audit_record(action="units.load_an_giang", actor=actor, object_type="units.unit", object_id="an_giang",
                     summary=summary)
    return summary


def _load_changes(index: _UnitIndex) -> int:
    groups: dict[tuple[str, dt.date, str, str], dict[str, list[Unit]]] = defaultdict(
        lambda: {"primary": [], "part": []}
    )
    basis: dict[tuple[str, dt.date, str, str], str] = {}
    for row in _read_csv("an_giang_merges.csv"):
        day = _date(row["effective_on"])
        assert day is not None
        old = index.ending(row["old_level"], row["old_code"], day)
        if old is None or row["change"] not in UnitChangeKind.values or row["share"] not in ("primary", "part"):
            raise ValidationFailed(
                f"Dòng thay đổi không hợp lệ: {row['old_level']} {row['old_code']} → {row['new_code']}.",
                code="unit_change_invalid",
            )
        key = (row["change"], day, row["new_level"], row["new_code"])
        groups[key][row["share"]].append(old)
        basis[key] = row["legal_basis"]
    through = UnitChange.predecessors.through
    partial_through = UnitChange.partial_predecessors.through
    succeeded = set(through.objects.values_list("unit_id", flat=True))
    recorded = set(UnitChange.objects.values_list("kind", "effective_on", "successor_id"))
    to_create: list[tuple[UnitChange, dict[str, list[Unit]]]] = []
    for key, members in groups.items():
        kind, day, new_level, new_code = key
        successor = index.starting(new_level, new_code, day)
        if successor is None:
            raise ValidationFailed(f"Không tìm thấy đơn vị kế thừa {new_code} từ {_d(day)}.",
                                   code="unit_change_invalid")
        if (kind, day, successor.pk) in recorded:
            continue
        doubles = [u.code for u in members["primary"] if u.pk in succeeded]
        if doubles:
            raise Conflict(f"Các đơn vị {', '.join(doubles)} đã có đơn vị kế thừa.", code="unit_already_succeeded")
        succeeded.update(u.pk for u in members["primary"])
        to_create.append((UnitChange(kind=kind, effective_on=day, successor=successor, legal_basis=basis[key]),
                          members))
    UnitChange.objects.bulk_create([c for c, _ in to_create])
    through.objects.bulk_create(
        [through(unitchange_id=c.pk, unit_id=u.pk) for c, m in to_create for u in m["primary"]]
    )
    partial_through.objects.bulk_create(
        [partial_through(unitchange_id=c.pk, unit_id=u.pk) for c, m in to_create for u in m["part"]]
    )
    return len(to_create)


def _load_agencies(index: _UnitIndex) -> int:
    rows = list(_read_csv("an_giang_agencies.csv"))
    existing = {a.code: a for a in Agency.objects.select_related("unit").filter(code__in=[r["code"] for r in rows])}
    pending = [r for r in rows if r["code"] not in existing]
    ubnd_units = set(
        Agency.objects.filter(kind=AgencyKind.PEOPLES_COMMITTEE, valid_to__isnull=True)
        .values_list("unit_id", flat=True)
    )
    created = 0
    while pending:  # parents first; a pass that places nothing means a missing parent
        ready = [r for r in pending if not r["parent_code"] or r["parent_code"] in existing]
        if not ready:
            raise ValidationFailed(
                f"Không tìm thấy cơ quan cấp trên {pending[0]['parent_code']} của {pending[0]['code']}.",
                code="agency_parent_invalid",
            )
        batch: list[Agency] = []
        for row in ready:
            valid_from = _date(row["valid_from"])
            assert valid_from is not None
            unit = index.on(row["unit_level"], row["unit_code"], valid_from)
            if unit is None:
                raise ValidationFailed(
                    f"Không tìm thấy đơn vị {row['unit_code']} cho cơ quan {row['code']}.", code="agency_unit_required"
                )
            agency = _agency_build(
                code=row["code"], portal_code=row["portal_code"], name=row["name"], kind=row["kind"], unit=unit,
                short_name=row["short_name"], parent=existing.get(row["parent_code"]), valid_from=valid_from,
                db_checks=False,
            )
            if agency.parent is not None and not unit.path.startswith(agency.parent.unit.path):
                raise ValidationFailed(
                    f"Cơ quan cấp trên của {agency.code} không thuộc đơn vị cấp trên của nó.",
                    code="agency_parent_invalid",
                )
            if agency.kind == AgencyKind.PEOPLES_COMMITTEE:
                if unit.pk in ubnd_units:
                    raise ValidationFailed(
                        f"{unit.full_name} đã có Ủy ban nhân dân ({agency.code}).", code="agency_ubnd_duplicate"
                    )
                ubnd_units.add(unit.pk)
            batch.append(agency)
        Agency.objects.bulk_create(batch)
        for agency in batch:
            existing[agency.code] = agency
        created += len(batch)
        done = {a.code for a in batch}
        pending = [r for r in pending if r["code"] not in done]
    return created

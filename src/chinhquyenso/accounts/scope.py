"""Row-level scope (phạm vi dữ liệu): the ONE place that decides which units and agencies a user may see.

Every officer query goes through :func:`scope_queryset` (lists) or :func:`ensure_in_scope` (one
object), and every role check through :func:`has_role`, so the rule below is written once:

* An assignment with ``agency`` set covers that agency and its child agencies (down to
  :data:`AGENCY_DEPTH` levels below it) and, for unit-keyed data, only the agency's own unit.
* An assignment with only ``unit`` set covers every unit in that unit's subtree (``Unit.path``
  prefix) and every agency attached to one of those units. It also covers the units that were
  merged into, renamed to or re-parented as a covered unit (``UnitChange.predecessors``), so old
  dossiers of a merged commune stay visible to the commune that took over its work.
* A superuser, or an assignment with only ``unit`` set at a root unit (the province), covers
  everything: the functions return ``None`` ("no filter").
* Citizens and anonymous users cover nothing.

A row that has both an agency and a unit is decided by its agency; the unit only decides rows
without an agency. :func:`scope_queryset`, :func:`ensure_in_scope` and :func:`has_role` all follow
that rule, so a list and the detail page behind it never disagree.

Filters are built as SQL subqueries (a handful of path prefixes, never a Python list of visible
ids), so they stay fast on a province with thousands of agencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from chinhquyenso.accounts.models import OFFICER_ROLES, Role, RoleAssignment
from chinhquyenso.core.errors import PermissionDenied
from chinhquyenso.units.models import Agency, Unit, UnitChangeKind

__all__ = [
    "AGENCY_DEPTH",
    "Scope",
    "ensure_in_scope",
    "ensure_role",
    "has_role",
    "is_officer",
    "scope_for",
    "scope_queryset",
    "user_roles",
    "visible_agency_ids",
    "visible_unit_ids",
]

#: How many levels of child agencies an agency assignment reaches (Sở → Chi cục → Trạm → đội).
AGENCY_DEPTH = 3
#: Reorganizations whose predecessors stay visible to whoever covers the successor. Abolishing a
#: level (districts, 07/2025) is not followed: its successor is usually far larger than the old unit.
_FOLLOWED_CHANGES = (UnitChangeKind.MERGE, UnitChangeKind.RENAME, UnitChangeKind.REPARENT)
#: Merges chain (commune 2019 → commune 2025); five hops is far more than any real history.
_MAX_SUCCESSION_HOPS = 5

_VALID_ROLES = frozenset(str(r) for r in Role)

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """What a set of role assignments covers. ``everything`` wins over the other fields."""

    everything: bool = False
    unit_paths: tuple[str, ...] = ()
    agency_ids: tuple[int, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.unit_paths and not self.agency_ids

    def _agency_tree_q(self, prefix: str = "") -> Q:
        """The assigned agencies and their children, ``AGENCY_DEPTH`` levels down."""
        q = Q(**{f"{prefix}pk__in": self.agency_ids})
        hop = "parent__"
        for _ in range(AGENCY_DEPTH):
            q |= Q(**{f"{prefix}{hop}pk__in": self.agency_ids})
            hop += "parent__"
        return q

    def _unit_subtree_q(self, path_field: str) -> Q:
        q = Q()
        for path in self.unit_paths:
            q |= Q(**{f"{path_field}__startswith": path})
        return q

    def agency_q(self) -> Q:
        """A filter on :class:`Agency` rows in scope (only meaningful when not ``everything``/``empty``)."""
        q = Q(pk__in=[])
        if self.unit_paths:
            q |= self._unit_subtree_q("unit__path")
        if self.agency_ids:
            q |= self._agency_tree_q()
        return q

    def unit_q(self) -> Q:
        """A filter on :class:`Unit` rows in scope. Agency assignments add only their agencies' own units."""
        q = Q(pk__in=[])
        if self.unit_paths:
            q |= self._unit_subtree_q("path")
        if self.agency_ids:
            q |= Q(pk__in=Agency.objects.filter(self._agency_tree_q()).values("unit_id"))
        return q

    def agency_ids_qs(self) -> QuerySet[Agency, int] | None:
        if self.everything:
            return None
        if self.empty:
            return Agency.objects.none().values_list("pk", flat=True)
        return Agency.objects.filter(self.agency_q()).values_list("pk", flat=True)

    def unit_ids_qs(self) -> QuerySet[Unit, int] | None:
        if self.everything:
            return None
        if self.empty:
            return Unit.objects.none().values_list("pk", flat=True)
        return Unit.objects.filter(self.unit_q()).values_list("pk", flat=True)

    def covers(self, *, agency: Any = None, unit: Any = None) -> bool:
        """The agency decides when given; otherwise the unit; with neither only ``everything`` passes."""
        if self.everything:
            return True
        if self.empty:
            return False
        agency_id = _pk(agency)
        if agency_id is not None:
            return Agency.objects.filter(pk=agency_id).filter(self.agency_q()).exists()
        unit_id = _pk(unit)
        if unit_id is not None:
            return Unit.objects.filter(pk=unit_id).filter(self.unit_q()).exists()
        return False


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, Model):
        return int(value.pk) if value.pk is not None else None
    return int(value)


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _valid_path(path: str) -> bool:
    """An empty or malformed path would be a prefix of everything: never trust it as a grant."""
    return len(path) >= 3 and path.startswith("/") and path.endswith("/")


def _with_predecessors(paths: Iterable[str]) -> tuple[str, ...]:
    """Add the paths of units that were merged/renamed into a unit of the subtrees (transitively)."""
    known = {p for p in paths if _valid_path(p)}
    frontier = set(known)
    for _ in range(_MAX_SUCCESSION_HOPS):
        if not frontier:
            break
        covered = Q()
        for path in frontier:
            covered |= Q(succeeded_by__successor__path__startswith=path)
        found = set(
            Unit.objects.filter(covered, succeeded_by__kind__in=_FOLLOWED_CHANGES).values_list("path", flat=True)
        )
        frontier = {p for p in found if _valid_path(p) and not any(p.startswith(k) for k in known)}
        known |= frontier
    # Drop paths already inside another one: shorter SQL, same rows.
    return tuple(sorted(p for p in known if not any(p != k and p.startswith(k) for k in known)))


def scope_for(user: Any, roles: Iterable[str] | None = None) -> Scope:
    """The scope the user holds through ``roles`` (default: every officer role)."""
    wanted = frozenset(str(r) for r in (OFFICER_ROLES if roles is None else roles)) - {Role.CITIZEN.value}
    if not _active(user) or not wanted:
        return Scope()
    if getattr(user, "is_superuser", False):
        return Scope(everything=True, roles=wanted)
    rows = RoleAssignment.objects.filter(user_id=user.pk, role__in=wanted).values_list(
        "role", "agency_id", "unit_id", "unit__path", "unit__parent_id"
    )
    unit_paths: list[str] = []
    agency_ids: list[int] = []
    held: set[str] = set()
    for role, agency_id, unit_id, unit_path, unit_parent_id in rows:
        if agency_id is not None:
            agency_ids.append(agency_id)
        elif unit_id is not None:
            if unit_parent_id is None:
                return Scope(everything=True, roles=wanted)
            if not _valid_path(unit_path or ""):
                continue
            unit_paths.append(unit_path)
        else:
            continue  # an officer role with neither unit nor agency grants nothing
        held.add(role)
    return Scope(
        unit_paths=_with_predecessors(unit_paths) if unit_paths else (),
        agency_ids=tuple(sorted(set(agency_ids))),
        roles=frozenset(held),
    )


def visible_unit_ids(user: Any) -> QuerySet[Unit, int] | None:
    """Ids of the units whose data the user may see; ``None`` means every unit."""
    return scope_for(user).unit_ids_qs()


def visible_agency_ids(user: Any) -> QuerySet[Agency, int] | None:
    """Ids of the agencies whose data the user may see; ``None`` means every agency."""
    return scope_for(user).agency_ids_qs()


def scope_queryset(
    qs: QuerySet[M], user: Any, *, agency_field: str | None = "agency", unit_field: str | None = None
) -> QuerySet[M]:
    """``qs`` narrowed to the rows the user may see, decided by ``agency_field`` (then ``unit_field``
    for rows without an agency). Field names are lookups: ``"agency"``, ``"dossier__agency"``."""
    if agency_field is None and unit_field is None:
        raise ValueError("scope_queryset needs agency_field or unit_field")
    scope = scope_for(user)
    if scope.everything:
        return qs
    if scope.empty:
        return qs.none()
    agency_ids = scope.agency_ids_qs()
    unit_ids = scope.unit_ids_qs()
    if agency_field and unit_field:
        return qs.filter(
            Q(**{f"{agency_field}__in": agency_ids})
            | Q(**{f"{agency_field}__isnull": True, f"{unit_field}__in": unit_ids})
        )
    if agency_field:
        return qs.filter(**{f"{agency_field}__in": agency_ids})
    return qs.filter(**{f"{unit_field}__in": unit_ids})


def ensure_in_scope(user: Any, *, agency: Any = None, unit: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless the object anchored at ``agency``/``unit`` is in scope."""
    if not scope_for(user).covers(agency=agency, unit=unit):
        raise PermissionDenied("Bạn không có quyền truy cập dữ liệu của đơn vị này.", code="out_of_scope")


def _check_roles(roles: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(str(r) for r in roles)
    unknown = wanted - _VALID_ROLES
    if unknown:
        raise ValueError(f"unknown role(s): {sorted(unknown)}")
    return wanted


def user_roles(user: Any) -> set[str]:
    """Role codes the user holds anywhere (``citizen`` for citizen accounts)."""
    if not _active(user):
        return set()
    roles = set(
        RoleAssignment.objects.filter(user_id=user.pk).exclude(role=Role.CITIZEN).values_list("role", flat=True)
    )
    if getattr(user, "is_citizen", False):
        roles.add(Role.CITIZEN.value)
    return roles


def is_officer(user: Any) -> bool:
    """Holds at least one officer role with a unit or agency (superusers count as officers)."""
    if not _active(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return (
        RoleAssignment.objects.filter(user_id=user.pk, role__in=OFFICER_ROLES)
        .filter(Q(unit__isnull=False) | Q(agency__isnull=False))
        .exists()
    )


def has_role(user: Any, *roles: str, agency: Any = None, unit: Any = None) -> bool:
    """True when the user holds one of ``roles`` with a scope covering ``agency``/``unit`` (or anywhere
    when neither is given). Superusers hold every officer role everywhere."""
    wanted = _check_roles(roles)
    if not wanted:
        raise ValueError("has_role needs at least one role")
    if Role.CITIZEN.value in wanted and agency is None and unit is None and _active(user):
        if getattr(user, "is_citizen", False):
            return True
    scope = scope_for(user, wanted)
    if agency is None and unit is None:
        return not scope.empty
    return scope.covers(agency=agency, unit=unit)


def ensure_role(user: Any, *roles: str, agency: Any = None, unit: Any = None) -> None:
    """:func:`has_role` or :class:`PermissionDenied`; for services that take an ``actor``."""
    if not has_role(user, *roles, agency=agency, unit=unit):
        raise PermissionDenied("Bạn không có vai trò cần thiết để thực hiện thao tác này.", code="role_required")

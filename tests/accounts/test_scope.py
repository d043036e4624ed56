"""The scope rule, proved on real rows: nobody sees outside their units or agencies."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.accounts.scope import (
    ensure_in_scope,
    has_role,
    is_officer,
    scope_queryset,
    user_roles,
    visible_agency_ids,
    visible_unit_ids,
)
from chinhquyenso.core.errors import PermissionDenied
from chinhquyenso.units.models import Agency, Unit

from .conftest import make_agency, make_unit, make_user

pytestmark = pytest.mark.django_db


def _agencies(user) -> set[str]:
    return set(scope_queryset(Agency.objects.all(), user, agency_field="pk").values_list("code", flat=True))


def test_commune_officer_sees_own_commune_and_nothing_of_commune_b(org, officer_a):
    assert _agencies(officer_a) == {org.ubnd_a.code, org.ubnd_old_commune.code}
    units = set(Unit.objects.filter(pk__in=visible_unit_ids(officer_a)))
    assert org.commune_a in units and org.commune_b not in units and org.province not in units
    ensure_in_scope(officer_a, agency=org.ubnd_a)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_a, agency=org.ubnd_b)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_a, unit=org.commune_b)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_a, agency=org.so_tu_phap)


def test_merged_commune_records_follow_the_successor_but_abolished_district_does_not(org, officer_a):
    ensure_in_scope(officer_a, agency=org.ubnd_old_commune)
    ensure_in_scope(officer_a, unit=org.old_commune)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_a, agency=org.ubnd_old_district)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_a, unit=org.old_district)


def test_so_officer_sees_only_their_so_and_its_children(org, officer_so):
    assert _agencies(officer_so) == {org.so_tu_phap.code, org.chi_cuc.code}
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_so, agency=org.so_xay_dung)
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_so, agency=org.ubnd_a)
    # Unit-keyed data: only the Sở's own unit, never the communes below it.
    assert set(Unit.objects.filter(pk__in=visible_unit_ids(officer_so))) == {org.province}


def test_child_agency_reach_is_bounded(org, officer_so):
    level2 = make_agency("H01.10.01.01", "Tổ 1", org.province, parent=org.chi_cuc)
    level3 = make_agency("H01.10.01.01.01", "Nhóm 1", org.province, parent=level2)
    level4 = make_agency("H01.10.01.01.01.01", "Nhóm con", org.province, parent=level3)
    codes = _agencies(officer_so)
    assert {level2.code, level3.code} <= codes
    assert level4.code not in codes


def test_province_admin_and_superuser_see_everything(org, province_admin):
    assert visible_unit_ids(province_admin) is None
    assert visible_agency_ids(province_admin) is None
    assert _agencies(province_admin) == set(Agency.objects.values_list("code", flat=True))
    ensure_in_scope(province_admin, agency=org.ubnd_b)
    ensure_in_scope(province_admin)  # an object with no anchor: only global users
    root = make_user("root", is_superuser=True)
    assert visible_agency_ids(root) is None


def test_unit_only_role_below_the_root_is_not_global(org):
    deputy = make_user("pho.a", (Role.LEADER, org.commune_a, None))
    assert visible_unit_ids(deputy) is not None
    with pytest.raises(PermissionDenied):
        ensure_in_scope(deputy)


def test_citizen_and_anonymous_see_no_officer_data(org, citizen, officer_a):
    assert _agencies(citizen) == set()
    assert not visible_unit_ids(citizen).exists()
    assert scope_queryset(RoleAssignment.objects.all(), citizen, unit_field="unit").count() == 0
    assert _agencies(AnonymousUser()) == set()
    with pytest.raises(PermissionDenied):
        ensure_in_scope(citizen, agency=org.ubnd_a)
    assert not is_officer(citizen)
    assert user_roles(citizen) == {"citizen"}


def test_inactive_officer_sees_nothing(org, officer_a):
    officer_a.is_active = False
    officer_a.save()
    assert _agencies(officer_a) == set()


def test_rows_with_agency_and_unit_are_decided_by_agency(org, officer_a, officer_b, officer_so):
    """Role assignments are officer data with both fields: A's officer sees A's staff only."""
    rows = scope_queryset(RoleAssignment.objects.all(), officer_a, agency_field="agency", unit_field="unit")
    assert set(rows.values_list("user__username", flat=True)) == {"canbo.a"}
    # The Sở officer sees the Sở's assignment but not a province-level row of another Sở.
    other_so = make_user("canbo.xd", (Role.PROCESSING_OFFICER, org.province, org.so_xay_dung))
    rows = scope_queryset(RoleAssignment.objects.all(), officer_so, agency_field="agency", unit_field="unit")
    assert set(rows.values_list("user__username", flat=True)) == {"canbo.so"}
    with pytest.raises(PermissionDenied):
        ensure_in_scope(officer_so, agency=org.so_xay_dung, unit=org.province)
    assert other_so.pk  # created
    # A row without an agency falls back to its unit.
    ensure_in_scope(officer_a, agency=None, unit=org.commune_a)


def test_scope_filter_is_one_sql_query_with_subqueries(org, officer_a, django_assert_num_queries):
    make_unit("30340", "Xã Phú Hữu", "commune", org.commune_b)
    qs = scope_queryset(Agency.objects.all(), officer_a, agency_field="pk")
    with django_assert_num_queries(1):
        codes = [a.code for a in qs]
    assert org.ubnd_b.code not in codes
    assert "SELECT" in str(qs.query).split("WHERE", 1)[1]  # the visible set is a subquery, not a literal list


def test_has_role_checks_role_and_scope(org, officer_a, officer_so, province_admin):
    assert has_role(officer_a, Role.PROCESSING_OFFICER)
    assert not has_role(officer_a, Role.LEADER)
    assert has_role(officer_a, Role.PROCESSING_OFFICER, agency=org.ubnd_a)
    assert not has_role(officer_a, Role.PROCESSING_OFFICER, agency=org.ubnd_b)
    assert has_role(officer_a, Role.PROCESSING_OFFICER, unit=org.commune_a.pk)
    assert has_role(officer_so, Role.PROCESSING_OFFICER, agency=org.chi_cuc)
    assert not has_role(officer_so, Role.PROCESSING_OFFICER, agency=org.so_xay_dung)
    assert has_role(province_admin, Role.PROVINCE_ADMIN, agency=org.ubnd_b)
    assert not has_role(province_admin, Role.LEADER)
    with pytest.raises(ValueError):
        has_role(officer_a, "nguoi_la")


def test_role_scope_is_per_role(org):
    """Leader in A and one-stop officer in B: leader rights do not extend to B."""
    mixed = make_user("mixed", (Role.LEADER, org.commune_a, None), (Role.ONE_STOP_OFFICER, org.commune_b, None))
    assert has_role(mixed, Role.LEADER, agency=org.ubnd_a)
    assert not has_role(mixed, Role.LEADER, agency=org.ubnd_b)
    assert has_role(mixed, Role.ONE_STOP_OFFICER, agency=org.ubnd_b)
    assert user_roles(mixed) == {"leader", "one_stop_officer"}
    assert _agencies(mixed) == {org.ubnd_a.code, org.ubnd_b.code, org.ubnd_old_commune.code}


def test_malformed_unit_path_grants_nothing(org):
    broken = make_unit("99999", "Lỗi", "commune", org.province)
    Unit.objects.filter(pk=broken.pk).update(path="")
    user = make_user("broken", (Role.LEADER, broken, None))
    assert _agencies(user) == set()

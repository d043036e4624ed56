"""The shipped An Giang data: both structures, the 01/7/2025 changes and the agencies."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitChange, UnitChangeKind
from chinhquyenso.units.selectors import unit_get, unit_successor_on, units_successor_map
from chinhquyenso.units.services import unit_create, units_load_an_giang

from .conftest import AFTER, BEFORE, SWITCH


def test_load_counts(an_giang):
    assert an_giang["units_created"] == 429
    assert an_giang["changes_created"] == 104
    assert an_giang["agencies_created"] == 118


def test_old_an_giang_has_its_eleven_districts(an_giang):
    old_89 = unit_get(code="89", level="province", on=BEFORE)
    assert old_89.valid_to == SWITCH
    districts = Unit.objects.filter(parent=old_89, level="district")
    assert sorted(districts.values_list("code", flat=True)) == [
        "883", "884", "886", "887", "888", "889", "890", "891", "892", "893", "894",
    ]
    an_phu = districts.get(code="886")
    assert an_phu.full_name == "Huyện An Phú"
    assert Unit.objects.filter(parent=an_phu).count() == 14
    assert Unit.objects.filter(parent__parent=old_89, level="commune").count() == 155


def test_old_kien_giang_is_province_91_until_the_merger(an_giang):
    old_91 = unit_get(code="91", level="province", on=BEFORE)
    assert old_91.name == "Kiên Giang"
    assert old_91.valid_to == SWITCH
    assert Unit.objects.filter(parent=old_91, level="district").count() == 15
    assert Unit.objects.filter(parent__parent=old_91, level="commune").count() == 143


def test_new_an_giang_has_102_communes_on_two_levels(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    assert new_91.name == "An Giang"
    assert new_91.valid_from == SWITCH and new_91.valid_to is None
    communes = Unit.objects.filter(parent=new_91)
    assert communes.count() == 102
    assert set(communes.values_list("level", flat=True)) == {"commune"}
    assert Counter(communes.values_list("kind", flat=True)) == {"Xã": 85, "Phường": 14, "Đặc khu": 3}
    assert communes.filter(valid_from=SWITCH, valid_to__isnull=True).count() == 102
    assert not Unit.objects.filter(level="district", valid_to__isnull=True).exists()


def test_every_old_commune_maps_to_exactly_one_new_commune(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    old_communes = list(Unit.objects.filter(level="commune", valid_to=SWITCH).select_related("parent__parent"))
    assert len(old_communes) == 298
    assert {c.parent.parent.code for c in old_communes} == {"89", "91"}
    through = UnitChange.predecessors.through
    as_primary = Counter(through.objects.filter(unit__in=old_communes).values_list("unit_id", flat=True))
    assert set(as_primary.values()) == {1}
    assert len(as_primary) == 298
    forward = units_successor_map(AFTER, unit_ids=[c.pk for c in old_communes])
    assert len(forward) == 298
    new_communes = {u.pk: u for u in Unit.objects.filter(parent=new_91)}
    assert set(forward.values()) == set(new_communes)  # and every new commune received at least one
    for commune in old_communes[::15]:  # the one-by-one walk agrees with the bulk map
        assert unit_successor_on(commune, AFTER).pk == forward[commune.pk]


def test_known_mappings(an_giang):
    da_phuoc = unit_get(code="30373", level="commune", on=BEFORE)
    assert da_phuoc.full_name == "Thị trấn Đa Phước"
    assert unit_successor_on(da_phuoc, AFTER).full_name == "Xã Vĩnh Hậu"
    duong_dong = unit_get(code="31078", level="commune", on=BEFORE)
    assert duong_dong.full_name == "Phường Dương Đông"
    assert unit_successor_on(duong_dong, AFTER).full_name == "Đặc khu Phú Quốc"  # the code is reused


def test_province_and_district_changes(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    merge = UnitChange.objects.get(successor=new_91, kind=UnitChangeKind.MERGE)
    assert merge.effective_on == SWITCH
    assert sorted(merge.predecessors.values_list("name", flat=True)) == ["An Giang", "Kiên Giang"]
    assert "202/2025/QH15" in merge.legal_basis
    abolish = UnitChange.objects.get(successor=new_91, kind=UnitChangeKind.ABOLISH)
    assert abolish.predecessors.count() == 26
    assert UnitChange.objects.filter(kind=UnitChangeKind.REPARENT).count() == 6  # communes kept unchanged
    assert UnitChange.partial_predecessors.through.objects.count() == 4


def test_paths_follow_parents(an_giang):
    by_id = {u.pk: u for u in Unit.objects.all()}
    for unit in by_id.values():
        expected = f"{by_id[unit.parent_id].path}{unit.pk}/" if unit.parent_id else f"/{unit.pk}/"
        assert unit.path == expected
        assert unit.name_folded and unit.name_folded == unit.name_folded.lower()


def test_agencies(an_giang):
    province = unit_get(code="91", level="province", on=AFTER)
    ubnd = Agency.objects.get(portal_code="H01")
    assert ubnd.unit == province and ubnd.kind == AgencyKind.PEOPLES_COMMITTEE
    assert ubnd.name == "Ủy ban nhân dân tỉnh An Giang"
    departments = Agency.objects.filter(unit=province).exclude(pk=ubnd.pk)
    assert departments.count() == 15  # Văn phòng, 13 sở and Thanh tra, Trung tâm PVHCC
    assert set(departments.values_list("parent_id", flat=True)) == {ubnd.pk}
    names = set(departments.values_list("name", flat=True))
    assert "Sở Nông nghiệp và Môi trường tỉnh An Giang" in names
    assert "Trung tâm Phục vụ hành chính công tỉnh An Giang" in names
    commune_ubnds = Agency.objects.filter(unit__parent=province, kind=AgencyKind.PEOPLES_COMMITTEE)
    assert commune_ubnds.count() == 102
    assert Counter(commune_ubnds.values_list("unit_id", flat=True)).most_common(1)[0][1] == 1
    for agency in commune_ubnds.select_related("unit"):
        assert agency.portal_code == f"H01.{agency.unit.code}"
    assert Agency.objects.values("code").distinct().count() == Agency.objects.count()
    portal_codes = Agency.objects.values_list("portal_code", flat=True)
    assert all(code == "H01" or code.startswith("H01.") for code in portal_codes)


def test_loader_is_idempotent(an_giang):
    audit_rows = AuditEvent.objects.count()
    again = units_load_an_giang()
    assert again["units_created"] == again["changes_created"] == again["agencies_created"] == 0
    assert (again["units_total"], again["changes_total"], again["agencies_total"]) == (429, 104, 118)
    assert Unit.objects.count() == 429
    assert UnitChange.predecessors.through.objects.count() == 298 + 2 + 26
    assert AuditEvent.objects.count() == audit_rows  # nothing done, nothing recorded


def test_loader_writes_one_audit_row(db):
    units_load_an_giang()
    rows = AuditEvent.objects.filter(action="units.load_an_giang")
    assert rows.count() == 1
    assert rows.get().summary["units_created"] == 429


def test_loader_refuses_a_conflicting_row_and_changes_nothing(db):
    province = unit_create(code="89", name="An Giang", kind="Tỉnh", level="province", valid_from=dt.date(2020, 1, 1))
    before = (Unit.objects.count(), UnitChange.objects.count(), Agency.objects.count())
    with pytest.raises(ValidationFailed) as err:
        units_load_an_giang()
    assert err.value.code == "unit_overlap"
    assert (Unit.objects.count(), UnitChange.objects.count(), Agency.objects.count()) == before
    assert Unit.objects.get().pk == province.pk

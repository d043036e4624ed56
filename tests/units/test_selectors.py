"""Descendants by path prefix, validity filters and "as of" mapping across the 2025 reorganization."""

from __future__ import annotations

import datetime as dt

import pytest

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.units.models import Agency, Unit
from chinhquyenso.units.selectors import (
    agencies_under,
    commune_predecessor_names,
    communes_search,
    province_current,
    unit_descendants,
    unit_get,
    unit_partial_predecessors,
    unit_predecessors,
    unit_rollup_ids,
    unit_successor_on,
    units_successor_map,
    units_valid_on,
)
from chinhquyenso.units.services import unit_create

from .conftest import AFTER, BEFORE, START, SWITCH


def ancestors(unit: Unit) -> set[int]:
    seen: set[int] = set()
    while unit is not None:
        seen.add(unit.pk)
        unit = unit.parent
    return seen


def test_descendants_of_old_an_giang(an_giang):
    old_89 = unit_get(code="89", level="province", on=BEFORE)
    below = unit_descendants(old_89)
    assert below.count() == 1 + 11 + 155
    assert unit_descendants(old_89, include_self=False).count() == 11 + 155
    assert all(old_89.pk in ancestors(u) for u in below.select_related("parent__parent"))
    assert unit_descendants(old_89, on=BEFORE).count() == 167
    assert unit_descendants(old_89, on=SWITCH).count() == 0


def test_descendants_of_new_an_giang(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    assert unit_descendants(new_91).count() == 103
    assert unit_descendants(new_91, on=BEFORE).count() == 0
    assert unit_descendants(new_91, include_self=False, on=SWITCH).filter(level="commune").count() == 102
    an_phu = unit_get(code="886", level="district", on=BEFORE)
    assert {u.code for u in unit_descendants(an_phu, include_self=False)} == set(
        Unit.objects.filter(parent=an_phu).values_list("code", flat=True)
    )


def test_descendants_prefix_does_not_leak_into_siblings(small_tree):
    """Unit ids 1 and 12 must not look related: paths end with "/"."""
    d1 = small_tree["d1"]
    for i in range(12):  # enough rows that some id starts with another's digits
        unit_create(code=f"{100 + i:05d}", name=f"X{i}", kind="Xã", level="commune", parent=small_tree["d2"],
                    valid_from=START)
    below = set(unit_descendants(d1).values_list("pk", flat=True))
    assert below == {d1.pk, small_tree["c1"].pk, small_tree["c2"].pk}
    for unit in Unit.objects.all():
        assert set(unit_descendants(unit).values_list("pk", flat=True)) == {
            u.pk for u in Unit.objects.select_related("parent__parent") if unit.pk in ancestors(u)
        }


def test_a_unit_without_path_is_refused_not_treated_as_everything(small_tree):
    bare = Unit.objects.create(code="09", name="Tạo tay", kind="Tỉnh", level="province")
    assert bare.path == f"/{bare.pk}/"  # Unit.save fills the path for rows made outside the services
    Unit.objects.filter(pk=bare.pk).update(path="")  # a row damaged behind the ORM's back
    bare.refresh_from_db()
    for query in (lambda: unit_descendants(bare), lambda: agencies_under(bare), lambda: unit_rollup_ids(bare)):
        with pytest.raises(ValidationFailed) as err:
            query()
        assert err.value.code == "unit_path_missing"


def test_units_valid_on(an_giang):
    assert units_valid_on(BEFORE).count() == 2 + 26 + 298
    assert units_valid_on(SWITCH).count() == 1 + 102
    assert units_valid_on(dt.date(1950, 1, 1)).count() == 2 + 26 + 298
    assert units_valid_on().count() == 103  # today


def test_unit_get_by_code_and_day(an_giang):
    assert unit_get(code="91", level="province", on=BEFORE).name == "Kiên Giang"
    assert unit_get(code="91", level="province", on=AFTER).name == "An Giang"
    with pytest.raises(NotFound):
        unit_get(code="89", level="province", on=AFTER)


def test_successor_of_provinces_and_districts(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    for code in ("89", "91"):
        assert unit_successor_on(unit_get(code=code, level="province", on=BEFORE), AFTER) == new_91
    an_phu = unit_get(code="886", level="district", on=BEFORE)
    assert unit_successor_on(an_phu, BEFORE) == an_phu
    assert unit_successor_on(an_phu, AFTER) == new_91


def test_successor_before_a_unit_exists_is_not_found(an_giang):
    vinh_hau = unit_get(code="30367", level="commune", on=AFTER)
    with pytest.raises(NotFound) as err:
        unit_successor_on(vinh_hau, BEFORE)
    assert err.value.code == "unit_not_yet_valid"


def test_successor_of_a_closed_unit_without_change_is_not_found(small_tree):
    gone = unit_create(code="00099", name="Giải thể", kind="Xã", level="commune", parent=small_tree["d1"],
                       valid_from=START, valid_to=SWITCH)
    with pytest.raises(NotFound) as err:
        unit_successor_on(gone, AFTER)
    assert err.value.code == "unit_no_successor"
    assert gone.pk not in units_successor_map(AFTER)


def test_successor_map_matches_one_by_one(an_giang):
    mapping = units_successor_map(AFTER)
    assert len(mapping) == Unit.objects.count()  # every row reaches a unit in force today
    for unit in Unit.objects.filter(code__in=["89", "884", "30316", "30319", "31078"]):
        assert mapping[unit.pk] == unit_successor_on(unit, AFTER).pk
    before = units_successor_map(BEFORE)
    assert len(before) == 2 + 26 + 298  # the new rows did not exist yet


def test_predecessors_of_a_new_commune(an_giang):
    vinh_hau = unit_get(code="30367", level="commune", on=AFTER)
    olds = unit_predecessors(vinh_hau)
    assert {u.full_name for u in olds} == {"Thị trấn Đa Phước", "Xã Vĩnh Trường", "Xã Vĩnh Hậu"}
    assert all(u.valid_to == SWITCH and u.parent.code == "886" for u in olds)
    an_phu = unit_get(code="30337", level="commune", on=AFTER)
    assert {u.name for u in unit_partial_predecessors(an_phu)} == {"Phước Hưng"}
    assert "Phước Hưng" not in {u.name for u in unit_predecessors(an_phu)}


def test_predecessors_are_transitive(small_tree):
    from chinhquyenso.units.services import unit_rename, units_merge

    c1, c2 = small_tree["c1"], small_tree["c2"]
    merged = units_merge(predecessors=[c1, c2], into_code="00010", into_name="Hợp", kind="Xã", effective_on=SWITCH)
    renamed = unit_rename(unit=merged, new_name="Hợp Nhất", effective_on=dt.date(2026, 1, 1))
    assert set(unit_predecessors(renamed)) == {merged, c1, c2}
    assert unit_successor_on(c1, dt.date(2026, 6, 1)) == renamed
    assert unit_rollup_ids(renamed) == {renamed.pk, merged.pk, c1.pk, c2.pk}


def test_rollup_ids_of_the_new_province_cover_both_structures(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    assert unit_rollup_ids(new_91) == set(Unit.objects.values_list("pk", flat=True))
    assert len(unit_predecessors(new_91)) == 2 + 26


def test_agencies_under(an_giang):
    new_91 = unit_get(code="91", level="province", on=AFTER)
    assert agencies_under(new_91).count() == 118
    assert agencies_under(new_91, include_self=False).count() == 102
    assert agencies_under(new_91, on=BEFORE).count() == 0
    long_xuyen = unit_get(code="30307", level="commune", on=AFTER)
    assert [a.portal_code for a in agencies_under(long_xuyen)] == ["H01.30307"]
    assert agencies_under(unit_get(code="89", level="province", on=BEFORE)).count() == 0


def test_province_current(an_giang):
    assert province_current().name == "An Giang"
    assert province_current(on=AFTER).code == "91"
    with pytest.raises(NotFound):
        province_current(on=BEFORE)  # two provinces in force and no H01 among them


def test_province_current_without_data(db):
    with pytest.raises(NotFound):
        province_current()


def test_province_current_single_province_without_agency(small_tree):
    Agency.objects.all().delete()
    assert province_current() == small_tree["province"]


def test_communes_search(an_giang):
    assert len(communes_search("")) == 102
    assert [c.full_name for c in communes_search("phuong long xuyen")] == ["Phường Long Xuyên"]
    assert [c.full_name for c in communes_search("Đa Phước")] == ["Xã Vĩnh Hậu"]  # a former name
    assert [c.code for c in communes_search("30307")] == ["30307"]
    assert communes_search("khong co dau") == []
    an_phu = {c.full_name for c in communes_search("an phu")}
    assert "Xã An Phú" in an_phu
    assert "Xã Phú Tân" not in an_phu  # formed from "Thị trấn Phú Mỹ": "tran phu" holds "an phu" mid-word
    assert "Xã Vĩnh An" not in an_phu  # formed from "Xã Tân Phú"
    vinh_hau = communes_search("vinh hau")
    names = commune_predecessor_names(vinh_hau)[vinh_hau[0].pk]
    assert "Thị trấn Đa Phước (Huyện An Phú)" in names

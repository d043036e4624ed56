"""unit_create / units_merge / unit_rename / agency_create: history kept, bad input refused."""

from __future__ import annotations

import datetime as dt

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, DomainError, ValidationFailed
from chinhquyenso.units.models import Agency, Unit, UnitChange, UnitChangeKind
from chinhquyenso.units.selectors import unit_descendants, unit_predecessors, unit_successor_on
from chinhquyenso.units.services import agency_create, unit_create, unit_rename, units_merge

from .conftest import START

D = dt.date(2025, 7, 1)


def snapshot() -> tuple[list[tuple], int, int, int]:
    """Everything the services can write, to prove a refused call changed nothing."""
    rows = list(Unit.objects.order_by("pk").values_list("pk", "code", "name", "kind", "parent_id", "path",
                                                         "valid_from", "valid_to"))
    return rows, UnitChange.objects.count(), Agency.objects.count(), AuditEvent.objects.count()


def refused(call, code: str, exc: type[DomainError] = ValidationFailed) -> DomainError:
    before = snapshot()
    with pytest.raises(exc) as err:
        call()
    assert err.value.code == code, err.value.message
    assert err.value.message  # a Vietnamese sentence for the user
    assert snapshot() == before
    return err.value


# --- unit_create ---------------------------------------------------------------------------------


def test_unit_create_keeps_path_and_audits(small_tree):
    province, d1, c1 = small_tree["province"], small_tree["d1"], small_tree["c1"]
    assert province.path == f"/{province.pk}/"
    assert d1.path == f"/{province.pk}/{d1.pk}/"
    assert Unit.objects.get(pk=c1.pk).path == f"/{province.pk}/{d1.pk}/{c1.pk}/"
    assert c1.full_name == "Xã Bình An" and c1.name_folded == "xa binh an"
    event = AuditEvent.objects.filter(action="unit.create").order_by("-seq").first()
    assert event is not None and event.summary["code"] == "00003"


def test_commune_directly_under_province_is_allowed(small_tree):
    commune = unit_create(code="00009", name="Mới", kind="Phường", level="commune", parent=small_tree["province"],
                          valid_from=D)
    assert commune.path == f"{small_tree['province'].path}{commune.pk}/"


@pytest.mark.parametrize(
    ("level", "code"),
    [("province", "1"), ("province", "001"), ("province", "A1"), ("district", "01"), ("district", "1234"),
     ("commune", "0001"), ("commune", "000011"), ("commune", "00 01"), ("commune", "٠٠٠٠١")],
)
def test_unit_create_refuses_bad_gso_codes(small_tree, level, code):
    parent = {"province": None, "district": small_tree["province"], "commune": small_tree["d1"]}[level]
    kind = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã"}[level]
    refused(lambda: unit_create(code=code, name="X", kind=kind, level=level, parent=parent, valid_from=START),
            "unit_code_invalid")


def test_unit_create_refuses_bad_level_name_kind_range(small_tree):
    d1 = small_tree["d1"]
    refused(lambda: unit_create(code="00009", name="X", kind="Xã", level="hamlet", parent=d1, valid_from=START),
            "unit_level_invalid")
    refused(lambda: unit_create(code="00009", name="  ", kind="Xã", level="commune", parent=d1, valid_from=START),
            "unit_name_required")
    refused(lambda: unit_create(code="00009", name="X", kind="Huyện", level="commune", parent=d1, valid_from=START),
            "unit_kind_invalid")
    refused(lambda: unit_create(code="00009", name="X", kind="Xã", level="commune", parent=d1, valid_from=D,
                                valid_to=D), "unit_range_invalid")


def test_unit_create_refuses_parent_of_the_wrong_level(small_tree):
    province, d1, c1 = small_tree["province"], small_tree["d1"], small_tree["c1"]
    refused(lambda: unit_create(code="02", name="X", kind="Tỉnh", level="province", parent=province,
                                valid_from=START), "unit_parent_level_invalid")
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", parent=d1,
                                valid_from=START), "unit_parent_level_invalid")
    refused(lambda: unit_create(code="00009", name="X", kind="Xã", level="commune", parent=c1,
                                valid_from=START), "unit_parent_level_invalid")
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", valid_from=START),
            "unit_parent_required")
    unsaved = Unit(code="03", name="Y", kind="Tỉnh", level="province")
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", parent=unsaved,
                                valid_from=START), "unit_parent_required")


def test_unit_create_refuses_parent_not_valid_over_the_range(small_tree):
    short = unit_create(code="09", name="Ngắn", kind="Tỉnh", level="province", valid_from=dt.date(2010, 1, 1),
                        valid_to=dt.date(2020, 1, 1))
    # starts before the parent
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", parent=short,
                                valid_from=dt.date(2009, 1, 1), valid_to=dt.date(2015, 1, 1)), "unit_parent_not_valid")
    # open-ended while the parent ends
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", parent=short,
                                valid_from=dt.date(2011, 1, 1)), "unit_parent_not_valid")
    # ends after the parent
    refused(lambda: unit_create(code="009", name="X", kind="Huyện", level="district", parent=short,
                                valid_from=dt.date(2011, 1, 1), valid_to=dt.date(2021, 1, 1)), "unit_parent_not_valid")
    inside = unit_create(code="009", name="X", kind="Huyện", level="district", parent=short,
                         valid_from=dt.date(2011, 1, 1), valid_to=dt.date(2020, 1, 1))
    assert inside.parent == short


def test_unit_create_refuses_overlapping_validity_of_the_same_code(small_tree):
    d1 = small_tree["d1"]
    refused(lambda: unit_create(code="00001", name="Trùng", kind="Xã", level="commune", parent=d1,
                                valid_from=dt.date(2024, 1, 1)), "unit_overlap")
    closed = unit_create(code="00007", name="Cũ", kind="Xã", level="commune", parent=d1, valid_from=START,
                         valid_to=D)
    refused(lambda: unit_create(code="00007", name="Giữa", kind="Xã", level="commune", parent=d1,
                                valid_from=dt.date(2010, 1, 1), valid_to=dt.date(2011, 1, 1)), "unit_overlap")
    refused(lambda: unit_create(code="00007", name="Cuối", kind="Xã", level="commune", parent=d1,
                                valid_from=dt.date(2025, 6, 1), valid_to=dt.date(2026, 1, 1)), "unit_overlap")
    # the day the old one ends, the code may be reused
    reused = unit_create(code="00007", name="Mới", kind="Phường", level="commune", parent=d1, valid_from=D)
    assert reused.pk != closed.pk


def test_unit_create_refuses_a_parent_chain_with_a_cycle(small_tree):
    province, d1 = small_tree["province"], small_tree["d1"]
    Unit.objects.filter(pk=province.pk).update(parent=d1)  # corrupt data: the province under its own district
    refused(lambda: unit_create(code="00009", name="X", kind="Xã", level="commune", parent=d1, valid_from=START),
            "unit_cycle")


# --- units_merge ---------------------------------------------------------------------------------


def test_merge_communes_keeps_history(small_tree):
    c1, c2, d1 = small_tree["c1"], small_tree["c2"], small_tree["d1"]
    old_rows = {u.pk: (u.code, u.name, u.parent_id, u.path, u.valid_from) for u in (c1, c2)}
    record = Agency.objects.create(code="UB1", portal_code="X.1", name="UBND Xã Bình An", kind="ubnd", unit=c1)
    merged = units_merge(predecessors=[c1, c2], into_code="00010", into_name="Bình An Hòa", kind="Xã",
                         effective_on=D, legal_basis="NQ 1/2025")
    assert merged.valid_from == D and merged.valid_to is None and merged.parent == d1
    assert merged.path == f"{d1.path}{merged.pk}/"
    for pk, (code, name, parent_id, path, valid_from) in old_rows.items():
        old = Unit.objects.get(pk=pk)
        assert (old.code, old.name, old.parent_id, old.path, old.valid_from) == (code, name, parent_id, path,
                                                                                valid_from)
        assert old.valid_to == D
        assert unit_successor_on(old, dt.date(2025, 6, 30)) == old
        assert unit_successor_on(old, D) == merged
    change = UnitChange.objects.get(successor=merged)
    assert change.kind == UnitChangeKind.MERGE and change.legal_basis == "NQ 1/2025"
    assert set(change.predecessors.all()) == {c1, c2}
    assert set(unit_predecessors(merged)) == {c1, c2}
    assert Agency.objects.get(pk=record.pk).unit_id == c1.pk  # old records keep pointing at the old row
    assert AuditEvent.objects.filter(action="units.merge").count() == 1


def test_merge_may_reuse_a_predecessor_code(small_tree):
    c1, c2 = small_tree["c1"], small_tree["c2"]
    merged = units_merge(predecessors=[c1, c2], into_code=c1.code, into_name="Bình An", kind="Phường",
                         effective_on=D)
    assert merged.pk not in (c1.pk, c2.pk)
    assert Unit.objects.filter(code=c1.code, level="commune").count() == 2
    assert Unit.objects.get(pk=c1.pk).kind == "Xã"


def test_merge_into_an_existing_unit_absorbs(small_tree):
    c1, c2 = small_tree["c1"], small_tree["c2"]
    kept = units_merge(predecessors=[c2], into_code=c1.code, into_name=c1.name, kind=c1.kind, effective_on=D)
    assert kept.pk == c1.pk and kept.valid_to is None
    assert unit_successor_on(c2, D) == c1
    refused(lambda: units_merge(predecessors=[small_tree["c3"]], into_code=c1.code, into_name="Tên khác",
                                kind="Xã", effective_on=dt.date(2026, 1, 1),
                                parent=small_tree["d1"]), "merge_successor_conflict")


def test_merge_districts_moves_their_communes(small_tree):
    d1, d2, c1, c2, c3 = (small_tree[k] for k in ("d1", "d2", "c1", "c2", "c3"))
    district = units_merge(predecessors=[d1, d2], into_code="003", into_name="Ba", kind="Thị xã", effective_on=D)
    moved = Unit.objects.filter(parent=district).order_by("code")
    assert [u.code for u in moved] == ["00001", "00002", "00003"]
    for new_row, old in zip(moved, (c1, c2, c3), strict=True):
        assert new_row.pk != old.pk and new_row.name == old.name and new_row.valid_from == D
        assert new_row.path == f"{district.path}{new_row.pk}/"
        assert Unit.objects.get(pk=old.pk).parent_id == old.parent_id and Unit.objects.get(pk=old.pk).valid_to == D
        assert unit_successor_on(old, D) == new_row
        assert UnitChange.objects.get(successor=new_row).kind == UnitChangeKind.REPARENT
    assert unit_descendants(district, on=D).count() == 4
    assert unit_descendants(d1, on=D).count() == 0
    assert unit_descendants(d1, on=dt.date(2025, 6, 30)).count() == 3


def test_merge_refusals_change_nothing(small_tree):
    province, d1, c1, c2, c3 = (small_tree[k] for k in ("province", "d1", "c1", "c2", "c3"))
    refused(lambda: units_merge(predecessors=[], into_code="00010", into_name="X", kind="Xã", effective_on=D),
            "merge_empty")
    refused(lambda: units_merge(predecessors=[c1, c1], into_code="00010", into_name="X", kind="Xã", effective_on=D),
            "merge_invalid")
    refused(lambda: units_merge(predecessors=[c1, d1], into_code="00010", into_name="X", kind="Xã", effective_on=D),
            "merge_levels_differ")
    refused(lambda: units_merge(predecessors=[c1, c3], into_code="00010", into_name="X", kind="Xã", effective_on=D),
            "merge_parent_required")
    refused(lambda: units_merge(predecessors=[c1, c2], into_code="10", into_name="X", kind="Xã", effective_on=D),
            "unit_code_invalid")
    refused(lambda: units_merge(predecessors=[c1, c2], into_code="00010", into_name="X", kind="Xã",
                                effective_on=START), "unit_not_valid")
    closed = unit_create(code="00008", name="Đã đóng", kind="Xã", level="commune", parent=d1, valid_from=START,
                         valid_to=dt.date(2020, 1, 1))
    # the first predecessor would be closed before the second one fails: the transaction undoes it
    refused(lambda: units_merge(predecessors=[c1, closed], into_code="00010", into_name="X", kind="Xã",
                                effective_on=D), "unit_not_valid")
    units_merge(predecessors=[c1, c2], into_code="00010", into_name="X", kind="Xã", effective_on=D)
    refused(lambda: units_merge(predecessors=[c1], into_code="00011", into_name="Y", kind="Xã",
                                effective_on=dt.date(2026, 1, 1)), "unit_not_valid")
    refused(lambda: units_merge(predecessors=[province], into_code="02", into_name="Y", kind="Tỉnh",
                                effective_on=D, parent=d1), "unit_parent_level_invalid")


def test_a_unit_has_at_most_one_successor(small_tree):
    c1 = small_tree["c1"]
    units_merge(predecessors=[c1], into_code="00010", into_name="X", kind="Xã", effective_on=D)
    stale = Unit.objects.get(pk=c1.pk)
    Unit.objects.filter(pk=c1.pk).update(valid_to=None)  # corrupt: reopened by hand
    refused(lambda: units_merge(predecessors=[stale], into_code="00011", into_name="Y", kind="Xã",
                                effective_on=dt.date(2026, 1, 1)), "unit_already_succeeded", Conflict)


# --- unit_rename ---------------------------------------------------------------------------------


def test_rename_opens_a_new_row_and_keeps_the_old(small_tree):
    d1, c1, c2 = small_tree["d1"], small_tree["c1"], small_tree["c2"]
    record = Agency.objects.create(code="UBH1", portal_code="X.2", name="UBND Huyện Một", kind="ubnd", unit=d1)
    renamed = unit_rename(unit=d1, new_name="Một Mới", new_kind="Thị xã", effective_on=D, legal_basis="NQ 2/2025")
    old = Unit.objects.get(pk=d1.pk)
    assert (old.name, old.kind, old.valid_to) == ("Một", "Huyện", D)
    assert (renamed.code, renamed.name, renamed.kind, renamed.valid_from) == ("001", "Một Mới", "Thị xã", D)
    assert renamed.parent_id == old.parent_id
    change = UnitChange.objects.get(successor=renamed)
    assert change.kind == UnitChangeKind.RENAME and list(change.predecessors.all()) == [old]
    assert unit_successor_on(old, dt.date(2030, 1, 1)) == renamed
    assert Agency.objects.get(pk=record.pk).unit_id == old.pk
    # the communes follow the new row
    assert {u.code for u in Unit.objects.filter(parent=renamed)} == {c1.code, c2.code}
    assert unit_successor_on(c1, D).parent == renamed
    assert set(unit_predecessors(renamed)) == {old}


def test_rename_refusals(small_tree):
    c1 = small_tree["c1"]
    refused(lambda: unit_rename(unit=c1, new_name=c1.name, effective_on=D), "rename_same_name")
    refused(lambda: unit_rename(unit=c1, new_name="", effective_on=D), "unit_name_required")
    refused(lambda: unit_rename(unit=c1, new_name="Khác", effective_on=START), "unit_not_valid")
    refused(lambda: unit_rename(unit=c1, new_name="Khác", new_kind="Huyện", effective_on=D), "unit_kind_invalid")


# --- agency_create -------------------------------------------------------------------------------


def test_agency_create(small_tree):
    province, c1 = small_tree["province"], small_tree["c1"]
    top = agency_create(code="H99", portal_code="H99", name="UBND tỉnh Thử Nghiệm", kind="ubnd", unit=province)
    commune = agency_create(code="H99.00001", portal_code="H99.00001", name="UBND Xã Bình An", kind="ubnd",
                            unit=c1, parent=top)
    assert commune.valid_from == c1.valid_from and commune.parent == top
    assert AuditEvent.objects.filter(action="agency.create").count() == 2


def test_agency_create_refusals(small_tree):
    province, d1, c1 = small_tree["province"], small_tree["d1"], small_tree["c1"]
    top = agency_create(code="H99", portal_code="H99", name="UBND tỉnh", kind="ubnd", unit=province)
    commune_ubnd = agency_create(code="H99.1", portal_code="H99.1", name="UBND xã", kind="ubnd", unit=c1)

    def make(**kw):
        args = {"code": "H99.2", "portal_code": "H99.2", "name": "Sở X", "kind": "so", "unit": province}
        args.update(kw)
        return lambda: agency_create(**args)

    refused(make(code="H99 2"), "agency_code_invalid")
    refused(make(code=""), "agency_code_invalid")
    refused(make(portal_code="H99/2"), "agency_portal_code_invalid")
    refused(make(name=" "), "agency_name_required")
    refused(make(kind="bo"), "agency_kind_invalid")
    refused(make(code="H99"), "agency_code_taken", Conflict)
    refused(make(valid_from=dt.date(1999, 1, 1)), "unit_parent_not_valid")
    refused(make(valid_from=D, valid_to=D), "agency_range_invalid")
    refused(make(kind="ubnd"), "agency_ubnd_duplicate")
    refused(make(unit=d1, parent=commune_ubnd), "agency_parent_invalid")
    assert make(unit=c1, parent=top)().parent == top

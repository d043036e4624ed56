"""Fixtures for the units tests: the shipped An Giang data, and small hand-made hierarchies."""

from __future__ import annotations

import datetime as dt

import pytest

from chinhquyenso.units.models import Unit
from chinhquyenso.units.services import unit_create, units_load_an_giang

SWITCH = dt.date(2025, 7, 1)
BEFORE = dt.date(2025, 6, 30)
AFTER = dt.date(2025, 8, 1)
START = dt.date(2000, 1, 1)


@pytest.fixture
def an_giang(db) -> dict[str, int]:
    """The shipped CSVs loaded through the real loader."""
    return units_load_an_giang()


@pytest.fixture
def small_tree(db) -> dict[str, Unit]:
    """Province 01 > districts 001, 002 > communes 00001, 00002 (in 001) and 00003 (in 002), from 2000."""
    province = unit_create(code="01", name="Thử Nghiệm", kind="Tỉnh", level="province", valid_from=START)
    d1 = unit_create(code="001", name="Một", kind="Huyện", level="district", parent=province, valid_from=START)
    d2 = unit_create(code="002", name="Hai", kind="Huyện", level="district", parent=province, valid_from=START)
    c1 = unit_create(code="00001", name="Bình An", kind="Xã", level="commune", parent=d1, valid_from=START)
    c2 = unit_create(code="00002", name="Bình Hòa", kind="Xã", level="commune", parent=d1, valid_from=START)
    c3 = unit_create(code="00003", name="Tân Lập", kind="Thị trấn", level="commune", parent=d2, valid_from=START)
    return {"province": province, "d1": d1, "d2": d2, "c1": c1, "c2": c2, "c3": c3}

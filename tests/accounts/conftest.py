"""A small province built by hand: the province, communes A and B, a Sở with a Chi cục, and an
old commune merged into A, plus one account of each kind."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password

from chinhquyenso.accounts.models import Role, RoleAssignment, User
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitChange, UnitChangeKind, UnitLevel

PASSWORD = "Mật-khẩu-đủ-dài-2025!"


@pytest.fixture(autouse=True)
def _fast_argon2(settings):
    """Cheap Argon2 parameters in these tests (see hashers.py)."""
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.FastArgon2PasswordHasher", *settings.PASSWORD_HASHERS]


def make_unit(code: str, name: str, level: str, parent: Unit | None = None, **extra: object) -> Unit:
    unit = Unit.objects.create(code=code, name=name, kind="", level=level, parent=parent, **extra)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def make_agency(code: str, name: str, unit: Unit, kind: str = AgencyKind.PEOPLES_COMMITTEE,
                parent: Agency | None = None) -> Agency:
    return Agency.objects.create(code=code, portal_code=code, name=name, kind=kind, unit=unit, parent=parent)


@dataclass
class Org:
    province: Unit
    commune_a: Unit
    commune_b: Unit
    old_province: Unit
    old_district: Unit
    old_commune: Unit
    ubnd_tinh: Agency
    so_tu_phap: Agency
    chi_cuc: Agency
    so_xay_dung: Agency
    ubnd_a: Agency
    ubnd_b: Agency
    ubnd_old_commune: Agency
    ubnd_old_district: Agency


@pytest.fixture
def org(db) -> Org:
    province = make_unit("91", "An Giang", UnitLevel.PROVINCE, valid_from=dt.date(2025, 7, 1))
    commune_a = make_unit("30337", "Xã An Phú", UnitLevel.COMMUNE, province, valid_from=dt.date(2025, 7, 1))
    commune_b = make_unit("30307", "Phường Long Xuyên", UnitLevel.COMMUNE, province, valid_from=dt.date(2025, 7, 1))
    old_province = make_unit("89", "An Giang (cũ)", UnitLevel.PROVINCE, valid_to=dt.date(2025, 7, 1))
    old_district = make_unit("886", "Huyện An Phú", UnitLevel.DISTRICT, old_province, valid_to=dt.date(2025, 7, 1))
    old_commune = make_unit("30373", "Thị trấn Đa Phước", UnitLevel.COMMUNE, old_district,
                            valid_to=dt.date(2025, 7, 1))
    merge = UnitChange.objects.create(kind=UnitChangeKind.MERGE, effective_on=dt.date(2025, 7, 1), successor=commune_a)
    merge.predecessors.add(old_commune)
    # Abolishing the district level is not followed by scope (its successor would be far too wide).
    abolish = UnitChange.objects.create(kind=UnitChangeKind.ABOLISH, effective_on=dt.date(2025, 7, 1),
                                        successor=commune_a)
    abolish.predecessors.add(old_district)
    so_tu_phap = make_agency("H01.10", "Sở Tư pháp", province, AgencyKind.DEPARTMENT)
    return Org(
        province=province, commune_a=commune_a, commune_b=commune_b, old_province=old_province,
        old_district=old_district, old_commune=old_commune,
        ubnd_tinh=make_agency("H01", "UBND tỉnh An Giang", province),
        so_tu_phap=so_tu_phap,
        chi_cuc=make_agency("H01.10.01", "Phòng Hành chính tư pháp", province, AgencyKind.OTHER, parent=so_tu_phap),
        so_xay_dung=make_agency("H01.20", "Sở Xây dựng", province, AgencyKind.DEPARTMENT),
        ubnd_a=make_agency("H01.30337", "UBND xã An Phú", commune_a),
        ubnd_b=make_agency("H01.30307", "UBND phường Long Xuyên", commune_b),
        ubnd_old_commune=make_agency("H01.OLD.30373", "UBND thị trấn Đa Phước", old_commune),
        ubnd_old_district=make_agency("H01.OLD.886", "UBND huyện An Phú", old_district),
    )


@functools.cache
def password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once per run."""
    return make_password(PASSWORD)


def make_user(username: str, *roles: tuple[str, Unit | None, Agency | None], citizen: bool = False,
              **extra: object) -> User:
    """Rows written directly (not through services) so scope tests do not depend on them."""
    user = User.objects.create(username=username, password=password_hash(), is_citizen=citizen, **extra)
    for role, unit, agency in roles:
        RoleAssignment.objects.create(user=user, role=role, unit=unit, agency=agency)
    return user


@pytest.fixture
def officer_a(org: Org) -> User:
    return make_user("canbo.a", (Role.PROCESSING_OFFICER, org.commune_a, None), full_name="Nguyễn Văn A")


@pytest.fixture
def officer_b(org: Org) -> User:
    return make_user("canbo.b", (Role.ONE_STOP_OFFICER, org.commune_b, None))


@pytest.fixture
def officer_so(org: Org) -> User:
    return make_user("canbo.so", (Role.PROCESSING_OFFICER, org.province, org.so_tu_phap))


@pytest.fixture
def province_admin(org: Org) -> User:
    return make_user("quantri.tinh", (Role.PROVINCE_ADMIN, org.province, None))


@pytest.fixture
def unit_admin_a(org: Org) -> User:
    return make_user("quantri.a", (Role.UNIT_ADMIN, org.commune_a, None))


@pytest.fixture
def citizen(db) -> User:
    return make_user("congdan", citizen=True, full_name="Trần Thị Dân")

"""A small province for PAKN tests: two communes with their People's Committees, a province
department, a procedure, citizens and officers holding roles (RoleAssignment rows).

Units and agencies go through the units services so their materialized paths are right (the scope
rule depends on them); users, roles and the catalog row are plain rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from chinhquyenso.accounts.models import Role, RoleAssignment, User
from chinhquyenso.dossiers.models import Dossier, Status
from chinhquyenso.feedback import services
from chinhquyenso.feedback.models import FeedbackRuleSet, Petition, PetitionEvent, Topic
from chinhquyenso.procedures.models import AuthorityLevel, Procedure, ProcedureField, ServiceLevel, TimeUnit
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitLevel
from chinhquyenso.units.services import agency_create, unit_create
from chinhquyenso.workdays.calendar import TIMEZONE

TINY_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
_numbers = itertools.count(1)


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment in Vietnam's time zone (09:00 by default: inside office hours)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)


@dataclass
class World:
    province: Unit
    commune_a: Unit
    commune_b: Unit
    ubnd_a: Agency
    ubnd_b: Agency
    so_tu_phap: Agency
    procedure: Procedure
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def make_user(username: str, *, citizen: bool = False, **extra: Any) -> User:
    return User.objects.create(username=username, full_name=extra.pop("full_name", username.title()),
                               is_citizen=citizen, is_active=True, **extra)


def make_officer(username: str, role: str, agency: Agency) -> User:
    user = make_user(username)
    RoleAssignment.objects.create(user=user, role=role, agency=agency, unit=agency.unit)
    return user


def ensure_766_rules() -> FeedbackRuleSet:
    """The data migration's row; a transactional test elsewhere may have flushed it."""
    found = FeedbackRuleSet.objects.filter(code="QD766-2022").first()
    if found is not None:
        return found
    return services.rule_set_create(
        code="QD766-2022", name="Bộ chỉ số 766", valid_from=dt.date(2022, 6, 23), reply_days=15, refuse_days=2,
        first_info_request_days=5, publish_days=2, in_progress_days=15,
    )


def build_world() -> World:
    start = dt.date(2025, 7, 1)
    province = unit_create(code="91", name="An Giang", kind="Tỉnh", level=UnitLevel.PROVINCE, valid_from=start)
    commune_a = unit_create(code="30337", name="An Phú", kind="Xã", level=UnitLevel.COMMUNE, parent=province,
                            valid_from=start)
    commune_b = unit_create(code="30307", name="Long Xuyên", kind="Phường", level=UnitLevel.COMMUNE,
                            parent=province, valid_from=start)
    so_tu_phap = agency_create(code="000.00.15.H01", portal_code="H01.15", name="Sở Tư pháp",
                               kind=AgencyKind.DEPARTMENT, unit=province)
    ubnd_a = agency_create(code="000.12.30.H01", portal_code="H01.12", name="UBND xã An Phú",
                           kind=AgencyKind.PEOPLES_COMMITTEE, unit=commune_a)
    ubnd_b = agency_create(code="000.13.30.H01", portal_code="H01.13", name="UBND phường Long Xuyên",
                           kind=AgencyKind.PEOPLES_COMMITTEE, unit=commune_b)
    field_ht, _ = ProcedureField.objects.get_or_create(code="HT", defaults={"name": "Hộ tịch"})
    procedure = Procedure.objects.create(
        code=f"1.00{next(_numbers):04d}", name="Đăng ký khai sinh", field=field_ht, level=AuthorityLevel.COMMUNE,
        service_level=ServiceLevel.FULL_ONLINE, time_limit_amount=Decimal("5"), time_limit_unit=TimeUnit.WORKING_DAY,
        applicant_types=["citizen"],
    )
    world = World(province=province, commune_a=commune_a, commune_b=commune_b, ubnd_a=ubnd_a, ubnd_b=ubnd_b,
                  so_tu_phap=so_tu_phap, procedure=procedure)
    world.users.update(
        citizen=make_user("congdan1", citizen=True, full_name="Nguyễn Thị Hoa", phone="0912345678",
                          email="hoa@example.vn"),
        citizen2=make_user("congdan2", citizen=True, full_name="Trần Văn Bình"),
        counter_a=make_officer("motcua_a", Role.ONE_STOP_OFFICER, ubnd_a),
        processor_a=make_officer("chuyenvien_a", Role.PROCESSING_OFFICER, ubnd_a),
        leader_a=make_officer("lanhdao_a", Role.LEADER, ubnd_a),
        leader_b=make_officer("lanhdao_b", Role.LEADER, ubnd_b),
        processor_b=make_officer("chuyenvien_b", Role.PROCESSING_OFFICER, ubnd_b),
        auditor_a=make_officer("kiemtra_a", Role.AUDITOR, ubnd_a),
    )
    province_admin = make_user("quantri_tinh")
    RoleAssignment.objects.create(user=province_admin, role=Role.PROVINCE_ADMIN, unit=province)
    world.users["province_admin"] = province_admin
    ensure_766_rules()
    return world


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def submit(world: World, *, at: dt.datetime | None = None, actor: Any = "citizen", **kwargs: Any) -> Petition:
    """A petition about the procedure to UBND xã An Phú (by the citizen unless told otherwise)."""
    who = getattr(world, actor) if isinstance(actor, str) else actor
    kwargs.setdefault("title", "Cán bộ hẹn trả kết quả khai sinh nhiều lần")
    kwargs.setdefault("content", "Tôi nộp hồ sơ khai sinh cho con nhưng đã quá hẹn mà chưa nhận được kết quả.")
    kwargs.setdefault("topic", Topic.REGULATION)
    kwargs.setdefault("agency", world.ubnd_a)
    kwargs.setdefault("client_ip", "127.0.0.1")
    return services.petition_submit(actor=who, at=at or vn(2026, 3, 2, 9), **kwargs)


def make_dossier(world: World, *, citizen: User | None, agency: Agency | None = None) -> Dossier:
    agency = agency or world.ubnd_a
    return Dossier.objects.create(
        code=f"H01.12-260302-{next(_numbers):04d}", procedure=world.procedure, agency=agency, receiving_agency=agency,
        unit=agency.unit, applicant_name="Nguyễn Thị Hoa", citizen=citizen, status=Status.PROCESSING,
    )


def snapshot(petition: Petition) -> dict[str, Any]:
    """Everything a refused action must leave untouched."""
    fresh = Petition.objects.get(pk=petition.pk)
    return {
        "row": {f.attname: getattr(fresh, f.attname) for f in Petition._meta.concrete_fields},
        "events": PetitionEvent.objects.filter(petition=fresh).count(),
        "ratings": fresh.ratings.count(),
        "attachments": fresh.attachments.count(),
        "petitions": Petition.objects.count(),
    }

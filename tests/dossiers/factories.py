"""A small province for dossier tests: a province, two communes, their agencies, a commune-level
procedure with a 4-step internal process, and officers holding roles (RoleAssignment rows).

Units and agencies go through the units services so their materialized paths are right (the
scope rule depends on them); the catalog and accounts rows are plain factories.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from chinhquyenso.accounts.models import Role, RoleAssignment, User
from chinhquyenso.procedures.models import (
    AuthorityLevel,
    CopyType,
    FeeStage,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    ProcedureField,
    ProcedureResult,
    ProcessStep,
    ProcessVersion,
    ServiceLevel,
    StepAction,
    TimeUnit,
)
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitLevel
from chinhquyenso.units.services import agency_create, unit_create

_codes = itertools.count(1)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"canbo{n}")
    full_name = factory.Faker("name", locale="vi_VN")
    is_active = True


def officer(username: str, role: str, agency: Agency) -> User:
    """An officer holding ``role`` at ``agency`` (created directly, as the brief asks)."""
    user = UserFactory(username=username)
    RoleAssignment.objects.create(user=user, role=role, agency=agency, unit=agency.unit)
    return user


class ProcedureFieldFactory(DjangoModelFactory):
    class Meta:
        model = ProcedureField
        django_get_or_create = ("code",)

    code = "HT"
    name = "Hộ tịch"


class ProcedureFactory(DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"1.00{n:04d}")
    name = "Đăng ký khai sinh"
    field = factory.SubFactory(ProcedureFieldFactory)
    level = AuthorityLevel.COMMUNE
    service_level = ServiceLevel.FULL_ONLINE
    time_limit_amount = Decimal("5")
    time_limit_unit = TimeUnit.WORKING_DAY
    applicant_types = ["citizen"]


class ProcedureComponentFactory(DjangoModelFactory):
    class Meta:
        model = ProcedureComponent

    procedure = factory.SubFactory(ProcedureFactory)
    code = factory.Sequence(lambda n: f"TP{n}")
    name = "Tờ khai"
    copy_type = CopyType.ORIGINAL
    required = True


class ProcessVersionFactory(DjangoModelFactory):
    class Meta:
        model = ProcessVersion

    procedure = factory.SubFactory(ProcedureFactory)
    version = 1
    valid_from = dt.date(2020, 1, 1)


class ProcessStepFactory(DjangoModelFactory):
    class Meta:
        model = ProcessStep

    process = factory.SubFactory(ProcessVersionFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda o: f"B{o.order}")
    name = factory.LazyAttribute(lambda o: f"Bước {o.order}")
    role = Role.PROCESSING_OFFICER
    duration_amount = Decimal("1")
    duration_unit = TimeUnit.WORKING_DAY
    allowed_actions = factory.LazyFunction(lambda: [StepAction.FORWARD])


FOUR_STEPS: list[dict[str, Any]] = [
    {"order": 1, "code": "TN", "name": "Tiếp nhận, kiểm tra hồ sơ", "role": Role.ONE_STOP_OFFICER,
     "duration_amount": Decimal("0.5"),
     "allowed_actions": [StepAction.FORWARD, StepAction.REQUEST_SUPPLEMENT]},
    {"order": 2, "code": "TD", "name": "Thẩm định hồ sơ", "role": Role.PROCESSING_OFFICER,
     "duration_amount": Decimal("2.5"),
     "allowed_actions": [StepAction.FORWARD, StepAction.RETURN, StepAction.CONSULT, StepAction.REQUEST_SUPPLEMENT,
                         StepAction.REQUIRE_PAYMENT, StepAction.STOP]},
    {"order": 3, "code": "PD", "name": "Lãnh đạo phê duyệt", "role": Role.LEADER, "duration_amount": Decimal("1"),
     "allowed_actions": [StepAction.APPROVE, StepAction.RETURN, StepAction.STOP]},
    {"order": 4, "code": "HT", "name": "Hoàn thành, chuyển trả kết quả", "role": Role.PROCESSING_OFFICER,
     "duration_amount": Decimal("1"), "allowed_actions": [StepAction.FINISH, StepAction.RETURN]},
]


@dataclass
class Province:
    province: Unit
    commune_a: Unit
    commune_b: Unit
    ubnd_province: Agency
    centre: Agency
    so_tu_phap: Agency
    ubnd_a: Agency
    ubnd_b: Agency
    procedure: Procedure
    process: ProcessVersion
    steps: list[ProcessStep]
    components: list[ProcedureComponent]
    result: ProcedureResult
    fee: ProcedureFee
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def build_province() -> Province:
    """Tỉnh (H01) + 2 xã; UBND tỉnh, Trung tâm PVHCC, Sở Tư pháp, UBND 2 xã; khai sinh with 4 steps."""
    n = next(_codes)
    start = dt.date(2025, 7, 1)
    province = unit_create(code="91", name="An Giang", kind="Tỉnh", level=UnitLevel.PROVINCE,
                           valid_from=start)
    commune_a = unit_create(code="30337", name="An Phú", kind="Xã", level=UnitLevel.COMMUNE, parent=province,
                            valid_from=start)
    commune_b = unit_create(code="30307", name="Long Xuyên", kind="Phường", level=UnitLevel.COMMUNE,
                            parent=province, valid_from=start)
    ubnd_province = agency_create(code="000.00.00.H01", portal_code="H01", name="UBND tỉnh An Giang",
                                  kind=AgencyKind.PEOPLES_COMMITTEE, unit=province)
    centre = agency_create(code="000.00.99.H01", portal_code="H01.99", name="Trung tâm Phục vụ HCC tỉnh",
                           kind=AgencyKind.SERVICE_CENTRE, unit=province)
    so_tu_phap = agency_create(code="000.00.15.H01", portal_code="H01.15", name="Sở Tư pháp",
                               kind=AgencyKind.DEPARTMENT, unit=province)
    ubnd_a = agency_create(code="000.12.30.H01", portal_code="H01.12", name="UBND xã An Phú",
                           kind=AgencyKind.PEOPLES_COMMITTEE, unit=commune_a)
    ubnd_b = agency_create(code="000.13.30.H01", portal_code="H01.13", name="UBND phường Long Xuyên",
                           kind=AgencyKind.PEOPLES_COMMITTEE, unit=commune_b)

    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    components = [
        ProcedureComponentFactory(procedure=procedure, code="TK", name="Tờ khai đăng ký khai sinh", order=1),
        ProcedureComponentFactory(procedure=procedure, code="GCS", name="Giấy chứng sinh", order=2),
        ProcedureComponentFactory(procedure=procedure, code="GTTT", name="Giấy tờ tùy thân", order=3,
                                  copy_type=CopyType.COPY, required=False),
    ]
    result = ProcedureResult.objects.create(procedure=procedure, code="GKS", name="Giấy khai sinh")
    fee = ProcedureFee.objects.create(procedure=procedure, code="LP", name="Lệ phí đăng ký khai sinh", amount=8000,
                                      stage=FeeStage.AT_RECEIPT)
    process = ProcessVersionFactory(procedure=procedure)
    steps = [ProcessStepFactory(process=process, **spec) for spec in FOUR_STEPS]

    world = Province(province=province, commune_a=commune_a, commune_b=commune_b, ubnd_province=ubnd_province,
                     centre=centre, so_tu_phap=so_tu_phap, ubnd_a=ubnd_a, ubnd_b=ubnd_b, procedure=procedure,
                     process=process, steps=steps, components=components, result=result, fee=fee)
    world.users = {
        "counter_a": officer(f"motcua_a{n}", Role.ONE_STOP_OFFICER, ubnd_a),
        "processor_a": officer(f"chuyenvien_a{n}", Role.PROCESSING_OFFICER, ubnd_a),
        "processor_a2": officer(f"chuyenvien2_a{n}", Role.PROCESSING_OFFICER, ubnd_a),
        "leader_a": officer(f"lanhdao_a{n}", Role.LEADER, ubnd_a),
        "counter_b": officer(f"motcua_b{n}", Role.ONE_STOP_OFFICER, ubnd_b),
        "processor_b": officer(f"chuyenvien_b{n}", Role.PROCESSING_OFFICER, ubnd_b),
        "processor_stp": officer(f"chuyenvien_stp{n}", Role.PROCESSING_OFFICER, so_tu_phap),
        "auditor_a": officer(f"kiemtra_a{n}", Role.AUDITOR, ubnd_a),
        "citizen": UserFactory(username=f"congdan{n}", is_citizen=True),
    }
    return world

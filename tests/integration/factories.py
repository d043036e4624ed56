"""A small province and dossiers for the integration tests.

Dossiers are built from the dossiers models; their events are recorded the way
``dossiers.services`` records them (``DossierEvent`` + ``core.projectors.dispatch``), in one
transaction, so the integration projector runs exactly as in production.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chinhquyenso.core import projectors
from chinhquyenso.dossiers.models import Dossier, DossierComponent, DossierEvent, DossierFee, DossierResult
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import (
    AuthorityLevel,
    Procedure,
    ProcedureComponent,
    ProcedureField,
    ServiceLevel,
    TimeUnit,
)
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitLevel

_counter = itertools.count(1)


@dataclass
class World:
    province: Unit
    commune: Unit
    so_tu_phap: Agency
    ubnd_xa: Agency
    procedure: Procedure
    component: ProcedureComponent


def _unit(code: str, name: str, level: str, parent: Unit | None = None) -> Unit:
    unit = Unit.objects.create(code=code, name=name, kind="", level=level, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def build_world() -> World:
    province = _unit("91", "An Giang", UnitLevel.PROVINCE)
    commune = _unit("30337", "Xã An Phú", UnitLevel.COMMUNE, province)
    so = Agency.objects.create(code="000.00.15.H01", portal_code="H01.15", name="Sở Tư pháp",
                               kind=AgencyKind.DEPARTMENT, unit=province)
    xa = Agency.objects.create(code="000.37.30.H01", portal_code="H01.30337", name="UBND xã An Phú",
                               kind=AgencyKind.PEOPLES_COMMITTEE, unit=commune)
    field = ProcedureField.objects.create(code="HT", name="Hộ tịch")
    procedure = Procedure.objects.create(
        code="1.001193", name="Thủ tục đăng ký khai sinh", field=field, level=AuthorityLevel.COMMUNE,
        service_level=ServiceLevel.FULL_ONLINE, time_limit_amount=1, time_limit_unit=TimeUnit.WORKING_DAY,
    )
    component = ProcedureComponent.objects.create(procedure=procedure, code="TP01", name="Tờ khai đăng ký khai sinh")
    return World(province=province, commune=commune, so_tu_phap=so, ubnd_xa=xa, procedure=procedure,
                 component=component)


def record_event(dossier: Dossier, kind: str, *, to_status: int | None = None, actor_label: str = "Cán bộ A",
                 **changes: Any) -> DossierEvent:
    """Change the dossier and record the event with its projectors, in ONE transaction."""
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        from_status = locked.status
        if to_status is not None:
            locked.status = to_status
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
        last = locked.events.aggregate(m=Max("seq"))["m"] or 0
        event = DossierEvent.objects.create(
            dossier=locked, seq=last + 1, kind=kind, from_status=from_status, to_status=locked.status,
            actor_label=actor_label, occurred_at=timezone.now(), payload={"note": kind},
        )
        projectors.dispatch("dossier", event)
    dossier.refresh_from_db()
    return event


def make_dossier(world: World, *, agency: Agency | None = None, code: str | None = None, received: bool = True,
                 with_details: bool = False) -> Dossier:
    """A dossier received at the counter (status 2), its receipt event recorded through the projectors."""
    agency = agency or world.ubnd_xa
    n = next(_counter)
    now = timezone.now()
    code = code or f"{agency.portal_code}-{now:%y%m%d}-{n:04d}"
    dossier = Dossier.objects.create(
        code=code, procedure=world.procedure, agency=agency, receiving_agency=agency, unit=agency.unit,
        channel=2, status=1, applicant_type=0, applicant_name="Nguyễn Văn An", applicant_id_number="089201000123",
        applicant_phone="0912345678", applicant_email="an@example.vn", applicant_address="Ấp 1, xã An Phú",
        summary="Đăng ký khai sinh cho con", submitted_at=now - dt.timedelta(hours=2), vneid_verified=True,
        paid_online=1, has_digitized=True, used_population_data=True,
    )
    if with_details:
        stored = StoredFile.objects.create(sha256="ab" * 32, size=10, kind="pdf", content_type="application/pdf",
                                           extension="pdf")
        DossierComponent.objects.create(dossier=dossier, procedure_component=world.component,
                                        name="Tờ khai đăng ký khai sinh", file=stored, digitized=True, reused=False,
                                        from_national_store=True)
        DossierFee.objects.create(dossier=dossier, name="Lệ phí đăng ký khai sinh", code="LP01", amount=8000,
                                  stage="at_receipt")
        DossierFee.objects.create(dossier=dossier, name="Phí cấp bản sao trích lục", code="P02", amount=3000,
                                  stage="at_result")
        DossierResult.objects.create(dossier=dossier, name="Giấy khai sinh", code="GKS-01", file=stored)
    if received:
        record_event(dossier, "received", to_status=2, received_at=now,
                     due_at=now + dt.timedelta(days=1))
    return dossier

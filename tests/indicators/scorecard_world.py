"""A small province with dossiers in February 2026 for the scorecard, drill-down, export and API tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier
from tests.dossiers.conftest import TINY_PDF, applicant, components_for, receive, to_last_step, vn
from tests.dossiers.factories import Province, UserFactory, build_province

FEBRUARY = {"period": "month", "year": "2026", "month": "2"}


@dataclass
class ScoreWorld:
    world: Province
    late: Dossier  # finished late, no electronic result, not synced
    on_time: Dossier  # finished on time with an e-result, synced
    open_a: Dossier  # still in progress, not synced
    other_b: Dossier  # commune B: not synced
    province_user: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def finish(world: Province, d: Dossier, at: dt.datetime, *, with_file: bool = True) -> Dossier:
    d = to_last_step(world, d, at=at - dt.timedelta(hours=1))
    upload = services.UploadInput(TINY_PDF, "kq.pdf") if with_file else None
    return services.dossier_finish(dossier=d, actor=world.processor_a, at=at, results=[
        services.ResultInput(procedure_result=world.result, code="KS", upload=upload, signed=True)])


def build() -> ScoreWorld:
    world = build_province()
    late = finish(world, receive(world, at=vn(2026, 2, 2, 9)), vn(2026, 2, 27, 10), with_file=False)
    on_time = finish(world, receive(world, at=vn(2026, 2, 12, 10)), vn(2026, 2, 13, 10))
    open_a = receive(world, at=vn(2026, 2, 20, 10))
    other_b = services.dossier_receive(actor=world.counter_b, procedure=world.procedure, agency=world.ubnd_b,
                                       applicant=applicant(), components=components_for(world),
                                       at=vn(2026, 2, 10, 9))
    services.dossier_mark_synced(dossier_ids=[on_time.pk], at=vn(2026, 2, 13, 11))
    province_user = UserFactory(username=f"tinh_lanhdao_{world.province.pk}")
    RoleAssignment.objects.create(user=province_user, role=Role.LEADER, unit=world.province)
    return ScoreWorld(world=world, late=Dossier.objects.get(pk=late.pk), on_time=on_time, open_a=open_a,
                      other_b=other_b, province_user=province_user)

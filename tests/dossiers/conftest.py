"""Fixtures for dossier tests: a small province, and helpers to move a dossier through its life."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier, DossierEvent
from chinhquyenso.workdays.calendar import TIMEZONE
from tests.dossiers.factories import Province, build_province

TINY_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment in Vietnam's time zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)


@pytest.fixture
def world(db: Any) -> Province:
    return build_province()


def components_for(world: Province, **extra: Any) -> list[services.ComponentInput]:
    """The two required components of the demo procedure (one scanned at the counter)."""
    tk, gcs, _ = world.components
    return [
        services.ComponentInput(procedure_component=tk, **extra),
        services.ComponentInput(procedure_component=gcs),
    ]


def applicant(**overrides: Any) -> services.ApplicantInput:
    data: dict[str, Any] = {"name": "Nguyễn Văn An", "id_number": "089203001234", "phone": "0912345678",
                            "email": "an@example.vn", "address": "Ấp Phú Hiệp, xã An Phú"}
    data.update(overrides)
    return services.ApplicantInput(**data)


def receive(world: Province, *, at: dt.datetime | None = None, actor: Any = None, **kwargs: Any) -> Dossier:
    kwargs.setdefault("components", components_for(world))
    return services.dossier_receive(
        actor=actor or world.counter_a, procedure=world.procedure, agency=world.ubnd_a,
        applicant=kwargs.pop("applicant", applicant()), at=at or vn(2026, 2, 12, 10), **kwargs,
    )


def to_processing(world: Province, dossier: Dossier, *, at: dt.datetime | None = None) -> Dossier:
    """Step 1 → step 2 (status 2 → 4), assigned to processor_a."""
    return services.dossier_forward(dossier=dossier, actor=world.counter_a, assignee=world.processor_a,
                                    at=at or vn(2026, 2, 12, 11))


def to_last_step(world: Province, dossier: Dossier, *, at: dt.datetime | None = None) -> Dossier:
    moment = at or vn(2026, 2, 13, 9)
    d = to_processing(world, dossier, at=moment)
    d = services.dossier_forward(dossier=d, actor=world.processor_a, at=moment)
    return services.dossier_forward(dossier=d, actor=world.leader_a, assignee=world.processor_a, at=moment)


def snapshot(dossier: Dossier) -> dict[str, Any]:
    """Everything a failed action must leave untouched."""
    fresh = Dossier.objects.get(pk=dossier.pk)
    return {
        "row": {f.attname: getattr(fresh, f.attname) for f in Dossier._meta.concrete_fields},
        "events": DossierEvent.objects.filter(dossier=fresh).count(),
        "components": fresh.components.count(), "fees": fresh.fees.count(), "results": fresh.results.count(),
        "supplements": fresh.supplements.count(), "consultations": fresh.consultations.count(),
    }

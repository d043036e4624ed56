"""Public read-only API over administrative units and agencies (public GSO data, no personal data)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from chinhquyenso.core.errors import NotFound
from chinhquyenso.units.models import Agency, Unit
from chinhquyenso.units.selectors import agencies_under, communes_search, unit_successor_on

router = Router(tags=["Đơn vị hành chính"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    full_name: str
    level: str
    parent_id: int | None
    valid_from: dt.date
    valid_to: dt.date | None


class AgencyOut(Schema):
    id: int
    code: str
    portal_code: str
    name: str
    short_name: str
    kind: str
    unit_id: int
    parent_id: int | None


def _unit(unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị hành chính.", code="unit_not_found")
    return unit


@router.get("/units/communes", response=list[UnitOut], auth=None, summary="Xã, phường, đặc khu đang có hiệu lực")
def communes(request: HttpRequest, q: str = "", on: dt.date | None = None) -> list[Unit]:
    """Search by current name, code or former name (before a merger); ``on`` defaults to today."""
    return communes_search(q[:100], on=on)


@router.get("/units/{unit_id}", response=UnitOut, auth=None, summary="Một đơn vị hành chính")
def unit_detail(request: HttpRequest, unit_id: int) -> Unit:
    return _unit(unit_id)


@router.get("/units/{unit_id}/successor", response=UnitOut, auth=None,
            summary="Đơn vị kế thừa có hiệu lực vào một ngày")
def unit_successor(request: HttpRequest, unit_id: int, on: dt.date | None = None) -> Unit:
    """The unit in force on ``on`` (default today) that this unit's records belong to."""
    return unit_successor_on(_unit(unit_id), on or timezone.localdate())


@router.get("/units/{unit_id}/agencies", response=list[AgencyOut], auth=None, summary="Cơ quan thuộc đơn vị")
def unit_agencies(request: HttpRequest, unit_id: int) -> list[Agency]:
    return list(agencies_under(_unit(unit_id)).order_by("code"))

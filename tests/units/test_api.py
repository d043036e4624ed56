"""The public read-only units API: JSON shapes and the Vietnamese JSON errors."""

from __future__ import annotations

from chinhquyenso.units.selectors import unit_get

from .conftest import AFTER, BEFORE


def test_communes_search(client, an_giang):
    response = client.get("/api/v1/units/communes", {"q": "da phuoc"})
    assert response.status_code == 200
    assert [c["full_name"] for c in response.json()] == ["Xã Vĩnh Hậu"]
    assert len(client.get("/api/v1/units/communes").json()) == 102


def test_successor_and_agencies(client, an_giang):
    old = unit_get(code="30373", level="commune", on=BEFORE)
    body = client.get(f"/api/v1/units/{old.pk}").json()
    assert (body["code"], body["valid_to"]) == ("30373", "2025-07-01")
    successor = client.get(f"/api/v1/units/{old.pk}/successor", {"on": AFTER.isoformat()}).json()
    assert successor["full_name"] == "Xã Vĩnh Hậu"
    agencies = client.get(f"/api/v1/units/{successor['id']}/agencies").json()
    assert [a["portal_code"] for a in agencies] == ["H01.30367"]


def test_errors_are_json(client, an_giang):
    missing = client.get("/api/v1/units/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "unit_not_found"
    new = unit_get(code="30367", level="commune", on=AFTER)
    early = client.get(f"/api/v1/units/{new.pk}/successor", {"on": BEFORE.isoformat()})
    assert early.status_code == 404 and early.json()["code"] == "unit_not_yet_valid"

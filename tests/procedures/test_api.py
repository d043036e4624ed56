"""Public catalog API: no login, search, filters, limits, JSON errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_list_is_public_and_paginated(client, demo):
    response = client.get("/api/v1/procedures", {"limit": 5, "offset": 0})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == demo and len(body["items"]) == 5 and body["limit"] == 5
    item = body["items"][0]
    assert set(item) >= {"code", "name", "field", "level", "service_level", "time_limit"}
    second = client.get("/api/v1/procedures", {"limit": 5, "offset": 5}).json()
    assert {i["code"] for i in second["items"]}.isdisjoint({i["code"] for i in body["items"]})


def test_search_without_diacritics_and_filters(client, demo):
    body = client.get("/api/v1/procedures", {"q": "dang ky khai sinh"}).json()
    assert "1.001193" in [i["code"] for i in body["items"]]
    body = client.get("/api/v1/procedures", {"level": "province", "limit": 100}).json()
    assert body["total"] > 0 and all(i["level"] == "province" for i in body["items"])
    body = client.get("/api/v1/procedures", {"field": "CHUNG_THUC", "service_level": "direct_only"}).json()
    assert body["total"] > 0 and all(i["field"]["code"] == "CHUNG_THUC" for i in body["items"])


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"offset": -1}, {"level": "district"}])
def test_bad_parameters_are_422_json(client, db, params):
    response = client.get("/api/v1/procedures", params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_detail_has_all_public_components(client, demo):
    body = client.get("/api/v1/procedures/2.000635").json()
    assert body["name"].startswith("Cấp bản sao Trích lục hộ tịch")
    for key in ("steps_text", "submission_methods_text", "applicants_text", "agencies_text"):
        assert body[key], key
    assert body["time_limit"]["unit"] == "working_day"
    assert body["components"] and body["results"] and body["legal_bases"]
    assert body["fees"][0]["amount"] == 8000
    assert body["missing_components"] == []
    assert body["process"]["version"] == 1 and len(body["process"]["steps"]) == 4


def test_unknown_code_is_404_json(client, db):
    response = client.get("/api/v1/procedures/9.999999")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found" and "9.999999" in body["message"]


def test_fields_list_counts_public_procedures(client, demo):
    body = client.get("/api/v1/procedure-fields").json()
    by_code = {f["code"]: f for f in body}
    assert by_code["HO_TICH"]["name"] == "Hộ tịch" and by_code["HO_TICH"]["procedure_count"] >= 10


def test_openapi_documents_the_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/procedures" in paths and "/api/v1/procedures/{code}" in paths
    assert "404" in paths["/api/v1/procedures/{code}"]["get"]["responses"]

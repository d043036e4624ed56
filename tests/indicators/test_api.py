"""Public API: definitions in force and the what-if calculator, with JSON errors."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_definitions_endpoint(client: Client) -> None:
    response = client.get("/api/v1/indicators/definitions", {"on": "2026-10-10"})
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 24
    by_code = {r["code"]: r for r in rows}
    on_time = by_code["DOSSIER_ON_TIME"]
    assert (on_time["ref"], on_time["group"], on_time["max_points"], on_time["target"]) == ("2.1", "TDGQ", "20.00",
                                                                                           "1.0000")
    assert by_code["ONLINE_DOSSIER"]["weight_certain"] is False
    assert by_code["PETITION_PROCESSING_ON_TIME"]["zero_denominator"] == "full_points"
    assert rows[0]["group"] == "CKMB"  # display order
    assert client.get("/api/v1/indicators/definitions", {"on": "2021-01-01"}).json() == []


def test_score_endpoint(client: Client) -> None:
    response = client.get("/api/v1/indicators/score",
                          {"code": "DOSSIER_ON_TIME", "numerator": "393087", "denominator": "443565",
                           "on": "2026-10-10"})
    assert response.status_code == 200
    body = response.json()
    assert body["points"] == "17.72" and body["percent"] == "88.62" and body["points_at_stake"] == "2.28"
    assert body["rate"] == "0.8862" and body["max_points"] == "20.00" and body["on"] == "2026-10-10"
    zero = client.get("/api/v1/indicators/score", {"code": "PETITION_HANDLING_SATISFACTION", "numerator": 0,
                                                   "denominator": 0}).json()
    assert zero["points"] == "6.00" and zero["zero_denominator_applied"] is True and zero["rate"] is None


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"code": "NOPE", "numerator": 1, "denominator": 2}, 404, "indicator_not_found"),
        ({"code": "DOSSIER_ON_TIME", "numerator": 3, "denominator": 2}, 400, "validation_error"),
        ({"code": "DOSSIER_ON_TIME", "numerator": -1, "denominator": 2}, 400, "validation_error"),
        ({"code": "DOSSIER_ON_TIME", "numerator": "abc", "denominator": 2}, 422, "validation_error"),
        ({"code": "DOSSIER_ON_TIME", "numerator": "NaN", "denominator": 2}, 422, "validation_error"),
        ({"code": "DOSSIER_ON_TIME", "denominator": 2}, 422, "validation_error"),
        ({"code": "DOSSIER_ON_TIME", "numerator": 1, "denominator": 2, "on": "hôm nay"}, 422, "validation_error"),
    ],
)
def test_score_errors_are_json(client: Client, params, status, code) -> None:
    response = client.get("/api/v1/indicators/score", params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]


def test_openapi_lists_the_endpoints_under_their_tag(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["paths"]["/api/v1/indicators/score"]["get"]["tags"] == ["Chỉ số"]
    assert "/api/v1/indicators/definitions" in schema["paths"]

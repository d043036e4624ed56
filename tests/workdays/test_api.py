from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_year_calendar(client) -> None:
    body = client.get("/api/v1/workdays/years/2026").json()
    days_off = {d["day"]: d["name"] for d in body["days_off"]}
    assert days_off["2026-02-17"] == "Tết Nguyên Đán" and "2026-04-26" not in days_off
    assert {"day": "2026-08-22", "name": "Ngày làm việc bù (cho ngày 31/08/2026)"} in body["working_days"]
    bad = client.get("/api/v1/workdays/years/1200")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def test_deadline(client) -> None:
    response = client.get(
        "/api/v1/workdays/deadline", {"start": "2026-02-13T17:30:00+07:00", "amount": 1, "unit": "Ngày làm việc"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["unit"] == "working_day"
    assert body["received_at"].startswith("2026-02-23T07:00:00")
    assert body["due_at"].startswith("2026-02-24T17:00:00")
    naive = client.get("/api/v1/workdays/deadline", {"start": "2026-02-12T09:00", "amount": 3, "unit": "hour"})
    assert naive.json()["due_at"].startswith("2026-02-12T14:00:00")
    for params in ({"unit": "tuần"}, {"amount": -1}, {"amount": 1.5, "unit": "day"}):
        query = {"start": "2026-02-12T09:00:00+07:00", "amount": 1, "unit": "day", **params}
        response = client.get("/api/v1/workdays/deadline", query)
        assert response.status_code == 400 and response.json()["message"]

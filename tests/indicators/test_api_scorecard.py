"""JSON through the API: the scorecard and ranking (officers, scope-checked) and the public province card."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from chinhquyenso.accounts.testing import login_verified
from tests.indicators.scorecard_world import ScoreWorld, build

pytestmark = pytest.mark.django_db

FEB = {"year": 2026, "month": 2}


@pytest.fixture
def sw(db: Any) -> ScoreWorld:
    return build()


def test_scorecard_json_for_own_agency(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    response = client.get("/api/v1/indicators/scorecard", {"agency": sw.world.ubnd_a.code, **FEB})
    assert response.status_code == 200
    body = response.json()
    assert (body["label"], body["from"], body["to"]) == ("UBND xã An Phú", "2026-02-01", "2026-02-28")
    sync = next(i for g in body["groups"] for i in g["indicators"] if i["code"] == "DOSSIER_SYNC")
    assert (sync["numerator"], sync["denominator"], sync["points"]) == ("1", "3", "2.00")
    stake = next(s for s in body["points_at_stake_by_indicator"] if s["code"] == "DOSSIER_SYNC")
    assert (stake["missing"], stake["points_per_item"]) == ("2", "2.0000")
    same = client.get("/api/v1/indicators/scorecard", {"start": "2026-02-01", "end": "2026-02-28"}).json()
    assert same["total"] == body["total"]  # default target: the officer's agency


def test_scorecard_json_scope(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    assert client.get("/api/v1/indicators/scorecard", {"agency": sw.world.ubnd_b.code}).status_code == 403
    assert client.get("/api/v1/indicators/scorecard", {"unit": sw.world.province.code}).status_code == 403
    assert client.get("/api/v1/indicators/scorecard", {"month": 13}).status_code == 400
    anonymous = Client()
    assert anonymous.get("/api/v1/indicators/scorecard").status_code == 401
    login_verified(client, sw.province_user)
    body = client.get("/api/v1/indicators/scorecard", FEB).json()
    assert body["label"] == "An Giang"


def test_ranking_json(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    rows = client.get("/api/v1/indicators/ranking", {"level": "xa", **FEB}).json()
    assert [(r["rank"], r["of"], r["label"]) for r in rows] == [(1, 2, "UBND xã An Phú"),
                                                                (2, 2, "UBND phường Long Xuyên")]
    assert client.get("/api/v1/indicators/ranking", {"level": "huyen"}).status_code == 400


def test_public_scorecard_json_has_no_dossiers(client: Client, sw: ScoreWorld) -> None:
    response = client.get("/api/v1/indicators/public-scorecard", FEB)
    assert response.status_code == 200
    text = response.content.decode()
    assert '"label": "An Giang"' in text or '"label":"An Giang"' in text
    for d in (sw.late, sw.on_time, sw.open_a, sw.other_b):
        assert d.code not in text and d.applicant_name not in text

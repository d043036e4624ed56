"""Public dossier lookup (page and API): status, appointment and timeline without personal data;
rate-limited per address; an unknown and a malformed code get the same answer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.citizens import ratelimit
from chinhquyenso.dossiers import services as dossier_services
from tests.citizens.helpers import submit_online

pytestmark = pytest.mark.django_db

PERSONAL = ["Trần Thị Lan", "089203001234", "0987654321", "lan@example.vn", "Ấp Phú Hiệp",
            "Đăng ký khai sinh cho con"]


class _FrozenClock:
    """The limiter's window is one minute: hold it still so a test never straddles two windows."""

    @staticmethod
    def time() -> float:
        return 1_800_000_000.0


@pytest.fixture
def frozen_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "time", _FrozenClock)


@pytest.fixture
def received(world, alice) -> Any:  # type: ignore[no-untyped-def]
    dossier = submit_online(world, alice)
    return dossier_services.dossier_accept_online(dossier=dossier, actor=world.counter_a)


def _without(html: str, *codes: str) -> str:
    """The page with the typed code (echoed in the form and in the language switch) blanked out."""
    for code in codes:
        html = html.replace(quote_plus(code), "CODE").replace(code, "CODE")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_lookup_shows_status_appointment_and_timeline_only(world, received, frozen_window) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("citizens:lookup"), {"ma": received.code})
    html = response.content.decode()
    assert response.status_code == 200 and received.code in html
    assert "Được tiếp nhận" in html and "Nộp hồ sơ trực tuyến" in html and "Tiếp nhận hồ sơ trực tuyến" in html
    assert received.procedure.name in html and received.agency.name in html
    assert timezone.localtime(received.due_at).strftime("%d/%m/%Y %H:%M") in html  # ngày hẹn trả
    for secret in [*PERSONAL, world.counter_a.full_name, world.counter_a.username]:
        assert secret not in html, secret
    assert response["X-Robots-Tag"] == "noindex"


def test_unknown_and_malformed_codes_look_the_same(received, frozen_window) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    unknown_code = received.code[:-4] + "9999"
    unknown = client.get(reverse("citizens:lookup"), {"ma": unknown_code})
    malformed = client.get(reverse("citizens:lookup"), {"ma": "ABC'; DROP TABLE"})
    assert unknown.status_code == malformed.status_code == 200
    assert "Không tìm thấy hồ sơ" in unknown.content.decode()
    assert _without(unknown.content.decode(), unknown_code) == _without(
        malformed.content.decode(), "ABC'; DROP TABLE", "ABC&#x27;; DROP TABLE")
    api_unknown = client.get(f"/api/v1/public/dossiers/{unknown_code}")
    api_malformed = client.get("/api/v1/public/dossiers/%3Cscript%3E")
    assert api_unknown.status_code == api_malformed.status_code == 404
    assert api_unknown.content == api_malformed.content
    assert api_unknown.json()["code"] == "dossier_not_found"


def test_public_api_has_no_personal_fields(world, received, frozen_window) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/api/v1/public/dossiers/{received.code}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"code", "procedure_name", "agency_name", "status", "status_label", "submitted_at",
                         "received_at", "due_at", "finished_at", "returned_at", "timeline"}
    assert body["status"] == 2 and [t["status_label"] for t in body["timeline"]] == ["Mới đăng ký", "Được tiếp nhận"]
    text = response.content.decode()
    for secret in [*PERSONAL, world.counter_a.full_name]:
        assert secret not in text


def test_lookup_is_rate_limited_per_address(received, monkeypatch, frozen_window) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHINHQUYENSO_LOOKUP_PER_MINUTE", "3")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        assert client.get(reverse("citizens:lookup"), {"ma": f"H01.12-260101-{n:04d}"}).status_code == 200
    blocked = client.get(reverse("citizens:lookup"), {"ma": received.code})
    assert blocked.status_code == 429 and "Vui lòng đợi một phút" in blocked.content.decode()
    assert "Được tiếp nhận" not in blocked.content.decode() and blocked["Retry-After"] == "60"
    api = client.get(f"/api/v1/public/dossiers/{received.code}")  # the API shares the budget
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    assert client.get(reverse("citizens:lookup")).status_code == 200  # the empty form costs nothing
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert other.get(reverse("citizens:lookup"), {"ma": received.code}).status_code == 200


def test_limit_resets_in_the_next_window(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = [1_800_000_000.0]

    class Clock:
        @staticmethod
        def time() -> float:
            return now[0]

    monkeypatch.setattr(ratelimit, "time", Clock)
    assert [ratelimit.allow("t", "x", limit=2) for _ in range(3)] == [True, True, False]
    now[0] += ratelimit.WINDOW_SECONDS
    assert ratelimit.allow("t", "x", limit=2)

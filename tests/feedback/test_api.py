"""The PAKN REST API: citizen and anonymous submission with Idempotency-Key, officer inbox and actions,
scope (404 outside it), public endpoints without personal data, JSON errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from chinhquyenso.accounts.services import api_token_create
from chinhquyenso.feedback.models import Petition, PetitionStatus
from tests.feedback.conftest import TINY_PDF, World, submit, vn

pytestmark = pytest.mark.django_db

BASE = "/api/v1/petitions"


class Api:
    """A JSON client; with a user it carries a bearer token."""

    def __init__(self, user: Any = None, **extra: Any) -> None:
        headers = {}
        if user is not None:
            _, raw = api_token_create(user=user, name="test")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        self.client = Client(**headers, **extra)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return self.client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def body(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"topic": "regulation", "title": "Chậm trả kết quả khai sinh",
                            "content": "Đã quá hẹn ba ngày.", "agency_code": world.ubnd_a.code}
    data.update(overrides)
    return data


def test_citizen_submits_idempotently_and_reads_it_back(world: World) -> None:
    citizen = Api(world.citizen)
    pdf = base64.b64encode(TINY_PDF).decode()
    payload = body(world, procedure_code=world.procedure.code,
                   attachments=[{"filename": "giay-hen.pdf", "content_base64": pdf}])
    first = citizen.post(BASE, payload, key="pakn-1")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "received" and data["procedure"]["code"] == world.procedure.code
    assert data["contact_name"] == "Nguyễn Thị Hoa" and data["attachments"][0]["name"] == "giay-hen.pdf"
    assert data["allowed_actions"] == []
    replay = citizen.post(BASE, payload, key="pakn-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["code"] == data["code"] and Petition.objects.count() == 1
    conflict = citizen.post(BASE, body(world, title="Khác"), key="pakn-1")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    listing = citizen.get(BASE).json()
    assert listing["count"] == 1 and listing["items"][0]["code"] == data["code"]
    assert citizen.get(f"{BASE}/{data['code']}").json()["title"] == "Chậm trả kết quả khai sinh"


def test_anonymous_submission_gets_only_a_receipt(world: World) -> None:
    anonymous = Api()
    missing = anonymous.post(BASE, body(world))
    assert missing.status_code == 400 and missing.json()["code"] == "contact_required"
    response = anonymous.post(BASE, body(world, contact={"name": "Lê Văn C", "phone": "0901234567"}), key="a-1")
    assert response.status_code == 201
    receipt = response.json()
    assert set(receipt) == {"code", "status", "status_label", "agency_name", "reply_due_at"}
    assert anonymous.get(f"{BASE}/{receipt['code']}").status_code == 401  # no account: no detail
    track = anonymous.get(f"{BASE}/track/{receipt['code']}")
    assert track.status_code == 200 and track.json()["status"] == "received"


def test_anonymous_rate_limit_is_a_429(world: World, settings: Any) -> None:
    settings.CHINHQUYENSO = {**settings.CHINHQUYENSO, "PETITION_ANONYMOUS_PER_HOUR": 1}
    anonymous = Api(REMOTE_ADDR="10.9.9.9")
    ok = anonymous.post(BASE, body(world, contact={"name": "A", "email": "a@example.vn"}))
    assert ok.status_code == 201
    limited = anonymous.post(BASE, body(world, contact={"name": "A", "email": "a@example.vn"}))
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert "giờ" in limited.json()["message"]


def test_validation_errors_are_json(world: World) -> None:
    citizen = Api(world.citizen)
    bad_topic = citizen.post(BASE, body(world, topic="weather"))
    assert bad_topic.status_code == 422 and bad_topic.json()["code"] == "validation_error"
    no_agency = citizen.post(BASE, body(world, agency_code="000.00.00.X99"))
    assert no_agency.status_code == 404 and no_agency.json()["code"] == "agency_not_found"
    bad_file = citizen.post(BASE, body(world, attachments=[{"filename": "a.pdf", "content_base64": "%%%"}]))
    assert bad_file.status_code == 400 and bad_file.json()["code"] == "base64_invalid"
    officer = Api(world.leader_a).post(BASE, body(world))
    assert officer.status_code == 403 and officer.json()["code"] == "citizen_only"
    assert Petition.objects.count() == 0


def test_officer_works_the_petition_through_the_api(world: World) -> None:
    code = submit(world).code
    leader = Api(world.leader_a)
    inbox = leader.get(BASE).json()
    assert [i["code"] for i in inbox["items"]] == [code]
    detail = leader.get(f"{BASE}/{code}").json()
    assert "answer" in detail["allowed_actions"] and detail["contact_phone"] == "0912345678"
    r = leader.post(f"{BASE}/{code}/classify", {"classification": "staff_conduct", "expected_version": 1}, key="k1")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = leader.post(f"{BASE}/{code}/assign", {"assignee": world.processor_a.username})
    assert r.json()["assignee"] == world.processor_a.username
    r = Api(world.processor_a).post(f"{BASE}/{code}/request-info", {"message": "Số biên nhận?"})
    assert r.json()["status"] == "info_requested"
    r = Api(world.citizen).post(f"{BASE}/{code}/supply-info", {"content": "Số 15"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    stale = leader.post(f"{BASE}/{code}/answer", {"answer": "Đã xử lý", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    r = leader.post(f"{BASE}/{code}/answer", {"answer": "Đã trả kết quả.", "publish": True})
    assert r.json()["status"] == "answered" and r.json()["publish_due_at"]
    r = leader.post(f"{BASE}/{code}/publish", {"public_question": "Chậm trả kết quả"})
    assert r.json()["status"] == "published"
    events = leader.get(f"{BASE}/{code}/events").json()
    assert [e["kind"] for e in events] == ["submitted", "classified", "assigned", "info_requested", "info_supplied",
                                          "answered", "published"]
    citizen_events = Api(world.citizen).get(f"{BASE}/{code}/events").json()
    assert "assigned" not in [e["kind"] for e in citizen_events]
    assert all(e["actor_label"] == "" for e in citizen_events)
    public = Api().get(f"{BASE}/published").json()
    assert public["count"] == 1 and public["items"][0]["question"] == "Chậm trả kết quả"
    assert "contact" not in json.dumps(public) and "0912345678" not in json.dumps(public)
    assert Api().get(f"{BASE}/published/{code}").json()["answer"] == "Đã trả kết quả."


def test_rating_and_raising_again_through_the_api(world: World) -> None:
    p = submit(world)
    Api(world.processor_a).post(f"{BASE}/{p.code}/answer", {"answer": "Xong", "publish": False})
    citizen = Api(world.citizen)
    r = citizen.post(f"{BASE}/{p.code}/rate", {"value": "dislike", "comment": "Chưa rõ"}, key="rate-1")
    assert r.status_code == 200 and r.json() == {"code": p.code, "value": "dislike", "like_count": 0,
                                                 "dislike_count": 1}
    assert citizen.post(f"{BASE}/{p.code}/rate", {"value": "dislike", "comment": "Chưa rõ"},
                        key="rate-1").status_code == 200  # replayed, not a second vote
    twice = citizen.post(f"{BASE}/{p.code}/rate", {"value": "like"})
    assert twice.status_code == 409 and twice.json()["code"] == "already_rated"
    reopened = citizen.post(f"{BASE}/{p.code}/reopen", {"content": "Vẫn chưa rõ"})
    assert reopened.status_code == 201 and reopened.json()["follow_up_of"] == p.code


def test_scope_outside_is_not_found(world: World) -> None:
    code = submit(world).code
    for user in (world.leader_b, world.citizen2):
        client = Api(user)
        assert client.get(f"{BASE}/{code}").status_code == 404
        r = client.post(f"{BASE}/{code}/answer", {"answer": "Không phải việc của tôi"})
        assert r.status_code == 404 and r.json()["code"] == "petition_not_found"
    assert Api(world.leader_b).get(BASE).json()["count"] == 0
    assert Api(world.citizen2).get(BASE).json()["count"] == 0
    assert Api().get(BASE).status_code == 401
    p = Petition.objects.get(code=code)
    assert p.status == PetitionStatus.RECEIVED and p.events.count() == 1


def test_transfer_out_of_scope_answers_with_a_receipt(world: World) -> None:
    code = submit(world, at=vn(2026, 3, 2)).code
    r = Api(world.counter_a).post(f"{BASE}/{code}/transfer", {"to_agency_code": world.ubnd_b.code,
                                                              "reason": "Thẩm quyền phường"})
    assert r.status_code == 200 and r.json()["agency_name"] == "UBND phường Long Xuyên"
    assert Api(world.leader_b).get(f"{BASE}/{code}").json()["status"] == "transferred"


def test_session_auth_for_the_browser(world: World) -> None:
    """A citizen's browser session works on the API (CSRF enforced on POST)."""
    code = submit(world).code
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.citizen)
    assert client.get(f"{BASE}/{code}").status_code == 200
    no_csrf = client.post(BASE, data=json.dumps(body(world)), content_type="application/json")
    assert no_csrf.status_code == 403


def test_openapi_documents_the_petition_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (BASE, f"{BASE}/published", f"{BASE}/track/{{code}}", f"{BASE}/{{code}}/answer"):
        assert path in paths
    assert {"201", "429"} <= set(paths[BASE]["post"]["responses"])

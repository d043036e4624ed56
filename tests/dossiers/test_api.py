"""The officer REST API: round trip, scope (404), errors, idempotency, forms."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from chinhquyenso.accounts.services import api_token_create
from chinhquyenso.dossiers.models import Dossier, DossierEvent, Status
from tests.dossiers.conftest import TINY_PDF, receive, to_processing
from tests.dossiers.factories import Province

pytestmark = pytest.mark.django_db

BASE = "/api/v1/dossiers"


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, user: Any) -> None:
        _, raw = api_token_create(user=user, name="test")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return self.client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def receipt_body(world: Province, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_code": world.procedure.code, "agency_code": world.ubnd_a.code,
        "applicant": {"name": "Nguyễn Văn An", "id_number": "089203001234", "phone": "0912345678"},
        "components": [
            {"procedure_component_code": "TK", "digitized": True,
             "upload": {"filename": "to-khai.pdf", "content_base64": base64.b64encode(TINY_PDF).decode()}},
            {"procedure_component_code": "GCS"},
        ],
        "summary": "Đăng ký khai sinh cho con",
    }
    body.update(overrides)
    return body


def test_receive_list_detail_act_events(world: Province) -> None:
    counter = Api(world.counter_a)
    r = counter.post(BASE, receipt_body(world))
    assert r.status_code == 201, r.content
    created = r.json()
    code = created["code"]
    assert created["status"] == Status.RECEIVED and created["status_label"] == "Được tiếp nhận"
    assert created["applicant_id_number"] == "089203001234"  # the dossier page shows it in full
    assert created["fees"][0]["amount"] == 8000 and created["has_digitized"] is True
    assert created["components"][0]["digitized"] is True and created["components"][0]["file_id"]
    assert "forward" in created["allowed_actions"] and created["step"]["order"] == 1

    listing = Api(world.processor_a).get(BASE).json()
    assert [i["code"] for i in listing["items"]] == [code]
    assert listing["items"][0]["applicant_id_masked"] == "********1234"
    assert "applicant_id_number" not in listing["items"][0]

    r = counter.post(f"{BASE}/{code}/actions/forward", {"expected_version": 1,
                                                      "assignee": world.processor_a.username})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == Status.PROCESSING and r.json()["version"] == 2
    assert r.json()["assignee"] == world.processor_a.display_name

    events = Api(world.processor_a).get(f"{BASE}/{code}/events").json()
    assert [(e["seq"], e["kind"], e["label"]) for e in events] == [
        (1, "received", "Tiếp nhận hồ sơ"), (2, "forwarded", "Chuyển xử lý")]
    assert "089203001234" not in json.dumps(events, ensure_ascii=False)


def test_full_journey_over_http(world: Province) -> None:
    counter, processor, leader = Api(world.counter_a), Api(world.processor_a), Api(world.leader_a)
    code = counter.post(BASE, receipt_body(world)).json()["code"]
    assert counter.post(f"{BASE}/{code}/actions/forward", {}).status_code == 200
    r = processor.post(f"{BASE}/{code}/actions/request_supplement", {"reason": "Thiếu", "items": ["Tờ khai"]})
    assert r.json()["status"] == Status.SUPPLEMENT_REQUESTED and r.json()["clock_paused"] is True
    assert counter.post(f"{BASE}/{code}/actions/receive_supplement", {"note": "Đã nhận"}).json()["status"] == 4
    assert processor.post(f"{BASE}/{code}/actions/forward", {}).status_code == 200
    assert leader.post(f"{BASE}/{code}/actions/forward", {}).status_code == 200
    r = processor.post(f"{BASE}/{code}/actions/finish", {"results": [{"procedure_result_code": "GKS",
                                                                      "code": "KS-7"}]})
    assert r.status_code == 200 and r.json()["results"][0]["name"] == "Giấy khai sinh"
    r = counter.post(f"{BASE}/{code}/actions/return_result", {})
    assert r.json()["status"] == Status.RETURNED
    assert r.json()["allowed_actions"] == ["mark_digitized"]  # the paper certificate can still be scanned


def test_out_of_scope_and_unknown_are_the_same_404(world: Province) -> None:
    code = receive(world).code
    other = Api(world.counter_b)
    seen = [other.get(f"{BASE}/{code}"), other.get(f"{BASE}/H01.12-260101-9999"),
            other.post(f"{BASE}/{code}/actions/forward", {}), other.get(f"{BASE}/{code}/events"),
            other.get(f"{BASE}/{code}/forms/01")]
    assert {r.status_code for r in seen} == {404}
    assert {r.json()["code"] for r in seen} == {"dossier_not_found"}
    assert seen[0].json() == seen[1].json()
    assert DossierEvent.objects.filter(dossier__code=code).count() == 1


def test_errors_are_vietnamese_json_and_change_nothing(world: Province) -> None:
    d = receive(world)
    counter = Api(world.counter_a)
    r = counter.post(f"{BASE}/{d.code}/actions/return_result", {})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert "Không thể thực hiện" in r.json()["message"]
    r = Api(world.processor_a).post(f"{BASE}/{d.code}/actions/forward", {})
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = counter.post(f"{BASE}/{d.code}/actions/forward", {"expected_version": 7})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = counter.post(f"{BASE}/{d.code}/actions/refuse", {"reason": "  "})
    assert r.status_code == 400 and r.json()["code"] == "required"
    r = counter.post(f"{BASE}/{d.code}/actions/refuse", {})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = counter.post(f"{BASE}/{d.code}/actions/teleport", {})
    assert r.status_code == 404 and r.json()["code"] == "unknown_action"
    fresh = Dossier.objects.get(pk=d.pk)
    assert (fresh.status, fresh.version, DossierEvent.objects.filter(dossier=d).count()) == (Status.RECEIVED, 1, 1)


def test_bad_receipts_create_nothing(world: Province) -> None:
    counter = Api(world.counter_a)
    cases = [
        (receipt_body(world, procedure_code="9.999"), 400),
        (receipt_body(world, agency_code="khong-co"), 400),
        (receipt_body(world, components=[{"procedure_component_code": "TK"}]), 400),
        (receipt_body(world, components=[{"procedure_component_code": "TK",
                                          "upload": {"filename": "x.pdf", "content_base64": "!!"}},
                                         {"procedure_component_code": "GCS"}]), 400),
        (receipt_body(world, applicant={"name": ""}), 422),
        (receipt_body(world, channel=9), 422),
    ]
    for body, status in cases:
        r = counter.post(BASE, body)
        assert r.status_code == status, (body, r.content)
        assert set(r.json()) >= {"code", "message"}
    assert Dossier.objects.count() == 0


def test_authentication_and_officer_only(world: Province) -> None:
    assert Client().get(BASE).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer cqs_wrong").get(BASE).status_code == 401
    r = Api(world.citizen).get(BASE)
    assert r.status_code == 403 and r.json()["code"] == "officer_only"


def test_receipt_is_idempotent(world: Province) -> None:
    counter = Api(world.counter_a)
    first = counter.post(BASE, receipt_body(world), key="nhan-ho-so-001")
    again = counter.post(BASE, receipt_body(world), key="nhan-ho-so-001")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1
    clash = counter.post(BASE, receipt_body(world, summary="Khác"), key="nhan-ho-so-001")
    assert clash.status_code == 409 and clash.json()["code"] == "idempotency_conflict"
    assert Dossier.objects.count() == 1
    # Keys belong to the caller: another officer's same key is a new request.
    other = Api(world.counter_a)  # another token of the same officer is another identity
    assert other.post(BASE, receipt_body(world), key="nhan-ho-so-001").status_code == 201
    assert Dossier.objects.count() == 2


def test_action_is_idempotent(world: Province) -> None:
    code = receive(world).code
    counter = Api(world.counter_a)
    r1 = counter.post(f"{BASE}/{code}/actions/forward", {"expected_version": 1}, key="chuyen-1")
    r2 = counter.post(f"{BASE}/{code}/actions/forward", {"expected_version": 1}, key="chuyen-1")
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    assert DossierEvent.objects.filter(dossier__code=code).count() == 2
    # A failed action is not remembered: fixing the body with a new key works, the old key stays free.
    bad = counter.post(f"{BASE}/{code}/actions/withdraw", {"reason": ""}, key="rut-1")
    assert bad.status_code == 400
    good = counter.post(f"{BASE}/{code}/actions/withdraw", {"reason": "Xin rút"}, key="rut-2")
    assert good.status_code == 200 and good.json()["status"] == Status.WITHDRAWN


def test_inbox_filters_over_http(world: Province) -> None:
    a = to_processing(world, receive(world))
    b = receive(world)
    api = Api(world.processor_a)
    assert [i["code"] for i in api.get(BASE, q="nguyen van an").json()["items"]] == [a.code, b.code]
    assert [i["code"] for i in api.get(BASE, status=2).json()["items"]] == [b.code]
    assert [i["code"] for i in api.get(BASE, assigned_to_me="true").json()["items"]] == [a.code]
    page = api.get(BASE, limit=1).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(BASE, limit=1, cursor=page["next_cursor"]).json()
    assert [i["code"] for i in rest["items"]] == [b.code] and rest["next_cursor"] is None
    assert api.get(BASE, cursor="xyz").status_code == 400
    assert api.get(BASE, limit=1000).status_code == 422


def test_forms(world: Province) -> None:
    code = receive(world).code
    api = Api(world.counter_a)
    for number in ("01", "06", "07"):
        r = api.get(f"{BASE}/{code}/forms/{number}")
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    for number in ("06", "07"):
        r = api.get(f"{BASE}/{code}/forms/{number}", format="xlsx")
        assert r.status_code == 200 and r.content[:2] == b"PK" and "spreadsheetml" in r["Content-Type"]
    assert api.get(f"{BASE}/{code}/forms/03").json()["code"] == "form_not_available"
    assert api.get(f"{BASE}/{code}/forms/09").status_code == 400
    assert api.get(f"{BASE}/{code}/forms/01", format="xlsx").status_code == 400
    api.post(f"{BASE}/{code}/actions/request_supplement", {"reason": "Thiếu", "items": ["Giấy chứng sinh"]})
    r = api.get(f"{BASE}/{code}/forms/02")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    api.post(f"{BASE}/{code}/actions/withdraw", {"reason": "Xin rút"})


def test_refusal_stop_and_extension_forms(world: Province) -> None:
    counter = Api(world.counter_a)
    refused = receive(world).code
    counter.post(f"{BASE}/{refused}/actions/refuse", {"reason": "Không thuộc thẩm quyền"})
    assert counter.get(f"{BASE}/{refused}/forms/03").content.startswith(b"%PDF")
    d = to_processing(world, receive(world))
    processor = Api(world.processor_a)
    r = processor.post(f"{BASE}/{d.code}/actions/apologize_extend",
                       {"reason": "Chờ xác minh", "new_due_at": "2026-03-20T17:00:00+07:00"})
    assert r.status_code == 200 and r.json()["extension_count"] == 1
    assert processor.get(f"{BASE}/{d.code}/forms/04").content.startswith(b"%PDF")
    processor.post(f"{BASE}/{d.code}/actions/stop", {"reason": "Có tranh chấp"})
    assert processor.get(f"{BASE}/{d.code}/forms/05").content.startswith(b"%PDF")


def test_register_book(world: Province) -> None:
    receive(world)
    api = Api(world.counter_a)
    r = api.get("/api/v1/dossier-register", agency_code=world.ubnd_a.code, **{"from": "2026-02-01", "to": "2026-02-28"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = api.get("/api/v1/dossier-register", agency_code=world.ubnd_a.code, format="xlsx",
                **{"from": "2026-02-01", "to": "2026-02-28"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    other = Api(world.counter_b).get("/api/v1/dossier-register", agency_code=world.ubnd_a.code,
                                     **{"from": "2026-02-01", "to": "2026-02-28"})
    assert other.status_code == 404


def test_openapi_lists_the_actions(world: Province) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert f"{BASE}/{{code}}/actions/forward" in paths
    assert paths[BASE]["post"]["tags"] == ["Hồ sơ"]
    assert f"{BASE}/{{code}}/actions/{{action}}" not in paths

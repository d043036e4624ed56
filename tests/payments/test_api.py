"""REST API under /api/v1/payments: scope, citizen view, Idempotency-Key, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.payments.mock_gateway import MockGateway
from chinhquyenso.payments.models import Bill, BillStatus, Checkout, Payment
from tests.dossiers.factories import Province, UserFactory
from tests.payments.conftest import online_dossier, receive

pytestmark = pytest.mark.django_db


def test_openapi_lists_the_payment_routes(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/payments/bills", "/api/v1/payments/bills/{slug}", "/api/v1/payments/bills/{slug}/cash",
                 "/api/v1/payments/bills/{slug}/checkout", "/api/v1/payments/bills/{slug}/receipt",
                 "/api/v1/payments/callbacks/{gateway}", "/api/v1/payments/reconciliations",
                 "/api/v1/payments/discrepancies/{item_id}/resolve"):
        assert path in paths, path
    checkout_params = {p["name"] for p in paths["/api/v1/payments/bills/{slug}/checkout"]["post"]["parameters"]}
    assert "Idempotency-Key" in checkout_params
    callback = paths["/api/v1/payments/callbacks/{gateway}"]["post"]
    assert "X-Signature" in {p["name"] for p in callback["parameters"]}
    assert "order_id" in callback["requestBody"]["content"]["application/json"]["schema"]["properties"]


def test_citizen_sees_only_their_own_bills(client: Any, world: Province) -> None:
    mine = Bill.objects.get(dossier=online_dossier(world))
    receive(world)  # a counter dossier: not the citizen's
    stranger = UserFactory(username="congdan_khac", is_citizen=True)
    client.force_login(world.citizen)
    data = client.get("/api/v1/payments/bills").json()
    assert [b["reference"] for b in data["items"]] == [mine.reference]
    item = data["items"][0]
    assert item["total"] == 1_258_000 and item["total_display"] == "1.258.000 đ"
    assert item["vietqr"].startswith("000201010212") and item["receipt"] is None
    assert client.get(f"/api/v1/payments/bills/{mine.slug}").status_code == 200
    client.force_login(stranger)
    assert client.get("/api/v1/payments/bills").json()["count"] == 0
    assert client.get(f"/api/v1/payments/bills/{mine.slug}").status_code == 404


def test_officer_of_another_commune_sees_nothing(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=receive(world))
    login_verified(client, world.counter_b)
    assert client.get("/api/v1/payments/bills").json() == {"count": 0, "items": []}
    assert client.get(f"/api/v1/payments/bills/{bill.slug}").status_code == 404
    response = client.post(f"/api/v1/payments/bills/{bill.slug}/cash", data={"receipt_no": "1"},
                           content_type="application/json")
    assert response.status_code == 404
    login_verified(client, world.counter_a)
    assert [b["reference"] for b in client.get("/api/v1/payments/bills").json()["items"]] == [bill.reference]


def test_officer_cash_and_receipt_download(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=receive(world))
    login_verified(client, world.counter_a)
    response = client.post(f"/api/v1/payments/bills/{bill.slug}/cash", data={"receipt_no": "0000123"},
                           content_type="application/json", headers={"Idempotency-Key": "cash-1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "paid" and body["receipt"]["label"].endswith("-0000001")
    again = client.post(f"/api/v1/payments/bills/{bill.slug}/cash", data={"receipt_no": "0000123"},
                        content_type="application/json", headers={"Idempotency-Key": "cash-1"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and Payment.objects.count() == 1
    pdf = client.get(body["receipt"]["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_officer_raises_and_cancels_through_the_api(client: Any, world: Province) -> None:
    d = receive(world)
    login_verified(client, world.counter_a)
    raised = client.post("/api/v1/payments/bills", data={"dossier_code": d.code, "stage": "at_result"},
                         content_type="application/json")
    assert raised.status_code == 201 and raised.json()["total"] == 35_000
    slug = raised.json()["slug"]
    cancelled = client.post(f"/api/v1/payments/bills/{slug}/cancel", data={"reason": "Chưa đến giai đoạn trả kết quả"},
                            content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    bad = client.post("/api/v1/payments/bills", data={"dossier_code": d.code, "stage": "someday"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "stage_invalid"


def test_citizens_cannot_use_officer_routes(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    response = client.post(f"/api/v1/payments/bills/{bill.slug}/cash", data={"receipt_no": "1"},
                           content_type="application/json")
    assert response.status_code == 403
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.OPEN


def test_checkout_with_idempotency_key(client: Any, world: Province, gateway: MockGateway,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_CALLBACK_BASE", "http://127.0.0.1:8000/")
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    url = f"/api/v1/payments/bills/{bill.slug}/checkout"
    first = client.post(url, data={"gateway": "local"}, content_type="application/json",
                        headers={"Idempotency-Key": "pay-1"})
    assert first.status_code == 201, first.content
    assert first.json()["redirect_url"].startswith(gateway.url + "/pay/")
    again = client.post(url, data={"gateway": "local"}, content_type="application/json",
                        headers={"Idempotency-Key": "pay-1"})
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Checkout.objects.count() == 1 and len(gateway.state.transactions) == 1
    other_body = client.post(url, data={"gateway": "national"}, content_type="application/json",
                             headers={"Idempotency-Key": "pay-1"})
    assert other_body.status_code == 409
    tx = gateway.transaction(first.json()["transaction_id"])
    assert tx is not None and tx.callback_url == "http://127.0.0.1:8000/api/v1/payments/callbacks/local"
    assert tx.return_url == f"http://testserver/thanh-toan/hoa-don/{bill.slug}/ket-qua/"


def test_checkout_to_a_callback_off_loopback_is_refused_by_the_mock(client: Any, world: Province,
                                                                    gateway: MockGateway) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    response = client.post(f"/api/v1/payments/bills/{bill.slug}/checkout", data={"gateway": "local"},
                           content_type="application/json")  # callback would be http://testserver/...
    assert response.status_code == 503 and response.json()["code"] == "gateway_unavailable"
    assert not Checkout.objects.exists()


def test_checkout_of_someone_elses_bill_is_404(client: Any, world: Province, gateway: MockGateway) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(UserFactory(username="congdan_khac", is_citizen=True))
    response = client.post(f"/api/v1/payments/bills/{bill.slug}/checkout", data=json.dumps({"gateway": "local"}),
                           content_type="application/json")
    assert response.status_code == 404 and gateway.state.transactions == {}


def test_anonymous_is_401(client: Any, world: Province) -> None:
    assert client.get("/api/v1/payments/bills").status_code == 401

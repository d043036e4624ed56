"""The mock gateway's own HTTP surface and its management command (no database needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO

import httpx
import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.payments.conf import DEMO_SECRETS
from chinhquyenso.payments.gateway import SIGNATURE_HEADER, sign
from chinhquyenso.payments.mock_gateway import MockGateway


@pytest.fixture
def mock() -> Iterator[MockGateway]:
    gw = MockGateway(port=0).start()
    try:
        yield gw
    finally:
        gw.stop()


def create(mock: MockGateway, *, secret: str = DEMO_SECRETS["local"], **overrides: object) -> httpx.Response:
    data = {"merchant": "local", "order_id": "HS H0112260212 0001 T", "amount": 8000, "description": "HS",
            "return_url": "http://127.0.0.1:8000/thanh-toan/ket-qua/", "callback_url": "http://127.0.0.1:9/cb"}
    data.update(overrides)
    body = json.dumps(data).encode()
    return httpx.post(f"{mock.url}/api/payments", content=body,
                      headers={SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"})


def test_payments_must_be_signed_by_a_known_merchant(mock: MockGateway) -> None:
    assert create(mock, secret="wrong").status_code == 401
    assert create(mock, merchant="unknown").status_code == 401
    assert create(mock, amount=0).status_code == 400
    assert create(mock, callback_url="http://203.0.113.5/cb").status_code == 400
    ok = create(mock)
    assert ok.status_code == 201 and ok.json()["pay_url"] == f"{mock.url}/pay/{ok.json()['transaction_id']}"


def test_cancel_on_the_pay_page_goes_back_with_the_status(mock: MockGateway) -> None:
    tx = create(mock).json()["transaction_id"]
    page = httpx.get(f"{mock.url}/pay/{tx}")
    assert 'action="/pay/' in page.text and "Hủy giao dịch" in page.text
    back = httpx.post(f"{mock.url}/pay/{tx}/cancel")
    assert back.status_code == 303
    assert back.headers["Location"] == f"http://127.0.0.1:8000/thanh-toan/ket-qua/?transaction_id={tx}&status=cancelled"
    assert [(d.status, d.http_status) for d in mock.state.deliveries] == [("cancelled", None)]  # port 9 is closed
    assert httpx.post(f"{mock.url}/pay/{tx}/confirm").status_code == 400  # no paying a cancelled transaction


def test_admin_faults_and_state(mock: MockGateway) -> None:
    assert httpx.post(f"{mock.url}/api/admin/faults", json={"mode": "sometimes"}).status_code == 400
    assert httpx.post(f"{mock.url}/api/admin/faults", json={"mode": "drop"}).json() == {"mode": "drop"}
    tx = create(mock).json()["transaction_id"]
    paid = httpx.post(f"{mock.url}/api/payments/{tx}/pay", json={"paid_at": "2026-02-12T23:59:00+07:00"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    state = httpx.get(f"{mock.url}/api/admin/state").json()
    assert state["mode"] == "drop" and state["deliveries"] == [] and len(state["transactions"]) == 1
    assert httpx.post(f"{mock.url}/api/payments/GDNONE/pay").status_code == 404
    httpx.post(f"{mock.url}/api/admin/reset")
    assert httpx.get(f"{mock.url}/api/admin/state").json()["transactions"] == []


def test_transactions_by_vietnam_day(mock: MockGateway) -> None:
    mock.set_faults(mode="drop")
    for when in ("2026-02-12T23:59:00+07:00", "2026-02-12T17:30:00+00:00"):  # the second is 13/02 00:30 in VN
        tx = create(mock).json()["transaction_id"]
        mock.pay(tx, paid_at=when)
    query = b"date=2026-02-12&merchant=local"
    response = httpx.get(f"{mock.url}/transactions", params={"date": "2026-02-12", "merchant": "local"},
                         headers={SIGNATURE_HEADER: sign(DEMO_SECRETS["local"], query)})
    assert response.status_code == 200
    assert response.headers[SIGNATURE_HEADER] == sign(DEMO_SECRETS["local"], response.content)
    assert [t["paid_at"] for t in response.json()["transactions"]] == ["2026-02-12T23:59:00+07:00"]
    unsigned = httpx.get(f"{mock.url}/transactions", params={"date": "2026-02-12", "merchant": "local"})
    assert unsigned.status_code == 401


def test_command_refuses_a_non_loopback_host() -> None:
    with pytest.raises(CommandError):
        call_command("mock_payment_gateway", "--host", "192.0.2.1", "--port", "0", stdout=StringIO())


def test_command_serves_on_loopback(tmp_path: object) -> None:
    env = {**os.environ, "CHINHQUYENSO_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "chinhquyenso", "mock-payment-gateway", "--port", "0",
                             "--mode", "twice"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("mock payment gateway: http://127.0.0.1:") and "mode=twice" in line
        url = line.split()[3]
        assert httpx.get(f"{url}/health", timeout=5).json() == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)

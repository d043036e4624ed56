"""Our mock national portal: auth, idempotency, out-of-order detection, runtime faults, loopback only."""

from __future__ import annotations

import httpx
import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.integration.mock_portal import MockPortal
from chinhquyenso.integration.national_portal import NationalPortalClient


def _payload(code: str = "H01.30337-250701-0001", status: int = 2) -> dict:
    return {"MaHoSo": code, "MaTTHC": "1.001193", "TrangThaiHoSo": status,
            "tienTrinh": {"MaHoSo": code, "TrangThai": status}}


def test_idempotency_key_replay_is_acknowledged_not_applied(portal, portal_client) -> None:
    first = portal_client.send_sync(payload=_payload(status=2), idempotency_key="K:1", seq=1)
    replay = portal_client.send_sync(payload=_payload(status=9), idempotency_key="K:1", seq=1)
    assert first.ok and replay.ok
    stats = portal.stats()
    assert (stats["received"], stats["applied"], stats["duplicates"]) == (2, 1, 1)
    stored = portal.dossier("H01.30337-250701-0001")
    assert stored.data["TrangThaiHoSo"] == 2 and stored.applied == 1 and len(stored.process_log) == 1


def test_lower_seq_is_counted_out_of_order_and_keeps_newer_state(portal, portal_client) -> None:
    assert portal_client.send_sync(payload=_payload(status=4), idempotency_key="K:3", seq=3).ok
    assert portal_client.send_sync(payload=_payload(status=2), idempotency_key="K:2", seq=2).ok
    stats = portal.stats()
    assert (stats["applied"], stats["out_of_order"]) == (1, 1)
    stored = portal.dossier("H01.30337-250701-0001")
    assert stored.seq == 3 and stored.data["TrangThaiHoSo"] == 4
    assert [e["TrangThai"] for e in stored.process_log] == [4, 2]  # history line kept, state not rolled back


def test_reads_list_and_stats_over_http(portal, portal_client) -> None:
    for n in range(3):
        portal_client.send_sync(payload=_payload(code=f"C-{n}", status=2 + n), idempotency_key=f"C-{n}:1", seq=1)
    remote = portal_client.get_dossier("C-2")
    assert remote is not None and (remote.status, remote.seq) == (4, 1)
    assert portal_client.get_dossier("nope") is None
    token = portal_client.token()
    listing = httpx.get(f"{portal.url}/api/dossiers?limit=2", headers={"Authorization": f"Bearer {token}"}).json()
    assert listing["total"] == 3 and [d["MaHoSo"] for d in listing["data"]] == ["C-0", "C-1"]
    stats = httpx.get(f"{portal.url}/api/stats").json()["data"]
    assert stats["applied"] == 3


def test_auth_is_required(portal) -> None:
    response = httpx.post(f"{portal.url}/api/dossiers/sync", json=_payload(), headers={"Idempotency-Key": "x"})
    assert response.status_code == 401 and response.json()["error_code"] == 401
    bad = httpx.post(f"{portal.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=("x", "y"))
    assert bad.status_code == 401
    assert portal.stats()["applied"] == 0


def test_validation_rejects_bad_content(portal, portal_client) -> None:
    result = portal_client.send_sync(payload={"MaHoSo": "X", "TrangThaiHoSo": 11, "MaTTHC": "1"},
                                     idempotency_key="X:1", seq=1)
    assert (result.ok, result.error_kind, result.http_status) == (False, "rejected", 400)


def test_faults_and_outage_at_runtime(portal, portal_client) -> None:
    admin = f"{portal.url}/api/admin"
    assert httpx.post(f"{admin}/faults", json={"fail_rate": 1}).status_code == 200
    assert portal_client.send_sync(payload=_payload(), idempotency_key="F:1", seq=1).error_kind == "http_5xx"
    assert httpx.post(f"{admin}/faults", json={"fail_rate": 2}).status_code == 400  # not a probability
    assert httpx.post(f"{admin}/faults", json={"nonsense": 1}).status_code == 400
    httpx.post(f"{admin}/faults", json={"fail_rate": 0, "garbled_rate": 1})
    assert portal_client.send_sync(payload=_payload(), idempotency_key="F:2", seq=2).error_kind == "garbled"
    httpx.post(f"{admin}/faults", json={"garbled_rate": 0})
    httpx.post(f"{admin}/outage", json={"seconds": 60})
    assert portal_client.send_sync(payload=_payload(), idempotency_key="F:3", seq=3).error_kind == "connection"
    assert httpx.get(f"{portal.url}/api/stats").json()["data"]["in_outage"] is True
    httpx.post(f"{admin}/outage", json={"seconds": 0})
    assert portal_client.send_sync(payload=_payload(), idempotency_key="F:3", seq=3).ok
    assert httpx.post(f"{admin}/reset").status_code == 200
    assert portal.stats()["applied"] == 0 and portal.dossier("H01.30337-250701-0001") is None


def test_outage_at_start_and_latency() -> None:
    mock = MockPortal(port=0, outage_seconds=60, latency_ms=5).start()
    try:
        with NationalPortalClient(base_url=mock.url, timeout=0.5) as client:
            assert client.send_sync(payload=_payload(), idempotency_key="O:1", seq=1).error_kind == "connection"
            mock.state.set_outage(0)
            result = client.send_sync(payload=_payload(), idempotency_key="O:1", seq=1)
            assert result.ok and result.duration_ms >= 5
    finally:
        mock.stop()


def test_seeded_faults_are_reproducible() -> None:
    def pattern(seed: int) -> list[str]:
        mock = MockPortal(port=0, seed=seed, fail_rate=0.5).start()
        try:
            with NationalPortalClient(base_url=mock.url, timeout=0.5) as client:
                return [client.send_sync(payload=_payload(), idempotency_key=f"S:{i}", seq=i).error_kind
                        for i in range(1, 13)]
        finally:
            mock.stop()

    first = pattern(7)
    assert first == pattern(7)
    assert "http_5xx" in first and "" in first


def test_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        MockPortal(host="192.0.2.1", port=0)
    with pytest.raises(CommandError, match="loopback"):
        call_command("mock_national_portal", "--host", "192.0.2.1", "--port", "0")

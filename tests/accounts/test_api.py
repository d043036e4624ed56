"""Bearer tokens and the session rule on the API (``/api/v1/me``)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from chinhquyenso.accounts.models import ApiToken
from chinhquyenso.accounts.services import api_token_create, api_token_revoke
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, PermissionDenied

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_as_sha256_only(officer_a):
    token, raw = api_token_create(user=officer_a, name="hệ thống báo cáo")
    assert raw.startswith("cqs_") and len(raw) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[4:12]
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first().values())
    assert raw not in stored and raw[13:] not in stored
    event = AuditEvent.objects.get(action="api_token.create")
    assert raw[13:] not in str(event.summary) and event.summary["prefix"] == row.prefix


def test_bearer_token_authenticates_without_totp_and_shows_scope(client, org, officer_a):
    _, raw = api_token_create(user=officer_a, name="ci")
    response = client.get(ME, **_bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "canbo.a"
    assert body["roles"] == ["processing_officer"]
    assert body["auth_method"] == "token"
    assert body["assignments"][0]["unit"]["code"] == org.commune_a.code
    assert body["scope"] == {"everything": False, "unit_count": 2, "agency_count": 2}  # A + merged old commune


@pytest.mark.parametrize("header", ["Bearer cqs_nothing", "Bearer ", "Bearer cqs_abcdefgh_" + "x" * 43])
def test_wrong_token_is_401_json(client, officer_a, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    body = response.json()
    assert set(body) >= {"code", "message"} and body["code"] == "unauthorized"


def test_tampered_token_with_a_real_prefix_is_401(client, officer_a):
    _, raw = api_token_create(user=officer_a)
    assert client.get(ME, **_bearer(raw[:-1] + ("A" if raw[-1] != "A" else "B"))).status_code == 401


def test_revoked_token_is_401(client, officer_a, province_admin):
    token, raw = api_token_create(user=officer_a)
    api_token_revoke(token=token, actor=officer_a)
    response = client.get(ME, **_bearer(raw))
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    with pytest.raises(Conflict):
        api_token_revoke(token=token, actor=province_admin)
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_token_of_a_deactivated_account_is_401(client, officer_a):
    _, raw = api_token_create(user=officer_a)
    officer_a.is_active = False
    officer_a.save()
    assert client.get(ME, **_bearer(raw)).status_code == 401


def test_only_owner_or_their_administrator_revokes(officer_a, officer_b, unit_admin_a):
    token, _ = api_token_create(user=officer_a)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=officer_b)
    api_token_revoke(token=token, actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        api_token_create(user=officer_a, actor=officer_b)


def test_last_used_at_written_at_most_once_a_minute(client, officer_a):
    token, raw = api_token_create(user=officer_a)
    client.get(ME, **_bearer(raw))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME, **_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(ME, **_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)
    assert token.last_used_at <= timezone.now()


def test_no_credentials_is_401_json(client, db):
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_officer_session_needs_totp(client, officer_a):
    client.force_login(officer_a)
    response = client.get(ME)
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    login_verified(client, officer_a)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["auth_method"] == "session" and response.json()["otp_verified"] is True


def test_citizen_session_sees_no_officer_scope(client, citizen):
    client.force_login(citizen)
    body = client.get(ME).json()
    assert body["roles"] == ["citizen"] and body["assignments"] == []
    assert body["scope"] == {"everything": False, "unit_count": 0, "agency_count": 0}


def test_province_admin_scope_is_everything(client, province_admin):
    _, raw = api_token_create(user=province_admin)
    body = client.get(ME, **_bearer(raw)).json()
    assert body["scope"] == {"everything": True, "unit_count": None, "agency_count": None}

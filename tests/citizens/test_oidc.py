"""Login with the identity provider against the mock OIDC provider over real HTTP on loopback:
discovery, PKCE, id_token verification, state/nonce checks, account linking by ``sub``."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from django.test import Client
from django.urls import reverse

from chinhquyenso.accounts.models import User
from chinhquyenso.citizens import oidc, services
from chinhquyenso.citizens.mock_oidc import MockOidcProvider
from chinhquyenso.citizens.models import CitizenIdentity
from tests.citizens.helpers import client_for, submit_online

pytestmark = pytest.mark.django_db


def _start(client: Client, query: str = "") -> str:
    response = client.get(reverse("citizens:eid_start") + query)
    assert response.status_code == 302, response.content
    return str(response["Location"])


def _authorize(url: str) -> str:
    """The browser's visit to the provider: it auto-approves and redirects back with code + state."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["location"])
    return f"{back.path}?{back.query}"


def _login(client: Client, query: str = "") -> object:
    return client.get(_authorize(_start(client, query)))


def test_discovery_document_is_read_and_checked(oidc_provider: MockOidcProvider) -> None:
    meta = oidc.provider_metadata(oidc.oidc_config())
    assert meta["issuer"] == oidc_provider.issuer
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert ("GET", "/.well-known/openid-configuration") in oidc_provider.requests


def test_authorization_request_uses_pkce_state_and_nonce(oidc_provider: MockOidcProvider) -> None:
    client = Client()
    url = _start(client, "?next=/cong-dan/kho-giay-to/")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(oidc_provider.issuer + "/authorize?")
    assert params["response_type"] == "code" and params["client_id"] == oidc_provider.client_id
    assert params["code_challenge_method"] == "S256"
    pending = client.session[oidc.SESSION_KEY][params["state"]]
    verifier = pending["verifier"]
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert params["code_challenge"] == expected and params["nonce"] == pending["nonce"]
    assert params["redirect_uri"] == "http://testserver" + reverse("citizens:eid_callback")


def test_login_creates_a_citizen_linked_by_sub_and_marks_dossiers_vneid(world, oidc_provider) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = _login(client, "?next=/cong-dan/kho-giay-to/")
    assert response.status_code == 302 and response["Location"] == "/cong-dan/kho-giay-to/"  # type: ignore[attr-defined]
    identity = CitizenIdentity.objects.get(subject="vneid-001234")
    user = identity.user
    assert identity.issuer == oidc_provider.issuer and identity.national_eid and identity.created_account
    assert user.is_citizen and user.full_name == "Phạm Văn Định" and user.email == "dinh@example.vn"
    assert user.phone == "0901234567"
    assert client.get(reverse("citizens:documents")).status_code == 200
    assert ("POST", "/token") in oidc_provider.requests and ("GET", "/userinfo") in oidc_provider.requests

    # Same sub again (another browser): the same account, no new one.
    again = Client()
    _login(again)
    assert User.objects.filter(is_citizen=True).count() == 1 + User.objects.filter(
        is_citizen=True).exclude(pk=user.pk).count()
    assert CitizenIdentity.objects.count() == 1
    assert int(again.session["_auth_user_id"]) == user.pk

    # Dossiers of an e-ID-verified account carry TaiKhoanDuocXacThucVoiVNeID; others do not.
    assert submit_online(world, user).vneid_verified
    other = services.citizen_register(full_name="Không VNeID", identifier="khong@example.vn",
                                      password="Mat-khau-that-dai-2026!")
    assert not submit_online(world, other).vneid_verified


def _no_login(client: Client) -> None:
    assert "_auth_user_id" not in client.session
    assert not CitizenIdentity.objects.exists()


def test_wrong_state_is_refused(oidc_provider: MockOidcProvider) -> None:
    client = Client()
    callback = _authorize(_start(client))
    tampered = callback.replace("state=", "state=x")
    response = client.get(tampered)
    assert response.status_code == 400 and "không hợp lệ hoặc đã hết hạn" in response.content.decode()
    _no_login(client)
    # The state is single-use even after a refusal elsewhere: a replay of the real one after a
    # successful login is refused too.
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 400


def test_callback_without_a_started_login_is_refused(oidc_provider: MockOidcProvider) -> None:
    callback = _authorize(_start(Client()))
    other_browser = Client()
    assert other_browser.get(callback).status_code == 400  # state is bound to the session that began
    _no_login(other_browser)


def test_wrong_nonce_is_refused(oidc_provider: MockOidcProvider) -> None:
    oidc_provider.id_token_overrides = {"nonce": "nonce-cua-phien-khac"}
    client = Client()
    response = _login(client)
    assert response.status_code == 400 and "nonce" in response.content.decode()  # type: ignore[attr-defined]
    _no_login(client)


@pytest.mark.parametrize(("overrides", "foreign", "code_word"), [
    ({}, True, "Chữ ký"),
    ({"aud": "ung-dung-khac"}, False, "id_token"),
    ({"iss": "http://127.0.0.1:1"}, False, "id_token"),
    ({"exp": int(time.time()) - 3600}, False, "id_token"),
    ({"aud": ["chinhquyenso", "ung-dung-khac"]}, False, "id_token"),
])
def test_id_token_signature_and_claims_are_verified(oidc_provider: MockOidcProvider, overrides: dict,
                                                    foreign: bool, code_word: str) -> None:
    oidc_provider.id_token_overrides = overrides
    oidc_provider.sign_with_foreign_key = foreign
    client = Client()
    response = _login(client)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert code_word in response.content.decode()  # type: ignore[attr-defined]
    _no_login(client)


def test_unsigned_or_hmac_id_tokens_are_refused(oidc_provider: MockOidcProvider) -> None:
    config = oidc.oidc_config()
    meta = oidc.provider_metadata(config)
    now = int(time.time())
    claims = {"iss": config.issuer, "aud": config.client_id, "sub": "x", "iat": now, "exp": now + 60, "nonce": "n"}
    for token in (jwt.encode(claims, None, algorithm="none"),
                  jwt.encode(claims, config.client_secret + "-padding-to-32-bytes-long!", algorithm="HS256")):
        with pytest.raises(oidc.OidcError) as refused:
            oidc.verify_id_token(token, config=config, metadata=meta, nonce="n")
        assert refused.value.code == "oidc_bad_alg"


def test_pkce_verifier_must_match(oidc_provider: MockOidcProvider) -> None:
    client = Client()
    callback = _authorize(_start(client))
    session = client.session
    pending = session[oidc.SESSION_KEY]
    for value in pending.values():
        value["verifier"] = "A" * 64  # not the verifier whose challenge the provider saw
    session[oidc.SESSION_KEY] = pending
    session.save()
    response = client.get(callback)
    assert response.status_code == 400 and "không xác nhận đăng nhập" in response.content.decode()
    _no_login(client)


def test_mock_provider_enforces_the_protocol(oidc_provider: MockOidcProvider) -> None:
    base = oidc_provider.issuer
    no_pkce = httpx.get(f"{base}/authorize", params={
        "response_type": "code", "client_id": oidc_provider.client_id, "redirect_uri": "http://testserver/cb",
        "scope": "openid", "state": "s"}, follow_redirects=False)
    assert no_pkce.status_code == 400 and "PKCE" in no_pkce.text
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    approved = httpx.get(f"{base}/authorize", params={
        "response_type": "code", "client_id": oidc_provider.client_id, "redirect_uri": "http://testserver/cb",
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": challenge,
        "code_challenge_method": "S256"}, follow_redirects=False)
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://testserver/cb",
            "code_verifier": verifier}
    wrong_secret = httpx.post(f"{base}/token", data=form, auth=(oidc_provider.client_id, "sai"))
    assert wrong_secret.status_code == 401
    first = httpx.post(f"{base}/token", data=form, auth=(oidc_provider.client_id, oidc_provider.client_secret))
    assert first.status_code == 200 and first.json()["id_token"]
    replay = httpx.post(f"{base}/token", data=form, auth=(oidc_provider.client_id, oidc_provider.client_secret))
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert httpx.get(f"{base}/userinfo", headers={"Authorization": "Bearer sai"}).status_code == 401


def test_provider_refusal_and_misconfiguration(oidc_provider: MockOidcProvider, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    url = _start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    denied = client.get(reverse("citizens:eid_callback"), {"error": "access_denied", "state": state})
    assert denied.status_code == 400 and "từ chối" in denied.content.decode()
    # The discovery document must name exactly the configured issuer.
    monkeypatch.setenv("CHINHQUYENSO_OIDC_ISSUER", oidc_provider.issuer.replace("127.0.0.1", "localhost"))
    mismatch = Client().get(reverse("citizens:eid_start"))
    assert mismatch.status_code == 400 and "không khớp issuer" in mismatch.content.decode()
    # Plain HTTP is refused except on loopback.
    monkeypatch.setenv("CHINHQUYENSO_OIDC_ISSUER", "http://idp.example.vn")
    with pytest.raises(oidc.OidcError) as insecure:
        oidc.provider_metadata(oidc.oidc_config())
    assert insecure.value.code == "oidc_insecure_url"
    monkeypatch.delenv("CHINHQUYENSO_OIDC_ISSUER")
    assert Client().get(reverse("citizens:eid_start")).status_code == 503
    assert "Đăng nhập bằng VNeID" not in Client().get(reverse("citizens:login")).content.decode()


def test_link_and_unlink_from_the_account_page(world, alice, bob, oidc_provider) -> None:  # type: ignore[no-untyped-def]
    client = client_for(alice)
    assert "Liên kết với VNeID" in client.get(reverse("citizens:account")).content.decode()
    done = client.get(_authorize(_start(client, "?mode=link")))
    assert done.status_code == 302 and done["Location"] == reverse("citizens:account")
    identity = CitizenIdentity.objects.get(user=alice)
    assert identity.subject == "vneid-001234" and not identity.created_account
    assert submit_online(world, alice).vneid_verified
    assert "Đã xác thực" in client.get(reverse("citizens:account")).content.decode()

    # The same e-ID cannot be linked to a second account.
    other = client_for(bob)
    refused = other.get(_authorize(_start(other, "?mode=link")))
    assert refused.status_code == 400 and "tài khoản công dân khác" in refused.content.decode()
    assert not CitizenIdentity.objects.filter(user=bob).exists()

    # Signing in with the e-ID now opens Alice's account.
    browser = Client()
    _login(browser)
    assert int(browser.session["_auth_user_id"]) == alice.pk

    assert other.post(reverse("citizens:eid_unlink", args=[identity.pk])).status_code == 404  # not Bob's
    client.post(reverse("citizens:eid_unlink", args=[identity.pk]))
    assert not CitizenIdentity.objects.filter(user=alice).exists()


def test_account_created_by_eid_cannot_unlink_it(oidc_provider: MockOidcProvider) -> None:
    client = Client()
    _login(client)
    identity = CitizenIdentity.objects.get()
    client.post(reverse("citizens:eid_unlink", args=[identity.pk]))
    assert CitizenIdentity.objects.filter(pk=identity.pk).exists()


def test_provider_form_mode_signs_in_the_identity_typed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with MockOidcProvider() as provider:
        monkeypatch.setenv("CHINHQUYENSO_OIDC_ISSUER", provider.issuer)
        monkeypatch.setenv("CHINHQUYENSO_OIDC_CLIENT_ID", provider.client_id)
        monkeypatch.setenv("CHINHQUYENSO_OIDC_CLIENT_SECRET", provider.client_secret)
        client = Client()
        url = _start(client)
        page = httpx.get(url)
        assert page.status_code == 200 and 'name="sub"' in page.text
        fields = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        fields.update({"sub": "form-sub-9", "name": "Đỗ Thị Mai"})
        approved = httpx.post(f"{provider.issuer}/authorize", data=fields, follow_redirects=False)
        back = urlsplit(approved.headers["location"])
        assert client.get(f"{back.path}?{back.query}").status_code == 302
    assert User.objects.get(identities__subject="form-sub-9").full_name == "Đỗ Thị Mai"


def test_identity_sign_in_never_links_by_email(alice) -> None:  # type: ignore[no-untyped-def]
    user, created = services.identity_sign_in(identity=services.VerifiedIdentity(
        issuer="https://idp.example.vn", subject="s-1", national_eid=True, name="Kẻ giả mạo", email="lan@example.vn"))
    assert created and user.pk != alice.pk and user.email == ""


def test_mock_oidc_command_serves_discovery_until_it_stops() -> None:
    import io
    import threading

    from django.core.management import call_command

    out = io.StringIO()
    runner = threading.Thread(target=call_command, args=("mock_oidc",),
                              kwargs={"port": 0, "seconds": 3, "sub": "cli-1", "stdout": out})
    runner.start()
    deadline = time.monotonic() + 10
    while "CHINHQUYENSO_OIDC_ISSUER=" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    issuer = out.getvalue().split("CHINHQUYENSO_OIDC_ISSUER=")[1].split()[0]
    assert httpx.get(issuer + "/.well-known/openid-configuration").json()["issuer"] == issuer
    runner.join(timeout=10)
    assert "stopped" in out.getvalue()


def test_openapi_document_lists_the_citizen_endpoints() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/public/dossiers/{code}", "/api/v1/citizen/dossiers", "/api/v1/citizen/documents",
            "/api/v1/citizen/dossiers/{code}/rating"} <= set(paths)

"""OpenID Connect relying party: log in with the province's identity provider (VNeID works this way).

Authorization-code flow with PKCE (S256), ``state`` and ``nonce``:

1. :func:`begin` makes ``state``, ``nonce`` and a PKCE verifier, keeps them in the server-side
   session and returns the provider's authorization URL.
2. The provider sends the browser back to our callback with ``code`` and ``state``.
   :func:`complete` checks ``state`` against the session (one use, 10 minutes), exchanges the code
   at the token endpoint (client secret + PKCE verifier), then verifies the ``id_token``:
   signature against the provider's JWKS (asymmetric algorithms only: never ``none`` or HS*),
   ``iss``, ``aud`` (+ ``azp``), ``exp``/``iat``, ``nonce``, and ``at_hash`` when present.
   The userinfo endpoint, if any, adds claims (its ``sub`` must match).

Configuration comes from the environment, read when used (12-factor):

=================================  ===========================================================
``CHINHQUYENSO_OIDC_ISSUER``       issuer URL; empty = e-ID login is off. HTTPS, except loopback
``CHINHQUYENSO_OIDC_CLIENT_ID``    client id registered with the provider
``CHINHQUYENSO_OIDC_CLIENT_SECRET`` client secret
``CHINHQUYENSO_OIDC_NAME``         button label (default "VNeID")
``CHINHQUYENSO_OIDC_SCOPES``       default "openid profile email phone"
``CHINHQUYENSO_OIDC_NATIONAL_EID`` "1" (default): the provider is the national e-ID, so linked
                                   accounts count as TaiKhoanDuocXacThucVoiVNeID
=================================  ===========================================================
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
import jwt
from django.core.cache import cache

from chinhquyenso.citizens.services import VerifiedIdentity
from chinhquyenso.core.errors import DomainError

SESSION_KEY = "citizens_oidc_pending"
#: How long the user may take at the provider before the state expires.
STATE_TTL_SECONDS = 600
#: Clock skew tolerated on exp / iat / nbf.
LEEWAY_SECONDS = 60
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
METADATA_CACHE_SECONDS = 3600
#: Asymmetric algorithms only: an HMAC or "none" id_token is refused whatever the provider says.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class OidcError(DomainError):
    """The login through the identity provider failed; nothing was created or linked."""

    code = "oidc_error"
    status = 400


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    name: str
    scopes: str
    national_eid: bool

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)


def oidc_config() -> OidcConfig:
    """Read the environment now (tests and operators change it without restarting imports)."""
    env = os.environ
    return OidcConfig(
        issuer=env.get("CHINHQUYENSO_OIDC_ISSUER", "").strip().rstrip("/"),
        client_id=env.get("CHINHQUYENSO_OIDC_CLIENT_ID", "").strip(),
        client_secret=env.get("CHINHQUYENSO_OIDC_CLIENT_SECRET", ""),
        name=env.get("CHINHQUYENSO_OIDC_NAME", "VNeID").strip() or "VNeID",
        scopes=env.get("CHINHQUYENSO_OIDC_SCOPES", "openid profile email phone").strip(),
        national_eid=env.get("CHINHQUYENSO_OIDC_NATIONAL_EID", "1") == "1",
    )


def _require_secure(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS):
        return
    raise OidcError(f"Cấu hình định danh không an toàn: {what} phải dùng HTTPS.", code="oidc_insecure_url")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _get_json(url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise OidcError("Không kết nối được tới nhà cung cấp định danh. Vui lòng thử lại sau.",
                        code="oidc_unreachable") from exc
    if response.status_code != 200:
        raise OidcError("Nhà cung cấp định danh trả lời lỗi. Vui lòng thử lại sau.", code="oidc_bad_response")
    try:
        data = response.json()
    except ValueError as exc:
        raise OidcError("Nhà cung cấp định danh trả lời không đúng định dạng.", code="oidc_bad_response") from exc
    if not isinstance(data, dict):
        raise OidcError("Nhà cung cấp định danh trả lời không đúng định dạng.", code="oidc_bad_response")
    return data


def provider_metadata(config: OidcConfig, *, refresh: bool = False) -> dict[str, Any]:
    """The discovery document (``/.well-known/openid-configuration``), cached for an hour. Its
    ``issuer`` must be exactly the configured one (OpenID Connect Discovery §4.3)."""
    _require_secure(config.issuer, "issuer")
    key = "citizens:oidc:metadata:" + hashlib.sha256(config.issuer.encode()).hexdigest()
    cached = None if refresh else cache.get(key)
    if isinstance(cached, dict):
        return cached
    data = _get_json(config.issuer + "/.well-known/openid-configuration")
    if data.get("issuer", "").rstrip("/") != config.issuer:
        raise OidcError("Tài liệu cấu hình của nhà cung cấp định danh không khớp issuer.", code="oidc_issuer_mismatch")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = data.get(field)
        if not isinstance(value, str) or not value:
            raise OidcError("Tài liệu cấu hình của nhà cung cấp định danh thiếu thông tin.", code="oidc_bad_metadata")
        _require_secure(value, field)
    methods = data.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise OidcError("Nhà cung cấp định danh không hỗ trợ PKCE S256.", code="oidc_no_pkce")
    cache.set(key, data, METADATA_CACHE_SECONDS)
    return data


def _jwks(metadata: dict[str, Any], *, refresh: bool = False) -> dict[str, Any]:
    url = str(metadata["jwks_uri"])
    key = "citizens:oidc:jwks:" + hashlib.sha256(url.encode()).hexdigest()
    cached = None if refresh else cache.get(key)
    if isinstance(cached, dict):
        return cached
    data = _get_json(url)
    if not isinstance(data.get("keys"), list):
        raise OidcError("Khóa công khai của nhà cung cấp định danh không hợp lệ.", code="oidc_bad_jwks")
    cache.set(key, data, METADATA_CACHE_SECONDS)
    return data


def _signing_key(metadata: dict[str, Any], kid: str | None, alg: str) -> Any:
    """The provider's public key for ``kid`` (refetching the JWKS once: keys rotate)."""
    for refresh in (False, True):
        keys = [k for k in _jwks(metadata, refresh=refresh)["keys"] if isinstance(k, dict)]
        candidates = [k for k in keys if k.get("use", "sig") == "sig" and (kid is None or k.get("kid") == kid)]
        if kid is None and len(candidates) != 1:
            candidates = []
        if candidates:
            try:
                return jwt.PyJWK(candidates[0], algorithm=alg).key
            except jwt.PyJWKError as exc:
                raise OidcError("Khóa công khai của nhà cung cấp định danh không hợp lệ.",
                                code="oidc_bad_jwks") from exc
    raise OidcError("Không tìm thấy khóa ký id_token của nhà cung cấp định danh.", code="oidc_unknown_key")


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str


def begin(session: Any, *, redirect_uri: str, next_url: str = "", mode: str = "login") -> AuthorizationRequest:
    """Start a login (``mode="login"``) or an account link (``mode="link"``): remember state, nonce
    and the PKCE verifier in the session, return where to send the browser."""
    config = oidc_config()
    if not config.enabled:
        raise OidcError("Đăng nhập bằng định danh điện tử chưa được cấu hình.", code="oidc_disabled")
    metadata = provider_metadata(config)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]: within RFC 7636's 43–128
    pending = {k: v for k, v in dict(session.get(SESSION_KEY) or {}).items()
               if isinstance(v, dict) and time.time() - float(v.get("created", 0)) < STATE_TTL_SECONDS}
    while len(pending) >= 5:  # a few tabs at most
        pending.pop(next(iter(pending)))
    pending[state] = {"nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri, "next": next_url,
                      "mode": mode, "created": time.time()}
    session[SESSION_KEY] = pending
    query = urlencode({
        "response_type": "code", "client_id": config.client_id, "redirect_uri": redirect_uri,
        "scope": config.scopes, "state": state, "nonce": nonce,
        "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256",
    })
    endpoint = str(metadata["authorization_endpoint"])
    return AuthorizationRequest(url=f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state=state)


@dataclass(frozen=True)
class CompletedLogin:
    identity: VerifiedIdentity
    next_url: str
    mode: str
    claims: dict[str, Any]


def _take_pending(session: Any, state: str) -> dict[str, Any]:
    pending = dict(session.get(SESSION_KEY) or {})
    match = None
    for known in list(pending):
        if hmac.compare_digest(known.encode(), state.encode()):
            match = pending.pop(known)
    session[SESSION_KEY] = pending  # one use, whatever happens next
    if not isinstance(match, dict) or time.time() - float(match.get("created", 0)) > STATE_TTL_SECONDS:
        raise OidcError("Phiên đăng nhập bằng định danh điện tử không hợp lệ hoặc đã hết hạn. Vui lòng thử lại.",
                        code="oidc_bad_state")
    return match


def _exchange(config: OidcConfig, metadata: dict[str, Any], *, code: str, redirect_uri: str,
              verifier: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    headers = {"Accept": "application/json"}
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        # RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
        pair = f"{quote_plus(config.client_id)}:{quote_plus(config.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form.update({"client_id": config.client_id, "client_secret": config.client_secret})
    try:
        response = httpx.post(str(metadata["token_endpoint"]), data=form, headers=headers, timeout=HTTP_TIMEOUT,
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        raise OidcError("Không kết nối được tới nhà cung cấp định danh. Vui lòng thử lại sau.",
                        code="oidc_unreachable") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("id_token"):
        raise OidcError("Nhà cung cấp định danh không xác nhận đăng nhập. Vui lòng thử lại.",
                        code="oidc_token_refused")
    return body


def verify_id_token(id_token: str, *, config: OidcConfig, metadata: dict[str, Any], nonce: str,
                    access_token: str | None = None) -> dict[str, Any]:
    """Signature (provider JWKS), issuer, audience/azp, expiry, issue time, nonce and at_hash."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OidcError("id_token không hợp lệ.", code="oidc_bad_id_token") from exc
    alg = str(header.get("alg", ""))
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    if alg not in ALLOWED_ALGORITHMS or alg not in offered:
        raise OidcError("id_token dùng thuật toán ký không được chấp nhận.", code="oidc_bad_alg")
    kid = header.get("kid")
    key = _signing_key(metadata, str(kid) if kid is not None else None, alg)
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token, key=key, algorithms=[alg], audience=config.client_id, issuer=config.issuer,
            leeway=LEEWAY_SECONDS, options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise OidcError("Chữ ký của id_token không hợp lệ.", code="oidc_bad_signature") from exc
    except jwt.PyJWTError as exc:
        raise OidcError("id_token không hợp lệ hoặc đã hết hạn.", code="oidc_bad_id_token") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise OidcError("id_token không dành cho hệ thống này.", code="oidc_bad_audience")
    if "azp" in claims and claims["azp"] != config.client_id:
        raise OidcError("id_token không dành cho hệ thống này.", code="oidc_bad_audience")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise OidcError("id_token không khớp phiên đăng nhập (nonce).", code="oidc_bad_nonce")
    if access_token and "at_hash" in claims:
        expected = _at_hash(access_token, alg)
        if expected is not None and not hmac.compare_digest(str(claims["at_hash"]).encode(), expected.encode()):
            raise OidcError("id_token không khớp mã truy cập (at_hash).", code="oidc_bad_at_hash")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise OidcError("Nhà cung cấp định danh không trả về mã định danh hợp lệ.", code="oidc_no_subject")
    return claims


def _at_hash(access_token: str, alg: str) -> str | None:
    """OIDC Core §3.1.3.6: left half of the hash (the one of ``alg``) of the access token."""
    bits = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:])
    if bits is None:
        return None
    digest = bits(access_token.encode("ascii")).digest()
    return _b64url(digest[: len(digest) // 2])


def _userinfo(metadata: dict[str, Any], access_token: str, subject: str) -> dict[str, Any]:
    url = metadata.get("userinfo_endpoint")
    if not isinstance(url, str) or not url or not access_token:
        return {}
    _require_secure(url, "userinfo_endpoint")
    info = _get_json(url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    if info.get("sub") != subject:
        raise OidcError("Thông tin người dùng không khớp id_token.", code="oidc_userinfo_mismatch")
    return info


def complete(session: Any, *, params: dict[str, str]) -> CompletedLogin:
    """Handle the callback's query parameters; returns the verified identity or raises OidcError."""
    config = oidc_config()
    if not config.enabled:
        raise OidcError("Đăng nhập bằng định danh điện tử chưa được cấu hình.", code="oidc_disabled")
    state = params.get("state") or ""
    if not state or len(state) > 200:
        raise OidcError("Phiên đăng nhập bằng định danh điện tử không hợp lệ hoặc đã hết hạn. Vui lòng thử lại.",
                        code="oidc_bad_state")
    pending = _take_pending(session, state)
    if params.get("error"):
        raise OidcError("Bạn đã hủy hoặc nhà cung cấp định danh từ chối đăng nhập.", code="oidc_denied")
    code = params.get("code") or ""
    if not code or len(code) > 2000:
        raise OidcError("Thiếu mã xác thực từ nhà cung cấp định danh.", code="oidc_no_code")
    metadata = provider_metadata(config)
    tokens = _exchange(config, metadata, code=code, redirect_uri=str(pending["redirect_uri"]),
                       verifier=str(pending["verifier"]))
    access_token = tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None
    claims = verify_id_token(str(tokens["id_token"]), config=config, metadata=metadata,
                             nonce=str(pending["nonce"]), access_token=access_token)
    info = _userinfo(metadata, access_token or "", claims["sub"])
    merged = {**info, **claims}

    def text(name: str) -> str:
        value = merged.get(name)
        return value.strip()[:200] if isinstance(value, str) else ""

    identity = VerifiedIdentity(
        issuer=config.issuer, subject=claims["sub"], national_eid=config.national_eid,
        name=text("name") or " ".join(p for p in (text("family_name"), text("given_name")) if p),
        email=text("email") if merged.get("email_verified", True) is not False else "",
        phone=text("phone_number"),
    )
    safe_claims = {k: v for k, v in merged.items() if k in {"sub", "name", "email", "phone_number", "acr", "amr"}}
    return CompletedLogin(identity=identity, next_url=str(pending.get("next") or ""),
                          mode=str(pending.get("mode") or "login"), claims=json.loads(json.dumps(safe_claims)))

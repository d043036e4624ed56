"""A mock OpenID Connect provider (stand-in for VNeID) on loopback, for development and tests.

Standard library HTTP server (``ThreadingHTTPServer``), RSA keys made at start with
``cryptography``, id_tokens signed RS256 with PyJWT. It implements what a real provider does for
the authorization-code flow with PKCE:

=========================================  ==================================================
``GET /.well-known/openid-configuration``  discovery document
``GET /authorize``                         checks client, redirect URI, PKCE S256; then either
                                           auto-approves the configured test identity or shows
                                           a tiny form (``POST /authorize``)
``POST /token``                            client secret (basic or post), one-use code (2 min),
                                           redirect URI, PKCE verifier → id_token + access token
``GET /jwks``                              the public key
``GET /userinfo``                          claims for a bearer access token
=========================================  ==================================================

Test knobs: ``id_token_overrides`` (claims replaced in the next id_tokens, e.g. a wrong
``nonce``), ``sign_with_foreign_key`` (a key the JWKS does not publish). ``requests`` records
(method, path) of every call. Run it with ``chinhquyenso mock-oidc --port 8900``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
CODE_TTL_SECONDS = 120
TOKEN_TTL_SECONDS = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    claims: dict[str, Any]
    issued: float
    used: bool = False


@dataclass
class MockIdentity:
    """The person the mock signs in. ``sub`` is what the relying party links accounts by."""

    sub: str
    name: str = "Nguyễn Văn Thử"
    email: str = ""
    phone_number: str = ""

    def claims(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sub": self.sub, "name": self.name}
        if self.email:
            out["email"] = self.email
            out["email_verified"] = True
        if self.phone_number:
            out["phone_number"] = self.phone_number
        return out


@dataclass
class MockOidcProvider:
    """Start with :meth:`start` (port 0 = any free port), stop with :meth:`stop`."""

    client_id: str = "chinhquyenso"
    client_secret: str = "mock-secret"  # noqa: S105 (a test double's well-known secret)
    host: str = "127.0.0.1"
    port: int = 0
    identity: MockIdentity | None = None
    redirect_uris: tuple[str, ...] = ()
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    sign_with_foreign_key: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.host not in LOOPBACK:
            raise ValueError("mock OIDC provider listens on loopback only")
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> MockOidcProvider:
        provider = self

        class Handler(_Handler):
            mock = provider

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-oidc", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MockOidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- documents -------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "userinfo_endpoint": f"{base}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "claims_supported": ["sub", "name", "email", "email_verified", "phone_number"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()

        def enc(n: int) -> str:
            return _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": enc(numbers.n), "e": enc(numbers.e)}]}

    # --- protocol --------------------------------------------------------------------------------

    def authorize_check(self, params: dict[str, str]) -> str | None:
        """Why the authorization request is refused (None: acceptable)."""
        if params.get("client_id") != self.client_id:
            return "unknown client_id"
        if params.get("response_type") != "code":
            return "response_type must be code"
        redirect = params.get("redirect_uri", "")
        if not redirect or (self.redirect_uris and redirect not in self.redirect_uris):
            return "redirect_uri not registered"
        if params.get("code_challenge_method") != "S256" or len(params.get("code_challenge", "")) < 43:
            return "PKCE S256 required"
        if "openid" not in params.get("scope", "").split():
            return "scope must include openid"
        if not params.get("state"):
            return "state required"
        return None

    def issue_code(self, params: dict[str, str], identity: MockIdentity) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(client_id=params["client_id"], redirect_uri=params["redirect_uri"],
                                        challenge=params["code_challenge"], nonce=params.get("nonce", ""),
                                        claims=identity.claims(), issued=time.time())
        return code

    def redirect_with_code(self, params: dict[str, str], identity: MockIdentity) -> str:
        code = self.issue_code(params, identity)
        sep = "&" if "?" in params["redirect_uri"] else "?"
        return f"{params['redirect_uri']}{sep}{urlencode({'code': code, 'state': params['state']})}"

    def exchange(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
        client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        if client_id != self.client_id or not hmac.compare_digest(secret.encode(), self.client_secret.encode()):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used or time.time() - grant.issued > CODE_TTL_SECONDS:
                return 400, {"error": "invalid_grant"}
            grant.used = True  # one use, even if the rest fails
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        verifier = form.get("code_verifier", "")
        expected = _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not verifier or not hmac.compare_digest(expected.encode(), grant.challenge.encode()):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access_token] = (grant.claims, time.time())
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL_SECONDS,
                     "id_token": self.id_token(grant, access_token), "scope": "openid profile email phone"}

    def id_token(self, grant: _Grant, access_token: str) -> str:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode("ascii")).digest()
        claims: dict[str, Any] = {
            **grant.claims, "iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
            "auth_time": now, "nonce": grant.nonce, "at_hash": _b64url(digest[:16]), "acr": "mock-vneid-level2",
        }
        claims.update(self.id_token_overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self._foreign_key if self.sign_with_foreign_key else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def userinfo(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._tokens.get(token)
        if found is None or time.time() - found[1] > TOKEN_TTL_SECONDS:
            return None
        return dict(found[0])


class _Handler(BaseHTTPRequestHandler):
    mock: MockOidcProvider
    server_version = "MockOIDC/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests and the CLI print what matters

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _redirect(self, url: str) -> None:
        self._send(302, b"", "text/plain", {"Location": url})

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _form(self) -> dict[str, str]:
        length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.mock.requests.append(("GET", path))
        if path == "/.well-known/openid-configuration":
            self._json(200, self.mock.discovery())
        elif path == "/jwks":
            self._json(200, self.mock.jwks())
        elif path == "/authorize":
            self._authorize(self._query())
        elif path == "/userinfo":
            header = self.headers.get("Authorization", "")
            info = self.mock.userinfo(header[7:]) if header.startswith("Bearer ") else None
            if info is None:
                self._json(401, {"error": "invalid_token"})
            else:
                self._json(200, info)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.mock.requests.append(("POST", path))
        form = self._form()
        if path == "/token":
            basic = None
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    basic = (unquote_plus(user), unquote_plus(password))
                except (ValueError, UnicodeDecodeError):
                    basic = ("", "")
            status, body = self.mock.exchange(form, basic)
            self._json(status, body)
        elif path == "/authorize":
            self._authorize(form, submitted=True)
        else:
            self._json(404, {"error": "not_found"})

    def _authorize(self, params: dict[str, str], *, submitted: bool = False) -> None:
        problem = self.mock.authorize_check(params)
        if problem:
            self._send(400, f"invalid_request: {problem}".encode(), "text/plain; charset=utf-8")
            return
        if self.mock.identity is not None:
            self._redirect(self.mock.redirect_with_code(params, self.mock.identity))
            return
        if submitted and params.get("sub"):
            identity = MockIdentity(sub=params["sub"][:100], name=params.get("name", "")[:200],
                                    email=params.get("email", "")[:200], phone_number=params.get("phone", "")[:20])
            self._redirect(self.mock.redirect_with_code(params, identity))
            return
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items() if k in {"client_id", "response_type", "redirect_uri", "scope", "state",
                                                 "nonce", "code_challenge", "code_challenge_method"}
        )
        page = (
            '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Mock VNeID</title>'
            "<h1>Nhà cung cấp định danh thử nghiệm</h1>"
            f'<form method="post" action="/authorize">{hidden}'
            '<p><label>Mã định danh (sub) <input name="sub" required></label></p>'
            '<p><label>Họ và tên <input name="name"></label></p>'
            '<p><label>Thư điện tử <input name="email" type="email"></label></p>'
            '<p><label>Số điện thoại <input name="phone"></label></p>'
            '<p><button type="submit">Đồng ý đăng nhập</button></p></form></html>'
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

"""Our own stand-in for the National Public Service Portal, with fault injection (loopback only).

The real sync API is not public, so this server speaks the shape of ``national_portal.py`` and
lets tests and benchmarks break it on purpose:

- ``POST /oauth/token`` — OAuth2 client credentials (HTTP Basic or form fields).
- ``POST /api/dossiers/sync`` — upsert by ``MaHoSo``. Idempotent by the ``Idempotency-Key`` header:
  a replayed key is acknowledged and counted as a duplicate, never applied twice. A new key whose
  ``X-Event-Seq`` is lower than the stored one for that dossier is counted as out-of-order and not
  applied (the stored state is newer).
- ``GET /api/dossiers/{MaHoSo}``, ``GET /api/dossiers`` (list), ``GET /api/stats``.
- ``POST /api/admin/reset``, ``POST /api/admin/faults`` (JSON body with any fault field),
  ``POST /api/admin/outage`` (``{"seconds": N}``; 0 ends it).

Faults (each a probability in [0, 1] drawn from one seedable RNG, applied to the sync endpoint):
``fail_rate`` → HTTP 500 (not applied), ``rate_limit_rate`` → HTTP 429 with ``Retry-After``
(not applied), ``timeout_rate`` → the server sleeps ``timeout_sleep_ms`` (past the client's
timeout) and *then applies* the change (so the retry is a duplicate, as in real life),
``garbled_rate`` → the change is applied but the response body is not JSON. ``latency_ms`` delays
every answer. During an outage every non-admin request has its connection dropped without an
answer (the client sees a connection error).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import secrets
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chinhquyenso.integration.national_portal import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

MAX_BODY = 5 * 1024 * 1024


@dataclass
class Faults:
    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    timeout_rate: float = 0.0
    garbled_rate: float = 0.0
    latency_ms: float = 0.0
    timeout_sleep_ms: float = 12_000.0
    retry_after_seconds: float = 1.0

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown fault {name!r}")
            number = float(value)
            if name.endswith("_rate") and not 0.0 <= number <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            if number < 0:
                raise ValueError(f"{name} must not be negative")
            setattr(self, name, number)


@dataclass
class StoredDossier:
    data: dict[str, Any]
    seq: int
    updated_at: float
    process_log: list[dict[str, Any]] = field(default_factory=list)
    applied: int = 0
    seqs: list[int] = field(default_factory=list)  # event seqs in the order they were applied


class PortalState:
    """Everything the mock knows, behind one lock. Tests may read it directly."""

    def __init__(self, *, seed: int | None = None, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET, token_ttl_seconds: float = 3600.0) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.faults = Faults()
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_seconds = token_ttl_seconds
        self.outage_until = 0.0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.dossiers: dict[str, StoredDossier] = {}
            self.seen_keys: dict[str, int] = {}  # idempotency key -> times received
            self.inflight_keys: dict[str, int] = {}
            self.tokens: dict[str, float] = {}
            self.received = 0
            self.applied = 0
            self.duplicates = 0
            self.out_of_order = 0
            self.concurrent_duplicates = 0
            self.rejected = 0
            self.faults_injected: dict[str, int] = {}
            self.tokens_issued = 0

    def draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self.lock:
            return self.rng.random() < rate

    def count_fault(self, name: str) -> None:
        with self.lock:
            self.faults_injected[name] = self.faults_injected.get(name, 0) + 1

    def in_outage(self) -> bool:
        return time.monotonic() < self.outage_until

    def set_outage(self, seconds: float) -> None:
        self.outage_until = time.monotonic() + max(0.0, seconds)

    def issue_token(self) -> tuple[str, float]:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_seconds
            self.tokens_issued += 1
        return token, self.token_ttl_seconds

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self.tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "received": self.received,
                "applied": self.applied,
                "duplicates": self.duplicates,
                "out_of_order": self.out_of_order,
                "concurrent_duplicates": self.concurrent_duplicates,
                "rejected": self.rejected,
                "dossiers": len(self.dossiers),
                "faults_injected": dict(self.faults_injected),
                "tokens_issued": self.tokens_issued,
                "in_outage": self.in_outage(),
                "faults": asdict(self.faults),
            }

    def begin(self, key: str) -> None:
        with self.lock:
            if self.inflight_keys.get(key):
                self.concurrent_duplicates += 1
            self.inflight_keys[key] = self.inflight_keys.get(key, 0) + 1

    def end(self, key: str) -> None:
        with self.lock:
            self.inflight_keys[key] -= 1
            if not self.inflight_keys[key]:
                del self.inflight_keys[key]

    def apply(self, key: str, seq: int, data: dict[str, Any]) -> tuple[str, int]:
        """Upsert; returns (outcome, http status). Outcome: applied | duplicate | out_of_order."""
        code = str(data.get("MaHoSo") or "")
        with self.lock:
            if key in self.seen_keys:
                self.seen_keys[key] += 1
                self.duplicates += 1
                return "duplicate", 200
            self.seen_keys[key] = 1
            stored = self.dossiers.get(code)
            entry = data.get("tienTrinh")
            if stored is not None and seq < stored.seq:
                # Older than what we hold: keep the newer snapshot, but the history line still counts.
                self.out_of_order += 1
                if isinstance(entry, dict):
                    stored.process_log.append(entry)
                return "out_of_order", 200
            snapshot = {k: v for k, v in data.items() if k != "tienTrinh"}
            if stored is None:
                stored = StoredDossier(data=snapshot, seq=seq, updated_at=time.time())
                self.dossiers[code] = stored
            else:
                stored.data, stored.seq, stored.updated_at = snapshot, seq, time.time()
            if isinstance(entry, dict):
                stored.process_log.append(entry)
            stored.applied += 1
            stored.seqs.append(seq)
            self.applied += 1
            return "applied", 200


def _validate_sync(data: Any) -> str | None:
    """The few checks a real portal makes before it accepts a dossier: a reason, or None."""
    if not isinstance(data, dict):
        return "Body must be a JSON object (HoSoDongBoDVC)"
    if not str(data.get("MaHoSo") or "").strip():
        return "Thiếu MaHoSo"
    status = data.get("TrangThaiHoSo")
    if not isinstance(status, int) or not 1 <= status <= 10:
        return "TrangThaiHoSo không hợp lệ (1–10)"
    if not str(data.get("MaTTHC") or "").strip():
        return "Thiếu MaTTHC"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _PortalServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and benches read stats instead
        return

    # plumbing -------------------------------------------------------------------------------
    @property
    def state(self) -> PortalState:
        return self.server.state

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any, *, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Outage: close the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _latency(self) -> None:
        latency = self.state.faults.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        return self.state.token_valid(header[len("Bearer "):].strip())

    # routes ---------------------------------------------------------------------------------
    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            body = self._read_body()
        except ValueError:
            self._send(413, {"error_code": 413, "message": "Payload too large"})
            return
        if path.startswith("/api/admin/"):
            self._admin(path, body)
            return
        if self.state.in_outage():
            self._drop()
            return
        self._latency()
        if path == "/oauth/token":
            self._token(body)
        elif path == "/api/dossiers/sync":
            self._sync(body)
        else:
            self._send(404, {"error_code": 404, "message": "Not found"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        if path == "/api/stats":
            self._send(200, {"error_code": 0, "message": "OK", "data": self.state.stats()})
            return
        if self.state.in_outage():
            self._drop()
            return
        self._latency()
        if not self._authorized():
            self._send(401, {"error_code": 401, "message": "Unauthorized"})
            return
        if path == "/api/dossiers":
            query = parse_qs(parts.query)
            limit = min(1000, int(query.get("limit", ["100"])[0]))
            offset = int(query.get("offset", ["0"])[0])
            with self.state.lock:
                codes = sorted(self.state.dossiers)
                page = [
                    {"MaHoSo": c, "TrangThaiHoSo": self.state.dossiers[c].data.get("TrangThaiHoSo"),
                     "seq": self.state.dossiers[c].seq}
                    for c in codes[offset:offset + limit]
                ]
            self._send(200, {"error_code": 0, "message": "OK", "data": page, "total": len(codes)})
            return
        if path.startswith("/api/dossiers/"):
            code = unquote(path[len("/api/dossiers/"):])
            with self.state.lock:
                stored = self.state.dossiers.get(code)
                body = None if stored is None else {
                    "error_code": 0, "message": "OK", "data": dict(stored.data),
                    "meta": {"seq": stored.seq, "applied": stored.applied, "process_log": list(stored.process_log)},
                }
            if body is None:
                self._send(404, {"error_code": 404, "message": "Không tìm thấy hồ sơ"})
            else:
                self._send(200, body)
            return
        self._send(404, {"error_code": 404, "message": "Not found"})

    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = client_secret = ""
        if form.get("grant_type") != "client_credentials":
            self._send(400, {"error": "unsupported_grant_type", "error_code": 400, "message": "grant_type"})
            return
        if (client_id, client_secret) != (self.state.client_id, self.state.client_secret):
            self._send(401, {"error": "invalid_client", "error_code": 401, "message": "invalid client"})
            return
        token, ttl = self.state.issue_token()
        self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl)})

    def _sync(self, body: bytes) -> None:
        state = self.state
        if not self._authorized():
            self._send(401, {"error_code": 401, "message": "Unauthorized"})
            return
        with state.lock:
            state.received += 1  # every authenticated sync request, whatever happens to it next
        key = self.headers.get("Idempotency-Key", "").strip()
        if not key:
            self._send(400, {"error_code": 400, "message": "Thiếu Idempotency-Key"})
            return
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            self._send(400, {"error_code": 400, "message": "JSON không hợp lệ"})
            return
        reason = _validate_sync(data)
        if reason:
            with state.lock:
                state.rejected += 1
            self._send(400, {"error_code": 1, "message": reason})
            return
        try:
            seq = int(self.headers.get("X-Event-Seq", "0"))
        except ValueError:
            seq = 0
        faults = state.faults
        if state.draw(faults.fail_rate):
            state.count_fault("http_500")
            self._send(500, {"error_code": 500, "message": "Lỗi máy chủ (giả lập)"})
            return
        if state.draw(faults.rate_limit_rate):
            state.count_fault("http_429")
            self._send(429, {"error_code": 429, "message": "Too many requests"},
                       headers={"Retry-After": f"{faults.retry_after_seconds:g}"})
            return
        timeout = state.draw(faults.timeout_rate)
        garbled = state.draw(faults.garbled_rate)
        state.begin(key)
        try:
            if timeout:
                state.count_fault("timeout")
                time.sleep(faults.timeout_sleep_ms / 1000.0)
            outcome, status = state.apply(key, seq, data)
        finally:
            state.end(key)
        if garbled:
            state.count_fault("garbled")
            self._send(status, None, raw=b'{"error_code": 0, "message": "OK"')  # truncated JSON
            return
        self._send(status, {"error_code": 0, "message": outcome})

    def _admin(self, path: str, body: bytes) -> None:
        state = self.state
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            self._send(400, {"error_code": 400, "message": "JSON không hợp lệ"})
            return
        if path == "/api/admin/reset":
            state.reset()
            state.set_outage(0)
            self._send(200, {"error_code": 0, "message": "reset"})
        elif path == "/api/admin/faults":
            try:
                with state.lock:
                    state.faults.update(dict(data))
                    if "seed" in data:
                        raise ValueError("seed is set at start-up")
            except (ValueError, TypeError) as exc:
                self._send(400, {"error_code": 400, "message": str(exc)})
                return
            self._send(200, {"error_code": 0, "message": "OK", "data": asdict(state.faults)})
        elif path == "/api/admin/outage":
            try:
                seconds = float(data.get("seconds", 0))
            except (TypeError, ValueError):
                self._send(400, {"error_code": 400, "message": "seconds"})
                return
            state.set_outage(seconds)
            self._send(200, {"error_code": 0, "message": "OK", "data": {"seconds": seconds}})
        else:
            self._send(404, {"error_code": 404, "message": "Not found"})


class _PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Many retries arrive at once under faults; the default backlog of 5 drops connections.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: PortalState) -> None:
        super().__init__(address, _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (its timeout, a killed worker) closes the socket under our answer: that
        is the normal life of a faulty portal, not an error worth a traceback."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def ensure_loopback(host: str) -> None:
    """The mock never listens beyond this machine."""
    try:
        ip = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot resolve {host!r}") from exc
    if not ip.is_loopback:
        raise ValueError(f"{host} is not a loopback address; the mock portal listens on loopback only")


class MockPortal:
    """Start/stop the mock in a background thread (tests) or in the foreground (the command)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int | None = None,
                 outage_seconds: float = 0.0, token_ttl_seconds: float = 3600.0,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 **faults: float) -> None:
        ensure_loopback(host)
        self.state = PortalState(seed=seed, client_id=client_id, client_secret=client_secret,
                                 token_ttl_seconds=token_ttl_seconds)
        self.state.faults.update(faults)
        if outage_seconds:
            self.state.set_outage(outage_seconds)
        self.server = _PortalServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self) -> MockPortal:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-national-portal", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def set_faults(self, **faults: float) -> None:
        with self.state.lock:
            self.state.faults.update(faults)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def dossier(self, code: str) -> StoredDossier | None:
        with self.state.lock:
            return self.state.dossiers.get(code)

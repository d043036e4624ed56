"""Our own stand-in for an SMS gateway (loopback only), recording what it receives, with faults.

- ``POST /api/sms`` — ``{"to", "text"}`` with an ``Idempotency-Key`` header → ``{"ok": true, "id"}``.
  A replayed key is acknowledged and counted as a duplicate, never stored twice (what a real
  carrier gateway must do for at-least-once delivery). Missing ``to``/``text`` → 400.
- ``GET /api/messages`` (what was received), ``GET /api/stats``.
- ``POST /api/admin/reset``, ``POST /api/admin/faults`` (``{"fail_rate": R}``).

``fail_rate`` (a probability drawn from one seedable RNG) answers HTTP 503 and stores nothing.
"""

from __future__ import annotations

import ipaddress
import json
import random
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 64 * 1024


@dataclass
class SmsState:
    fail_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    messages: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    received: int = 0
    duplicates: int = 0
    failures_injected: int = 0
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"received": self.received, "stored": len(self.messages), "duplicates": self.duplicates,
                    "failures_injected": self.failures_injected, "rejected": self.rejected,
                    "fail_rate": self.fail_rate}


def ensure_loopback(host: str) -> None:
    try:
        ip = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot resolve {host!r}") from exc
    if not ip.is_loopback:
        raise ValueError(f"{host} is not a loopback address; the mock SMS gateway listens on loopback only")


def _check_rate(value: Any) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError("fail_rate must be between 0 and 1")
    return rate


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # phone numbers must not reach a log

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        raw = self.rfile.read(length) if length else b"{}"
        return json.loads(raw.decode("utf-8"))

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/api/stats":
            self._json(200, state.stats())
        elif self.path == "/api/messages":
            with state.lock:
                self._json(200, {"data": list(state.messages)})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        try:
            body = self._body()
        except ValueError:
            self._json(400, {"ok": False, "error": "invalid JSON"})
            return
        if self.path == "/api/admin/reset":
            with state.lock:
                state.messages.clear()
                state.keys.clear()
                state.received = state.duplicates = state.failures_injected = state.rejected = 0
            self._json(200, {"ok": True})
        elif self.path == "/api/admin/faults":
            try:
                rate = _check_rate(body.get("fail_rate", state.fail_rate))
            except (TypeError, ValueError, AttributeError) as exc:
                self._json(400, {"ok": False, "error": str(exc)})
                return
            with state.lock:
                state.fail_rate = rate
            self._json(200, {"ok": True, "fail_rate": rate})
        elif self.path == "/api/sms":
            self._sms(state, body)
        else:
            self._json(404, {"ok": False, "error": "not found"})

    def _sms(self, state: SmsState, body: Any) -> None:
        key = self.headers.get("Idempotency-Key", "")
        with state.lock:
            state.received += 1
            if state.fail_rate and state.rng.random() < state.fail_rate:
                state.failures_injected += 1
                status, answer = 503, {"ok": False, "error": "gateway unavailable (injected)"}
            elif not isinstance(body, dict) or not body.get("to") or not body.get("text") or not key:
                state.rejected += 1
                status, answer = 400, {"ok": False, "error": "to, text and Idempotency-Key are required"}
            elif key in state.keys:
                state.duplicates += 1
                status, answer = 200, {"ok": True, "duplicate": True}
            else:
                state.keys.add(key)
                state.messages.append({"id": len(state.messages) + 1, "to": str(body["to"]),
                                       "text": str(body["text"]), "idempotency_key": key})
                status, answer = 200, {"ok": True, "id": len(state.messages)}
        self._json(status, answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: SmsState


class MockSmsGateway:
    """``MockSmsGateway(port=0).start()`` in tests; ``serve_forever()`` for the command."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8766, fail_rate: float = 0.0,
                 seed: int | None = None) -> None:
        ensure_loopback(host)
        self.server = _Server((host, port), _Handler)
        self.server.state = SmsState(fail_rate=_check_rate(fail_rate), rng=random.Random(seed))
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SmsState:
        return self.server.state

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MockSmsGateway:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-sms", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def messages(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.messages)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

"""Our own stand-in for the national population database (CSDL quốc gia về dân cư), loopback only.

``GET /api/citizens/{id_number}`` with ``Authorization: Bearer <token>`` answers a made-up identity
for the test numbers below and 404 for any other number; a missing or wrong token gets 401. The
identities are invented: no real person's data is in this file.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chinhquyenso.integration.mock_portal import ensure_loopback

DEFAULT_TOKEN = "dev-citizen-db-token"  # noqa: S105 - the mock's development token

#: Made-up test identities (số định danh cá nhân → thông tin công dân).
TEST_CITIZENS: dict[str, dict[str, str]] = {
    "089099000001": {"full_name": "Nguyễn Thị Thử", "date_of_birth": "1990-05-17",
                     "address": "Ấp Phú Hiệp, xã An Phú, tỉnh An Giang"},
    "089099000002": {"full_name": "Trần Văn Mẫu", "date_of_birth": "1985-11-02",
                     "address": "Khóm 3, phường Long Xuyên, tỉnh An Giang"},
    "091099000003": {"full_name": "Lê Hoàng Giả", "date_of_birth": "2001-01-30",
                     "address": "Ấp Tân Hòa, xã Tân Hiệp, tỉnh An Giang"},
}
_PATH = re.compile(r"^/api/citizens/(\d{9}|\d{12})$")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines hold ID numbers, which must never reach a log."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.headers.get("Authorization", "") != f"Bearer {self.server.token}":
            self._send(401, {"error": "unauthorized"})
            return
        match = _PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._send(404, {"error": "not_found"})
            return
        number = match.group(1)
        person = TEST_CITIZENS.get(number)
        with self.server.lock:
            self.server.lookups += 1
        if person is None:
            self._send(404, {"error": "citizen_not_found"})
            return
        self._send(200, {"id_number": number, **person})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], token: str) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.lookups = 0
        self.lock = threading.Lock()


class MockCitizenDB:
    """``MockCitizenDB(port=0).start()`` in tests; ``serve_forever()`` from the command."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8766, token: str = DEFAULT_TOKEN) -> None:
        ensure_loopback(host)
        self.server = _Server((host, port), token)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    @property
    def lookups(self) -> int:
        return self.server.lookups

    def start(self) -> MockCitizenDB:
        self._thread = threading.Thread(target=self.server.serve_forever, name="mock-citizen-db", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

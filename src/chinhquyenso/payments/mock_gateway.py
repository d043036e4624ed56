"""A stand-in payment gateway on loopback (stdlib ``ThreadingHTTPServer``), with fault modes.

It plays the province's gateway (merchant ``local``) and the national portal's payment platform
(merchant ``national``), each with its own HMAC secret, speaking the protocol of
:class:`chinhquyenso.payments.gateway.HttpGateway`:

- ``POST /api/payments`` — start a payment: JSON ``{merchant, order_id, amount, description,
  return_url, callback_url}`` signed with ``X-Signature`` (hex HMAC-SHA256 of the body). Answers
  ``201 {transaction_id, pay_url}``.
- ``GET /pay/<id>`` — the page the citizen "pays" on (no JavaScript); its buttons POST to
  ``/pay/<id>/confirm`` or ``/pay/<id>/cancel``, then the browser is sent back to ``return_url``.
- ``POST /api/payments/<id>/pay`` — pay by API (tests, demos): optional ``{channel, paid_at}``.
- ``POST /api/transfers`` — a VietQR bank transfer arrives: ``{merchant, content, amount}``; the
  transfer content is the order id, as the bank reads it.
- ``GET /transactions?date=YYYY-MM-DD&merchant=M`` — the day's paid transactions (Vietnam time),
  request signed over the query ``date=…&merchant=…``, response body signed.
- ``POST /api/admin/faults`` ``{mode, late_seconds, wrong_amount_delta}``, ``POST /api/admin/reset``,
  ``GET /api/admin/state``.

When a payment succeeds the mock POSTs a signed JSON notification ``{merchant, transaction_id,
order_id, amount, currency, status, paid_at, channel, seq}`` to the ``callback_url``. Fault modes:

- ``none`` — one ``paid`` notification, before the browser is sent back;
- ``twice`` — the same ``paid`` notification twice;
- ``late`` — the notification leaves ``late_seconds`` after the payment (the citizen is back first);
- ``out_of_order`` — ``paid`` (seq 2) first, then the stale ``pending`` (seq 1);
- ``wrong_amount`` — the gateway charges ``amount + wrong_amount_delta`` and says so;
- ``drop`` — no notification at all (reconciliation must find the payment).

Only loopback addresses: the server binds to one, and refuses callback URLs elsewhere.
"""

from __future__ import annotations

import html
import ipaddress
import json
import secrets
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx

from chinhquyenso.payments.conf import DEMO_SECRETS
from chinhquyenso.payments.gateway import PAID, SIGNATURE_HEADER, sign, signature_matches
from chinhquyenso.printing.format import format_vnd

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_BODY = 64 * 1024
FAULT_MODES = ("none", "twice", "late", "out_of_order", "wrong_amount", "drop")
MERCHANT_LABELS = {"local": "Cổng thanh toán của tỉnh (giả lập)",
                   "national": "Nền tảng thanh toán Cổng DVCQG (giả lập)"}


def ensure_loopback(host: str) -> None:
    """Raise ValueError unless ``host`` resolves to a loopback address."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError as exc:
            raise ValueError(f"cannot resolve {host!r}") from exc
    if not ip.is_loopback:
        raise ValueError(f"{host} is not a loopback address; the mock gateway talks to loopback only")


@dataclass
class MockTransaction:
    transaction_id: str
    merchant: str
    order_id: str
    amount: int
    description: str
    return_url: str
    callback_url: str
    status: str = "pending"
    channel: str = ""
    created_at: str = ""
    paid_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {"transaction_id": self.transaction_id, "order_id": self.order_id, "amount": self.amount,
                "status": self.status, "paid_at": self.paid_at, "channel": self.channel}


@dataclass
class Delivery:
    transaction_id: str
    seq: int
    status: str
    http_status: int | None
    error: str = ""
    at: float = field(default_factory=time.time)


class GatewayState:
    """Everything the mock knows, behind one lock. Tests may read it directly."""

    def __init__(self, merchants: dict[str, str]) -> None:
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.merchants = dict(merchants)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.transactions: dict[str, MockTransaction] = {}
            self.deliveries: list[Delivery] = []
            self.mode = "none"
            self.late_seconds = 1.0
            self.wrong_amount_delta = 1000
            self.changed.notify_all()

    def set_faults(self, *, mode: str | None = None, late_seconds: float | None = None,
                   wrong_amount_delta: int | None = None) -> None:
        with self.lock:
            if mode is not None:
                if mode not in FAULT_MODES:
                    raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
                self.mode = mode
            if late_seconds is not None:
                if not 0 <= float(late_seconds) <= 600:
                    raise ValueError("late_seconds must be between 0 and 600")
                self.late_seconds = float(late_seconds)
            if wrong_amount_delta is not None:
                self.wrong_amount_delta = int(wrong_amount_delta)

    def record(self, delivery: Delivery) -> None:
        with self.lock:
            self.deliveries.append(delivery)
            self.changed.notify_all()

    def wait_deliveries(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        """Block until at least ``count`` notifications were sent (or ``timeout`` seconds passed)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.changed.wait(remaining)
            return list(self.deliveries)


def _now_local() -> datetime:
    return datetime.now(LOCAL_TZ).replace(microsecond=0)


class MockGatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: GatewayState) -> None:
        self.state = state
        self.pending_timers: list[threading.Timer] = []
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"

    # --- payments -----------------------------------------------------------------------------

    def create(self, data: dict[str, Any]) -> MockTransaction:
        merchant = str(data.get("merchant", ""))
        amount = data.get("amount")
        order_id = data.get("order_id")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount must be a positive integer")
        if not isinstance(order_id, str) or not order_id.strip() or len(order_id) > 80:
            raise ValueError("order_id is required")
        callback_url = str(data.get("callback_url", ""))
        host = urlsplit(callback_url).hostname or ""
        if not callback_url.startswith(("http://", "https://")) or not host:
            raise ValueError("callback_url must be an http(s) URL")
        ensure_loopback(host)
        tx = MockTransaction(
            transaction_id=f"GD{secrets.token_hex(6).upper()}", merchant=merchant, order_id=order_id.strip(),
            amount=amount, description=str(data.get("description", ""))[:200],
            return_url=str(data.get("return_url", ""))[:500], callback_url=callback_url,
            created_at=_now_local().isoformat(),
        )
        with self.state.lock:
            self.state.transactions[tx.transaction_id] = tx
        return tx

    def pay(self, transaction_id: str, *, channel: str = "card", paid_at: str | None = None) -> MockTransaction:
        """Take the money and notify the merchant as the current fault mode says."""
        with self.state.lock:
            tx = self.state.transactions.get(transaction_id)
            if tx is None:
                raise KeyError(transaction_id)
            if tx.status != "pending":
                raise ValueError(f"transaction is {tx.status}")
            mode, late, delta = self.state.mode, self.state.late_seconds, self.state.wrong_amount_delta
            if mode == "wrong_amount":
                tx.amount += delta
            tx.status = PAID
            tx.channel = channel
            tx.paid_at = paid_at or _now_local().isoformat()
            paid = self._message(tx, status=PAID, seq=2)
            pending = self._message(tx, status="pending", seq=1)
        if mode == "drop":
            return tx
        if mode == "late":
            timer = threading.Timer(late, self.deliver, args=(tx, paid))
            timer.daemon = True
            self.pending_timers.append(timer)
            timer.start()
            return tx
        plan = {"twice": [paid, paid], "out_of_order": [paid, pending]}.get(mode, [paid])
        for message in plan:
            self.deliver(tx, message)
        return tx

    def cancel(self, transaction_id: str) -> MockTransaction:
        with self.state.lock:
            tx = self.state.transactions.get(transaction_id)
            if tx is None:
                raise KeyError(transaction_id)
            if tx.status != "pending":
                raise ValueError(f"transaction is {tx.status}")
            tx.status = "cancelled"
            message = self._message(tx, status="cancelled", seq=2)
        self.deliver(tx, message)
        return tx

    def transfer(self, data: dict[str, Any]) -> MockTransaction:
        """A VietQR transfer: the bank knows only the content and the amount."""
        tx = self.create({"merchant": data.get("merchant", "local"), "order_id": data.get("content"),
                          "amount": data.get("amount"), "description": data.get("content"),
                          "return_url": "", "callback_url": data.get("callback_url", "")})
        return self.pay(tx.transaction_id, channel="vietqr", paid_at=data.get("paid_at"))

    @staticmethod
    def _message(tx: MockTransaction, *, status: str, seq: int) -> dict[str, Any]:
        return {"merchant": tx.merchant, "transaction_id": tx.transaction_id, "order_id": tx.order_id,
                "amount": tx.amount, "currency": "VND", "status": status,
                "paid_at": tx.paid_at if status == PAID else None, "channel": tx.channel, "seq": seq}

    def deliver(self, tx: MockTransaction, message: dict[str, Any]) -> Delivery:
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        secret = self.state.merchants.get(tx.merchant, "")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        try:
            response = httpx.post(tx.callback_url, content=body, headers=headers, timeout=15.0)
            # A refusal keeps the start of the answer: a test that sees an unexpected status can say why.
            delivery = Delivery(tx.transaction_id, int(message["seq"]), str(message["status"]), response.status_code,
                                "" if response.is_success else response.text[:500])
        except httpx.HTTPError as exc:
            delivery = Delivery(tx.transaction_id, int(message["seq"]), str(message["status"]), None, str(exc))
        self.state.record(delivery)
        return delivery

    def transactions_on(self, day: date, merchant: str) -> list[dict[str, Any]]:
        with self.state.lock:
            rows = [tx for tx in self.state.transactions.values() if tx.merchant == merchant and tx.status == PAID]
        out = []
        for tx in rows:
            moment = datetime.fromisoformat(tx.paid_at or "")
            if moment.astimezone(LOCAL_TZ).date() == day:
                out.append(tx.public())
        return sorted(out, key=lambda r: (r["paid_at"], r["transaction_id"]))

    def close_timers(self) -> None:
        for timer in self.pending_timers:
            timer.cancel()


class _Handler(BaseHTTPRequestHandler):
    server: MockGatewayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return

    # --- plumbing ---------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, *, secret: str | None = None) -> None:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        extra = {SIGNATURE_HEADER: sign(secret, body)} if secret else None
        self._send(status, body, "application/json; charset=utf-8", extra)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _redirect(self, url: str) -> None:
        self._send(303, b"", "text/plain", {"Location": url})

    def _form_or_json(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("JSON object expected")
            return data
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}

    # --- routes -------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if parts == ["transactions"]:
            self._transactions(url.query)
        elif len(parts) == 2 and parts[0] == "pay":
            self._pay_page(parts[1])
        elif parts == ["api", "admin", "state"]:
            with self.server.state.lock:
                data = {"mode": self.server.state.mode,
                        "transactions": [asdict(t) for t in self.server.state.transactions.values()],
                        "deliveries": [asdict(d) for d in self.server.state.deliveries]}
            self._json(200, data)
        elif parts == ["health"]:
            self._json(200, {"status": "ok"})
        else:
            self._error(404, "not found")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        try:
            raw = self._body()
        except ValueError as exc:
            self._error(413, str(exc))
            return
        try:
            if parts == ["api", "payments"]:
                self._create(raw)
            elif len(parts) == 4 and parts[:2] == ["api", "payments"] and parts[3] == "pay":
                data = self._form_or_json(raw)
                tx = self.server.pay(parts[2], channel=str(data.get("channel") or "card"), paid_at=data.get("paid_at"))
                self._json(200, asdict(tx))
            elif parts == ["api", "transfers"]:
                tx = self.server.transfer(self._form_or_json(raw))
                self._json(200, asdict(tx))
            elif len(parts) == 3 and parts[0] == "pay" and parts[2] in ("confirm", "cancel"):
                self._pay_action(parts[1], parts[2])
            elif parts == ["api", "admin", "faults"]:
                data = self._form_or_json(raw)
                self.server.state.set_faults(mode=data.get("mode"), late_seconds=data.get("late_seconds"),
                                             wrong_amount_delta=data.get("wrong_amount_delta"))
                self._json(200, {"mode": self.server.state.mode})
            elif parts == ["api", "admin", "reset"]:
                self.server.state.reset()
                self._json(200, {"status": "reset"})
            else:
                self._error(404, "not found")
        except KeyError:
            self._error(404, "unknown transaction")
        except ValueError as exc:
            self._error(400, str(exc))

    def _create(self, raw: bytes) -> None:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._error(400, "JSON body expected")
            return
        merchant = str(data.get("merchant", "")) if isinstance(data, dict) else ""
        secret = self.server.state.merchants.get(merchant)
        if secret is None or not signature_matches(secret, raw, self.headers.get(SIGNATURE_HEADER)):
            self._error(401, "bad merchant or signature")
            return
        tx = self.server.create(data)
        self._json(201, {"transaction_id": tx.transaction_id, "status": tx.status,
                         "pay_url": f"{self.server.base_url}/pay/{tx.transaction_id}"})

    def _transactions(self, query: str) -> None:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        merchant = params.get("merchant", "")
        secret = self.server.state.merchants.get(merchant)
        try:
            day = date.fromisoformat(params.get("date", ""))
        except ValueError:
            self._error(400, "date=YYYY-MM-DD required")
            return
        signed = f"date={day.isoformat()}&merchant={merchant}".encode()
        if secret is None or not signature_matches(secret, signed, self.headers.get(SIGNATURE_HEADER)):
            self._error(401, "bad merchant or signature")
            return
        self._json(200, {"date": day.isoformat(), "merchant": merchant,
                         "transactions": self.server.transactions_on(day, merchant)}, secret=secret)

    def _pay_action(self, transaction_id: str, action: str) -> None:
        tx = self.server.pay(transaction_id) if action == "confirm" else self.server.cancel(transaction_id)
        if tx.return_url:
            sep = "&" if "?" in tx.return_url else "?"
            query = urlencode({"transaction_id": tx.transaction_id, "status": tx.status})
            self._redirect(f"{tx.return_url}{sep}{query}")
        else:
            self._pay_page(transaction_id)

    def _pay_page(self, transaction_id: str) -> None:
        with self.server.state.lock:
            tx = self.server.state.transactions.get(transaction_id)
        if tx is None:
            self._send(404, "Không tìm thấy giao dịch.".encode(), "text/plain; charset=utf-8")
            return
        amount = format_vnd(tx.amount)
        label = MERCHANT_LABELS.get(tx.merchant, tx.merchant)
        esc = html.escape
        if tx.status == "pending":
            actions = (
                f'<form method="post" action="/pay/{esc(tx.transaction_id)}/confirm">'
                '<button type="submit" class="pay">Thanh toán</button></form>'
                f'<form method="post" action="/pay/{esc(tx.transaction_id)}/cancel">'
                '<button type="submit" class="cancel">Hủy giao dịch</button></form>'
            )
        else:
            actions = f"<p>Trạng thái giao dịch: <strong>{esc(tx.status)}</strong></p>"
        page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(label)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}
.pay{{background:#1b7f3b;color:#fff;border:0;padding:.6rem 1.4rem;font-size:1rem;border-radius:4px}}
.cancel{{margin-top:.5rem;background:none;border:1px solid #999;padding:.4rem 1rem;border-radius:4px}}
dl{{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}}</style></head>
<body><h1>{esc(label)}</h1>
<p>Đây là cổng thanh toán giả lập dùng để thử nghiệm; không có tiền thật được chuyển.</p>
<dl><dt>Mã giao dịch</dt><dd>{esc(tx.transaction_id)}</dd>
<dt>Nội dung</dt><dd>{esc(tx.description or tx.order_id)}</dd>
<dt>Số tiền</dt><dd><strong id="amount">{esc(amount)}</strong></dd></dl>
{actions}
</body></html>"""
        self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")


class MockGateway:
    """Start/stop the mock in a background thread (tests) or in the foreground (the command)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, merchants: dict[str, str] | None = None,
                 mode: str = "none", late_seconds: float = 1.0, wrong_amount_delta: int = 1000) -> None:
        ensure_loopback(host)
        self.state = GatewayState(merchants or dict(DEMO_SECRETS))
        self.state.set_faults(mode=mode, late_seconds=late_seconds, wrong_amount_delta=wrong_amount_delta)
        self.server = MockGatewayServer((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.base_url

    def start(self) -> MockGateway:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-payment-gateway", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.server.close_timers()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def set_faults(self, **faults: Any) -> None:
        self.state.set_faults(**faults)

    def pay(self, transaction_id: str, **kwargs: Any) -> MockTransaction:
        return self.server.pay(transaction_id, **kwargs)

    def transaction(self, transaction_id: str) -> MockTransaction | None:
        with self.state.lock:
            return self.state.transactions.get(transaction_id)

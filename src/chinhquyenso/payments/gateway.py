"""Payment gateways behind one interface, and the HTTP client for gateways that speak our JSON protocol.

A gateway (cổng thanh toán) does three things for us, whatever its vendor:

- ``create_payment(bill, ...)`` — start a payment; the citizen is redirected to its page;
- ``verify_callback(headers, body)`` — check a notification it POSTs to us (HMAC-SHA256 of the raw
  body with the shared secret, hex, header ``X-Signature``; compared in constant time) and parse it;
- ``list_transactions(day)`` — its successful transactions of one day, for reconciliation (đối soát).

:class:`HttpGateway` speaks the protocol of ``mock_gateway.py``. A province whose gateway speaks
another dialect writes one more class with the same three methods and adds it to :func:`get_gateway`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from django.utils.dateparse import parse_datetime

from chinhquyenso.core.errors import DomainError, NotFound, ValidationFailed
from chinhquyenso.payments.conf import GatewayConfig, gateway_configs

if TYPE_CHECKING:
    from chinhquyenso.payments.models import Bill

SIGNATURE_HEADER = "X-Signature"
PAID = "paid"
TIMEOUT_SECONDS = 10.0


class SignatureInvalid(DomainError):
    code = "signature_invalid"
    status = 401


class GatewayUnavailable(DomainError):
    code = "gateway_unavailable"
    status = 503


@dataclass(frozen=True)
class CheckoutStart:
    transaction_id: str
    redirect_url: str


@dataclass(frozen=True)
class Notification:
    """What a verified callback says. ``status`` is ``paid`` for money received; anything else
    (``pending``, ``failed``, ``cancelled``) changes nothing on our side."""

    gateway: str
    transaction_id: str
    bill_reference: str
    amount: int
    status: str
    paid_at: datetime | None
    channel: str = ""
    seq: int = 0


@dataclass(frozen=True)
class GatewayTransaction:
    transaction_id: str
    bill_reference: str
    amount: int
    status: str
    paid_at: datetime | None
    channel: str = ""


class PaymentGateway(Protocol):
    name: str
    label: str
    paid_online: int

    def create_payment(self, bill: Bill, *, return_url: str, callback_url: str) -> CheckoutStart: ...

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Notification: ...

    def list_transactions(self, day: date) -> list[GatewayTransaction]: ...


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, given: str | None) -> bool:
    """Constant-time: a forger learns nothing from how long the refusal took."""
    if not given:
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), given.strip().lower().encode("ascii", "replace"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _malformed(why: str) -> ValidationFailed:
    return ValidationFailed(f"Thông báo thanh toán không hợp lệ: {why}.", code="notification_malformed")


def _int_amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _malformed("số tiền phải là số nguyên đồng")
    return value


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = parse_datetime(str(value))
    if moment is None or moment.tzinfo is None:
        raise _malformed("thời điểm thanh toán phải theo ISO 8601, có múi giờ")
    return moment


def _text(data: Mapping[str, Any], key: str, *, required: bool = True, max_length: int = 80) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise _malformed(f"trường {key}")
    return value.strip()


class HttpGateway:
    """A gateway reached over HTTP with HMAC-signed JSON (the mock gateway's protocol)."""

    def __init__(self, config: GatewayConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.name = config.name
        self.label = config.label
        self.paid_online = config.paid_online
        self._client = client

    def _http(self) -> httpx.Client:
        return self._client or httpx.Client(timeout=TIMEOUT_SECONDS)

    def create_payment(self, bill: Bill, *, return_url: str, callback_url: str) -> CheckoutStart:
        body = json.dumps({
            "merchant": self.name, "order_id": bill.reference, "amount": int(bill.total),
            "description": bill.reference, "return_url": return_url, "callback_url": callback_url,
        }, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.config.secret, body)}
        try:
            client = self._http()
            try:
                response = client.post(f"{self.config.base_url}/api/payments", content=body, headers=headers)
            finally:
                if self._client is None:
                    client.close()
        except httpx.HTTPError as exc:
            raise GatewayUnavailable("Cổng thanh toán đang không phản hồi, vui lòng thử lại sau.") from exc
        if response.status_code != 201:
            raise GatewayUnavailable(f"Cổng thanh toán từ chối khởi tạo giao dịch (HTTP {response.status_code}).")
        try:
            data = response.json()
            return CheckoutStart(transaction_id=str(data["transaction_id"]), redirect_url=str(data["pay_url"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayUnavailable("Cổng thanh toán trả lời không đúng định dạng.") from exc

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> Notification:
        if not signature_matches(self.config.secret, body, _header(headers, SIGNATURE_HEADER)):
            raise SignatureInvalid("Chữ ký của thông báo thanh toán không hợp lệ.")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _malformed("không phải JSON") from None
        if not isinstance(data, dict):
            raise _malformed("không phải đối tượng JSON")
        if data.get("merchant", self.name) != self.name:
            raise _malformed("sai mã đơn vị chấp nhận thanh toán")
        if str(data.get("currency", "VND")) != "VND":
            raise _malformed("đơn vị tiền tệ phải là VND")
        seq = data.get("seq", 0)
        return Notification(
            gateway=self.name, transaction_id=_text(data, "transaction_id"), bill_reference=_text(data, "order_id"),
            amount=_int_amount(data.get("amount")), status=_text(data, "status", max_length=20).lower(),
            paid_at=_when(data.get("paid_at")), channel=_text(data, "channel", required=False, max_length=20),
            seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
        )

    def list_transactions(self, day: date) -> list[GatewayTransaction]:
        params = {"date": day.isoformat(), "merchant": self.name}
        query = f"date={params['date']}&merchant={params['merchant']}".encode()
        try:
            client = self._http()
            try:
                response = client.get(f"{self.config.base_url}/transactions", params=params,
                                      headers={SIGNATURE_HEADER: sign(self.config.secret, query)})
            finally:
                if self._client is None:
                    client.close()
        except httpx.HTTPError as exc:
            raise GatewayUnavailable("Không lấy được danh sách giao dịch từ cổng thanh toán.") from exc
        if response.status_code != 200:
            raise GatewayUnavailable(f"Cổng thanh toán trả lỗi khi đối soát (HTTP {response.status_code}).")
        if not signature_matches(self.config.secret, response.content, response.headers.get(SIGNATURE_HEADER)):
            raise SignatureInvalid("Chữ ký của danh sách giao dịch không hợp lệ.")
        try:
            rows = response.json()["transactions"]
            return [
                GatewayTransaction(
                    transaction_id=_text(r, "transaction_id"), bill_reference=_text(r, "order_id"),
                    amount=_int_amount(r.get("amount")), status=_text(r, "status", max_length=20).lower(),
                    paid_at=_when(r.get("paid_at")), channel=_text(r, "channel", required=False, max_length=20),
                )
                for r in rows
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GatewayUnavailable("Danh sách giao dịch của cổng thanh toán không đúng định dạng.") from exc


def gateway_names() -> list[str]:
    return [name for name, config in gateway_configs().items() if config.enabled]


def get_gateway(name: str) -> PaymentGateway:
    """The configured gateway called ``name`` (``local`` or ``national``); NotFound otherwise."""
    config = gateway_configs().get(name)
    if config is None or not config.enabled:
        raise NotFound("Không có cổng thanh toán này.", code="gateway_unknown")
    return HttpGateway(config)

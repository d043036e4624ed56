"""Delivery channels for citizen notifications: email (Django's email API) and SMS (pluggable sender).

Both are *senders* for ``integration.services.outbox_drain_topic``: they put one outbox message on
the wire, do no database work, and report the outcome as a ``SendResult`` instead of raising, so
the outbox machinery decides about retries, dead letters and the circuit breaker.

SMS goes through an :class:`SmsSender`. The default is :class:`HttpSmsSender`, which POSTs JSON to
``CHINHQUYENSO_SMS_URL`` (default: our mock gateway on ``http://127.0.0.1:8766``). A province plugs in
its carrier by implementing the protocol and calling :func:`set_sms_sender` in an AppConfig.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
import time
from email.utils import make_msgid
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.mail import EmailMessage

from chinhquyenso.integration.models import OutboxMessage
from chinhquyenso.integration.national_portal import SendResult

log = logging.getLogger("chinhquyenso.notifications")

EMAIL_TIMEOUT_SECONDS = 30.0
DEFAULT_SMS_URL = "http://127.0.0.1:8766"
SMS_PATH = "/api/sms"


def mask_phone(phone: str) -> str:
    """Only the last 3 digits, for logs."""
    return "*" * max(0, len(phone) - 3) + phone[-3:]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _result(*, ok: bool, duration_ms: int, kind: str = "", message: str = "", http_status: int | None = None,
            excerpt: str = "", retry_after: float | None = None) -> SendResult:
    return SendResult(ok=ok, http_status=http_status, error_kind=kind, message=message, duration_ms=duration_ms,
                      response_excerpt=excerpt, retry_after_seconds=retry_after)


# --- Email ------------------------------------------------------------------------------------


def send_email(message: OutboxMessage) -> SendResult:
    """Send one ``notify.email`` message. Its Message-ID is derived from the idempotency key, so a
    mail system that sees the same message twice (at-least-once delivery) can drop the copy."""
    payload = message.payload
    started = time.monotonic()
    email = EmailMessage(
        subject=payload["subject"], body=payload["body"], from_email=settings.DEFAULT_FROM_EMAIL,
        to=[payload["to"]],
        headers={"Message-ID": make_msgid(idstring=message.idempotency_key.replace(":", "."), domain="chinhquyenso"),
                 "X-Idempotency-Key": message.idempotency_key},
    )
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        return _result(ok=False, kind="rejected", message=f"recipient refused: {exc.__class__.__name__}",
                       duration_ms=_elapsed_ms(started))
    except (smtplib.SMTPException, OSError) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError) else "connection"
        return _result(ok=False, kind=kind, message=f"{exc.__class__.__name__}: {exc}"[:500],
                       duration_ms=_elapsed_ms(started))
    return _result(ok=True, duration_ms=_elapsed_ms(started))


# --- SMS --------------------------------------------------------------------------------------


class SmsSender(Protocol):
    """What an SMS gateway adapter provides. ``send`` must not raise for a delivery failure."""

    timeout: float

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult: ...


class HttpSmsSender:
    """HTTP JSON gateway: ``POST {base}/api/sms`` with ``{"to", "text"}`` and an ``Idempotency-Key``
    header; 2xx ``{"ok": true}`` is success. Thread-safe (one httpx client shared by sending threads)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def close(self) -> None:
        self._client.close()

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        started = time.monotonic()
        try:
            response = self._client.post(f"{self.base_url}{SMS_PATH}", json={"to": to, "text": text},
                                         headers={"Idempotency-Key": idempotency_key})
        except httpx.TimeoutException as exc:
            return _result(ok=False, kind="timeout", message=f"timeout: {exc.__class__.__name__}",
                           duration_ms=_elapsed_ms(started))
        except httpx.HTTPError as exc:
            return _result(ok=False, kind="connection", message=exc.__class__.__name__,
                           duration_ms=_elapsed_ms(started))
        return _classify(response, _elapsed_ms(started))


def _classify(response: httpx.Response, duration_ms: int) -> SendResult:
    status = response.status_code
    common: dict[str, Any] = {"http_status": status, "duration_ms": duration_ms, "excerpt": response.text[:500]}
    if status == 408:
        return _result(ok=False, kind="timeout", message="HTTP 408", **common)
    if status == 429:
        retry_after = response.headers.get("Retry-After", "")
        return _result(ok=False, kind="http_429", message="HTTP 429", **common,
                       retry_after=float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None)
    if status in (401, 403):
        return _result(ok=False, kind="auth", message=f"HTTP {status}", **common)
    if status >= 500:
        return _result(ok=False, kind="http_5xx", message=f"HTTP {status}", **common)
    if status >= 400:
        return _result(ok=False, kind="rejected", message=f"HTTP {status}", **common)
    try:
        body: Any = response.json()
    except ValueError:
        return _result(ok=False, kind="garbled", message="not JSON", **common)
    if not isinstance(body, dict) or body.get("ok") is not True:
        return _result(ok=False, kind="garbled", message="unexpected answer", **common)
    return _result(ok=True, **common)


_sender: SmsSender | None = None
_sender_lock = threading.Lock()


def sms_sender_from_env() -> SmsSender:
    """``CHINHQUYENSO_SMS_URL`` (default the mock on loopback), ``CHINHQUYENSO_SMS_TOKEN``,
    ``CHINHQUYENSO_SMS_TIMEOUT_SECONDS`` (default 10)."""
    url = os.environ.get("CHINHQUYENSO_SMS_URL", "").strip() or DEFAULT_SMS_URL
    timeout = float(os.environ.get("CHINHQUYENSO_SMS_TIMEOUT_SECONDS", "").strip() or 10.0)
    return HttpSmsSender(url, timeout=timeout, token=os.environ.get("CHINHQUYENSO_SMS_TOKEN", ""))


def get_sms_sender() -> SmsSender:
    """The process's sender, created from the environment on first use."""
    global _sender
    with _sender_lock:
        if _sender is None:
            _sender = sms_sender_from_env()
        return _sender


def set_sms_sender(sender: SmsSender | None) -> SmsSender | None:
    """Plug in another gateway (or ``None`` to go back to the environment's); returns the previous one."""
    global _sender
    with _sender_lock:
        previous, _sender = _sender, sender
        return previous


def sms_timeout() -> float:
    return float(os.environ.get("CHINHQUYENSO_SMS_TIMEOUT_SECONDS", "").strip() or 10.0)


def send_sms(message: OutboxMessage) -> SendResult:
    """Send one ``notify.sms`` message with the current :class:`SmsSender`."""
    payload = message.payload
    result = get_sms_sender().send(to=payload["to"], text=payload["body"], idempotency_key=message.idempotency_key)
    if not result.ok:
        log.info("sms to %s failed: %s", mask_phone(payload["to"]), result.error_kind)
    return result

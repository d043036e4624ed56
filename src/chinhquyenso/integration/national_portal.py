"""Adapter for the National Public Service Portal (Cổng DVCQG) dossier sync — ONE module.

Everything that depends on the portal's wire format lives here: the payload shape
(``HoSoDongBoDVC``, reference vn-methodology §4.3–§4.4), the date format, the HTTP client
(OAuth2 client credentials, ``Idempotency-Key``), how responses are read and how failures are
classified. A province that syncs through its own LGSP points ``CHINHQUYENSO_NATIONAL_PORTAL_URL``
at it and, if its shape differs, edits only this file.

Configuration (environment, read here on purpose rather than in settings.py):

- ``CHINHQUYENSO_NATIONAL_PORTAL_URL`` (default ``http://127.0.0.1:8765``, our mock portal)
- ``CHINHQUYENSO_NATIONAL_PORTAL_CLIENT_ID`` / ``_CLIENT_SECRET`` (default: the mock's dev pair)
- ``CHINHQUYENSO_NATIONAL_PORTAL_TIMEOUT_SECONDS`` (default 10)
- ``CHINHQUYENSO_PUBLIC_URL``: base of the file links put in ``DuongDanTaiTepTin`` (default
  ``http://127.0.0.1:8000``)
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from chinhquyenso.core.text import fold

PORTAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: Many Vietnamese integrations (LGSP, DVCQG sync clients) exchange local time as ``yyyyMMddHHmmss``.
PORTAL_DATETIME_FORMAT = "%Y%m%d%H%M%S"
DEFAULT_URL = "http://127.0.0.1:8765"
DEFAULT_CLIENT_ID = "chinhquyenso-dev"
DEFAULT_CLIENT_SECRET = "chinhquyenso-dev-secret"  # noqa: S105 - the mock's development pair, not a secret
SYNC_PATH = "/api/dossiers/sync"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path
DOSSIER_PATH = "/api/dossiers/{code}"

#: ``DSKetNoiCSDL[].MaCSDL`` for the national population database (CSDLQG về dân cư). The real code
#: list is not public; change it here when the LGSP documents it.
POPULATION_DB_CODE = "CSDLQGDC"

#: ``HinhThucThu``: 1 collected at receipt, 2 at supplement, 4 at result (reference §4.3). A financial
#: obligation raised during processing is paid before the result is handed over: 4.
FEE_STAGE_CODES = {"at_receipt": 1, "at_supplement": 2, "at_result": 4, "obligation": 4}

EXCERPT_CHARS = 500


def env_config() -> dict[str, Any]:
    return {
        "base_url": os.environ.get("CHINHQUYENSO_NATIONAL_PORTAL_URL", DEFAULT_URL).rstrip("/"),
        "client_id": os.environ.get("CHINHQUYENSO_NATIONAL_PORTAL_CLIENT_ID", DEFAULT_CLIENT_ID),
        "client_secret": os.environ.get("CHINHQUYENSO_NATIONAL_PORTAL_CLIENT_SECRET", DEFAULT_CLIENT_SECRET),
        "timeout": float(os.environ.get("CHINHQUYENSO_NATIONAL_PORTAL_TIMEOUT_SECONDS", "10")),
    }


# --- Payload -----------------------------------------------------------------------------------


def format_portal_datetime(value: datetime | None) -> str | None:
    """The portal's one date format: local (Asia/Ho_Chi_Minh) ``yyyyMMddHHmmss``; ``None`` stays null."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: the portal needs an aware moment")
    return value.astimezone(PORTAL_TZ).strftime(PORTAL_DATETIME_FORMAT)


def parse_portal_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value, PORTAL_DATETIME_FORMAT).replace(tzinfo=PORTAL_TZ)


def _flag(value: Any) -> int:
    return 1 if value else 0


def _money(value: Any) -> int | float:
    """``Gia`` in đồng: an integer when whole (fees are whole đồng)."""
    if value is None:
        return 0
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def file_url(stored_file: Any) -> str:
    """A link the portal (or a citizen) can fetch the file from; empty when there is no file."""
    if stored_file is None:
        return ""
    base = os.environ.get("CHINHQUYENSO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/tep/{stored_file.sha256}"


def _code_or_empty(obj: Any, attr: str = "code") -> str:
    return str(getattr(obj, attr, "") or "") if obj is not None else ""


def _children(dossier: Any, name: str, *related: str) -> list[Any]:
    """The dossier's components / fees / results in id order. Inside a receipt the dossier service
    hands over the rows it has just written (``dossiers.services.dossier_children``): no read-back."""
    from chinhquyenso.dossiers.services import dossier_children

    return dossier_children(dossier, name, *related)


def _components(dossier: Any) -> list[dict[str, Any]]:
    rows = []
    for comp in _children(dossier, "components", "file", "procedure_component"):
        stored = getattr(comp, "file", None)
        rows.append(
            {
                "TepDinhKemId": stored.sha256 if stored is not None else "",
                "TenTepDinhKem": comp.name,
                "IsDeleted": False,
                "MaThanhPhanHoSo": _code_or_empty(getattr(comp, "procedure_component", None)),
                "DuongDanTaiTepTin": file_url(stored),
                "DuocSoHoa": _flag(comp.digitized),
                "DuocTaiSuDung": _flag(comp.reused),
                "DuocLayTuKhoDMQG": _flag(comp.from_national_store),
            }
        )
    return rows


def _fees(dossier: Any) -> list[dict[str, Any]]:
    rows = []
    for fee in _children(dossier, "fees"):
        rows.append(
            {
                "TenPhiLePhi": fee.name,
                "MaPhiLePhi": fee.code,
                "HinhThucThu": FEE_STAGE_CODES.get(str(fee.stage), 1),
                "Gia": _money(fee.amount),
                "LoaiPhiLePhi": _fee_kind(fee),
            }
        )
    return rows


def _fee_kind(fee: Any) -> int:
    """``LoaiPhiLePhi``: 1 lệ phí, 2 phí — read from the fee's name ("Phí thẩm định…" vs "Lệ phí…"),
    since the catalog does not store the kind. The code values are our reading of integration docs."""
    name = fold(fee.name)
    return 2 if name.startswith("phi") else 1


def _results(dossier: Any) -> list[dict[str, Any]]:
    rows = []
    for result in _children(dossier, "results", "file"):
        rows.append(
            {
                "TenGiayTo": result.name,
                "MaGiayToKetQua": result.code,
                "DuongDanTepTinKetQua": file_url(getattr(result, "file", None)),
            }
        )
    return rows


@functools.cache
def _event_labels() -> dict[str, str]:
    """Event kind → the Vietnamese action label of the dossier workflow ("received" → "Tiếp nhận hồ sơ")."""
    try:
        from chinhquyenso.dossiers.workflow import TRANSITIONS
    except ImportError:  # pragma: no cover - the adapter works without the workflow table
        return {}
    return {t.event_kind: t.label for t in TRANSITIONS.values()}


def _process_entry(dossier: Any, event: Any) -> dict[str, Any]:
    """``tienTrinh``: the process-log line for this event (who did what, when, to which status)."""
    payload = getattr(event, "payload", None) or {}
    note = payload.get("note") or payload.get("reason") or payload.get("comment") or ""
    label = _event_labels().get(str(event.kind), str(event.kind))
    content = label + (f": {note}" if note and note != event.kind else "")
    return {
        "MaHoSo": dossier.code,
        "NguoiXuLy": event.actor_label or "",
        "ChucDanh": str(payload.get("actor_title", "") or ""),
        "ThoiDiemXuLy": format_portal_datetime(event.occurred_at),
        "PhongBanXuLy": str(getattr(event.step, "name", "") or "") if event.step_id else "",
        "NoiDungXuLy": content[:1000],
        "TrangThai": event.to_status if event.to_status is not None else dossier.status,
        "NgayBatDau": format_portal_datetime(event.occurred_at),
        "NgayKetThucTheoQuyDinh": format_portal_datetime(dossier.due_at),
    }


def build_sync_payload(dossier: Any, event: Any) -> dict[str, Any]:
    """``HoSoDongBoDVC``: the dossier's whole state at this moment, plus this event's process entry.

    A full snapshot (not a diff), so any one delivered message brings the portal up to date and
    a dead letter is healed by the next message or by reconciliation.
    """
    procedure = dossier.procedure
    field = getattr(procedure, "field", None)
    agency = dossier.agency
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaLinhVuc": _code_or_empty(field),
        "TenLinhVuc": _code_or_empty(field, "name"),
        "KenhThucHien": int(dossier.channel) if dossier.channel is not None else None,
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": int(dossier.applicant_type or 0),
        "SoGiayToChuHoSo": dossier.applicant_id_number or "",
        "SoDienThoai": dossier.applicant_phone or "",
        "Email": dossier.applicant_email or "",
        "TrichYeuHoSo": dossier.summary or "",
        "NgayNopHoSo": format_portal_datetime(dossier.submitted_at),
        "NgayTiepNhan": format_portal_datetime(dossier.received_at),
        "NgayHenTra": format_portal_datetime(dossier.due_at),
        "TrangThaiHoSo": int(dossier.status),
        "NgayKetThucXuLy": format_portal_datetime(dossier.finished_at),
        "NgayTra": format_portal_datetime(dossier.returned_at),
        "NgayTuChoi": format_portal_datetime(dossier.refused_at),
        "DonViXuLy": agency.portal_code if agency is not None else "",
        "NoiNopHoSo": _code_or_empty(getattr(dossier, "receiving_agency", None), "portal_code"),
        "HoSoCoThanhPhanSoHoa": _flag(dossier.has_digitized),
        "TaiKhoanDuocXacThucVoiVNeID": _flag(dossier.vneid_verified),
        "DuocThanhToanTrucTuyen": int(dossier.paid_online or 0),
        "DSKetNoiCSDL": [{"MaCSDL": POPULATION_DB_CODE}] if dossier.used_population_data else [],
        "TaiLieuNop": _components(dossier),
        "DanhSachLePhi": _fees(dossier),
        "DanhSachGiayToKetQua": _results(dossier),
        "tienTrinh": _process_entry(dossier, event) if event is not None else None,
    }


# --- Client ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    """What one HTTP delivery did. ``error_kind`` is one of models.ErrorKind's values, or ''."""

    ok: bool
    http_status: int | None
    error_kind: str
    message: str
    duration_ms: int
    response_excerpt: str
    retry_after_seconds: float | None = None
    response_body: str = ""  # the whole reply, for the signed message log

    @property
    def retryable(self) -> bool:
        return not self.ok and self.error_kind != "rejected"

    @property
    def endpoint_failure(self) -> bool:
        """Counts toward the circuit breaker: the endpoint is unwell, not the message wrong."""
        return not self.ok and self.error_kind != "rejected"


@dataclass(frozen=True)
class RemoteDossier:
    """The portal's view of one dossier, as reconciliation needs it."""

    code: str
    status: int | None
    seq: int | None
    data: dict[str, Any]


class PortalUnavailable(Exception):
    """The portal could not answer a read (reconciliation stops rather than guess)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def classify_response(response: httpx.Response) -> tuple[bool, str, str]:
    """(ok, error_kind, message) from a response that arrived. The body is ``{error_code, message}``."""
    status = response.status_code
    if status == 429:
        return False, "http_429", "rate limited"
    if status >= 500:
        return False, "http_5xx", f"HTTP {status}"
    if status == 408:
        return False, "timeout", "HTTP 408"
    if status in (401, 403):
        return False, "auth", f"HTTP {status}"
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return False, "garbled", f"HTTP {status}: body is not JSON"
    if not isinstance(body, dict) or "error_code" not in body:
        return False, "garbled", f"HTTP {status}: no error_code in body"
    message = str(body.get("message", ""))[:EXCERPT_CHARS]
    if status >= 400:
        return False, "rejected", f"HTTP {status}: {message}"
    if str(body.get("error_code")) not in {"0", "00", ""}:
        return False, "rejected", f"error_code {body.get('error_code')}: {message}"
    return True, "", message


class NationalPortalClient:
    """HTTP client for the portal (or an LGSP in front of it). Thread-safe: one instance is shared
    by a worker's sending threads; the OAuth2 token is cached until shortly before it expires."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float | None = None,
    ) -> None:
        cfg = env_config()
        self.base_url = (base_url or cfg["base_url"]).rstrip("/")
        self.client_id = client_id if client_id is not None else cfg["client_id"]
        self.client_secret = client_secret if client_secret is not None else cfg["client_secret"]
        self.timeout = float(timeout if timeout is not None else cfg["timeout"])
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            headers={"User-Agent": "chinhquyenso-national-portal-sync/1"},
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NationalPortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # token --------------------------------------------------------------------------------
    def _fetch_token(self) -> str:
        response = self._http.post(
            TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        if response.status_code != 200:
            raise _TokenError(response)
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise _TokenError(response) from exc
        # Refresh a little early so a token never expires mid-request.
        self._token_expires = time.monotonic() + max(1.0, expires_in - min(30.0, expires_in * 0.1))
        self._token = token
        return token

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or self._token is None or time.monotonic() >= self._token_expires:
                return self._fetch_token()
            return self._token

    def invalidate_token(self) -> None:
        with self._lock:
            self._token = None

    # sync -----------------------------------------------------------------------------------
    def send_sync(self, *, payload: dict[str, Any], idempotency_key: str, seq: int) -> SendResult:
        """POST one dossier snapshot. Never raises for network trouble: the failure is classified."""
        started = time.monotonic()
        response: httpx.Response | None = None
        try:
            for attempt in range(2):  # one silent retry when the token was refused (expired/rotated)
                token = self.token(refresh=attempt > 0)
                response = self._http.post(
                    SYNC_PATH,
                    content=json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8"),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json; charset=utf-8",
                        "Idempotency-Key": idempotency_key,
                        "X-Event-Seq": str(seq),
                    },
                )
                if response.status_code != 401:
                    break
        except _TokenError as exc:
            return self._failure_from_response(exc.response, started, prefix="token: ")
        except httpx.TimeoutException as exc:
            return SendResult(False, None, "timeout", f"timeout: {type(exc).__name__}", _ms(started), "")
        except httpx.TransportError as exc:
            return SendResult(False, None, "connection", f"{type(exc).__name__}: {exc}"[:300], _ms(started), "")
        assert response is not None
        ok, kind, message = classify_response(response)
        return SendResult(
            ok=ok,
            http_status=response.status_code,
            error_kind=kind,
            message=message,
            duration_ms=_ms(started),
            response_excerpt=_excerpt(response.text),
            retry_after_seconds=_retry_after(response) if kind == "http_429" else None,
            response_body=response.text,
        )

    def _failure_from_response(self, response: httpx.Response, started: float, *, prefix: str) -> SendResult:
        ok, kind, message = classify_response(response)
        if ok or kind == "rejected":  # a token endpoint that says "no" is an auth problem, not the message's
            kind = "auth"
        return SendResult(
            False, response.status_code, kind, prefix + message, _ms(started), _excerpt(response.text),
            _retry_after(response) if kind == "http_429" else None,
        )

    # reads --------------------------------------------------------------------------------
    def get_dossier(self, code: str) -> RemoteDossier | None:
        """The portal's stored view of ``code``; ``None`` when it does not know the dossier."""
        try:
            response = self._http.get(
                DOSSIER_PATH.format(code=_quote(code)),
                headers={"Authorization": f"Bearer {self.token()}"},
            )
            if response.status_code == 401:
                response = self._http.get(
                    DOSSIER_PATH.format(code=_quote(code)),
                    headers={"Authorization": f"Bearer {self.token(refresh=True)}"},
                )
        except _TokenError as exc:
            raise PortalUnavailable("auth", f"token: HTTP {exc.response.status_code}") from exc
        except httpx.TimeoutException as exc:
            raise PortalUnavailable("timeout", type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise PortalUnavailable("connection", type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        ok, kind, message = classify_response(response)
        if not ok:
            raise PortalUnavailable(kind, message)
        body = response.json()
        data = body.get("data") or {}
        meta = body.get("meta") or {}
        status = data.get("TrangThaiHoSo")
        seq = meta.get("seq")
        return RemoteDossier(
            code=code,
            status=int(status) if status is not None else None,
            seq=int(seq) if seq is not None else None,
            data=data,
        )


def _quote(code: str) -> str:
    return quote(code, safe="")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class _TokenError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"token endpoint answered HTTP {response.status_code}")
        self.response = response

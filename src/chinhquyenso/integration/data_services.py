"""Data-service registry (NDXP/LGSP): which national databases the province is connected to, and every
transaction with them.

PAR criterion 7.1.4 gives points for connected data services that are *used*: the seed provinces lost
points because services were connected but carried no transactions. So every call goes through
:func:`data_service_call`, which records it, and :func:`data_services_unused` names the idle ones.

Calls are made over HTTP (httpx) **outside** any transaction; the call record is written afterwards in
its own short transaction. The request itself (URL, query) is never stored: it may carry a personal ID
number. Error texts are masked before they are kept.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, NotFound, ValidationFailed
from chinhquyenso.core.text import mask_id_numbers_in
from chinhquyenso.integration.models import DataService, DataServiceCall
from chinhquyenso.integration.national_portal import POPULATION_DB_CODE  # the code DSKetNoiCSDL carries

CITIZEN_DB_TOKEN_ENV = "CHINHQUYENSO_CITIZEN_DB_TOKEN"  # noqa: S105 - a variable name, not a secret
DEFAULT_CITIZEN_DB_TOKEN = "dev-citizen-db-token"  # noqa: S105 - the mock's development token
_CODE = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
_ID = re.compile(r"^(\d{12}|\d{9})$")


# --- Registry -----------------------------------------------------------------------------------


@transaction.atomic
def data_service_register(
    *,
    code: str,
    name: str,
    endpoint: str,
    actor: Any = None,
    provider: str = "",
    purpose: str = "",
    connected_at: datetime | None = None,
    active: bool = True,
) -> DataService:
    """Đăng ký (or update) a connected data service, by its code."""
    code, name, endpoint = code.strip(), name.strip(), endpoint.strip().rstrip("/")
    if not _CODE.match(code):
        raise ValidationFailed("Mã dịch vụ chỉ gồm chữ, số, dấu chấm, gạch (2–40 ký tự).", code="code_invalid")
    if not name:
        raise ValidationFailed("Vui lòng nhập tên dịch vụ.", code="name_required")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed("Địa chỉ dịch vụ phải là URL http(s).", code="endpoint_invalid")
    service, created = DataService.objects.select_for_update().get_or_create(
        code=code,
        defaults={"name": name, "endpoint": endpoint, "provider": provider.strip(), "purpose": purpose.strip(),
                  "connected_at": connected_at or timezone.now(), "active": active},
    )
    if not created:
        service.name, service.endpoint, service.provider = name, endpoint, provider.strip()
        service.purpose, service.active = purpose.strip(), active
        if connected_at is not None:
            service.connected_at = connected_at
        service.save()
    audit_record(action="integration.data_service_register", actor=actor, obj=service,
                 summary={"code": code, "endpoint": endpoint, "active": active, "created": created})
    return service


# --- Calls --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataServiceResult:
    """What one call got back. ``ok`` is a 2xx answer; ``http_status`` is None when there was no answer."""

    ok: bool
    http_status: int | None
    duration_ms: int
    data: Any
    error: str
    call: DataServiceCall


def _caller(actor: Any) -> tuple[Any, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor, mask_id_numbers_in(str(getattr(actor, "username", "")))[:200]
    return None, "system"


def data_service_call(
    *,
    code: str,
    path: str,
    actor: Any = None,
    caller_label: str = "",
    purpose: str = "",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json_body: Any = None,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> DataServiceResult:
    """Call ``path`` on the registered service ``code`` and record the transaction afterwards.

    Never raises for network trouble (the result says ``ok=False``); raises NotFound for an unknown
    service and Conflict for an inactive one. Do not call it inside a transaction: the HTTP call would
    hold it open.
    """
    service = DataService.objects.filter(code=code).first()
    if service is None:
        raise NotFound(f"Chưa đăng ký dịch vụ dữ liệu {code}.", code="data_service_unknown")
    if not service.active:
        raise Conflict(f"Dịch vụ dữ liệu {code} đang tạm ngừng.", code="data_service_inactive")
    url = service.endpoint.rstrip("/") + "/" + path.lstrip("/")
    started, occurred_at = time.monotonic(), timezone.now()
    status: int | None = None
    data: Any = None
    error = ""
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.request(method, url, headers=headers, params=params, json=json_body)
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.TimeoutException as exc:
        error = f"timeout: {type(exc).__name__}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if own:
            http.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    user, label = _caller(actor)
    call = DataServiceCall.objects.create(
        service=service, caller=user, caller_label=(caller_label or label)[:200], occurred_at=occurred_at,
        duration_ms=duration_ms, ok=status is not None and 200 <= status < 300, http_status=status,
        error=mask_id_numbers_in(error)[:300], purpose=(purpose or service.purpose)[:300],
    )
    return DataServiceResult(ok=call.ok, http_status=status, duration_ms=duration_ms, data=data, error=call.error,
                             call=call)


# --- Selectors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataServiceUsage:
    service: DataService
    calls: int
    ok_calls: int
    last_call_at: datetime | None

    @property
    def unused(self) -> bool:
        """"Không phát sinh giao dịch": no successful transaction in the window."""
        return self.service.active and self.ok_calls == 0


def data_service_usage(*, days: int = 30, now: datetime | None = None) -> list[DataServiceUsage]:
    """Every registered service with its calls in the last ``days`` days and its last call ever."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = DataService.objects.annotate(
        n_calls=Count("calls", filter=Q(calls__occurred_at__gte=since)),
        n_ok=Count("calls", filter=Q(calls__occurred_at__gte=since, calls__ok=True)),
        last_call=Max("calls__occurred_at"),
    ).order_by("code")
    return [DataServiceUsage(service=s, calls=s.n_calls, ok_calls=s.n_ok, last_call_at=s.last_call) for s in rows]


def data_services_unused(days: int = 30, *, now: datetime | None = None) -> list[DataService]:
    """Active services with no successful transaction in the last ``days`` days (PAR 7.1.4 loses points)."""
    return [u.service for u in data_service_usage(days=days, now=now) if u.unused]


# --- Population database (CSDL quốc gia về dân cư) ------------------------------------------------


def citizen_lookup_prefill(*, id_number: str, actor: Any, client: httpx.Client | None = None) -> dict[str, Any]:
    """Tra cứu công dân in the population database to prefill a dossier's applicant.

    Returns the applicant fields plus ``used_population_data=True``: pass it to
    ``dossier_receive(..., used_population_data=True)`` so the sync payload carries DSKetNoiCSDL.
    The ID number is never logged nor put in the audit summary.
    """
    number = (id_number or "").strip()
    if not _ID.match(number):
        raise ValidationFailed("Số định danh cá nhân phải gồm 12 chữ số (hoặc CMND 9 chữ số).", code="id_invalid")
    token = os.environ.get(CITIZEN_DB_TOKEN_ENV, "").strip() or DEFAULT_CITIZEN_DB_TOKEN
    result = data_service_call(code=POPULATION_DB_CODE, path=f"/api/citizens/{number}", actor=actor,
                               purpose="Điền sẵn thông tin chủ hồ sơ", headers={"Authorization": f"Bearer {token}"},
                               client=client)
    audit_record(action="integration.citizen_lookup", actor=actor, object_type="integration.dataservice",
                 object_id=POPULATION_DB_CODE, summary={"found": result.ok, "http_status": result.http_status})
    if result.http_status == 404:
        raise NotFound("Không tìm thấy công dân trong Cơ sở dữ liệu quốc gia về dân cư.", code="citizen_not_found")
    if not result.ok or not isinstance(result.data, dict):
        raise Conflict("Không kết nối được Cơ sở dữ liệu quốc gia về dân cư, vui lòng thử lại sau.",
                       code="data_service_unavailable")
    person = result.data
    return {
        "name": str(person.get("full_name", "")),
        "id_number": number,
        "date_of_birth": str(person.get("date_of_birth", "")),
        "address": str(person.get("address", "")),
        "used_population_data": True,
    }

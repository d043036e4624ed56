"""``Idempotency-Key`` for POST endpoints: a retried request gets the first answer, not a second action.

Usage in a ninja handler::

    @router.post("/dossiers", response={201: DossierOut})
    def receive(request, payload: ReceiveIn):
        return idempotent(request, request.headers.get("Idempotency-Key"),
                          lambda: (201, DossierOut.from_model(dossier_receive(...))))

* Same key, same method + path + body: the stored status and body are replayed and ``fn`` is
  not run again (header ``Idempotent-Replayed: true``).
* Same key, different request: 409 ``{"code": "idempotency_conflict"}``.
* No key: ``fn`` just runs.

The record is written in the same transaction as the action. A domain error rolls both back,
so errors are not remembered: the client can fix the request and retry with the same key.
Two concurrent requests with one key: the loser's whole transaction (its action included)
rolls back on the unique constraint and it replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from chinhquyenso.core.errors import Conflict, ValidationFailed
from chinhquyenso.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces, at most 200 characters

Outcome = tuple[int, Any]


def request_identity(request: HttpRequest) -> str:
    """Whose key space: an API token, else the signed-in user, else the client address."""
    token = getattr(request, "api_token", None)
    if token is not None and getattr(token, "pk", None) is not None:
        return f"token:{token.pk}"
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if candidate is not None and getattr(candidate, "is_authenticated", False) and candidate.pk is not None:
            return f"user:{candidate.pk}"
    return f"anon:{request.META.get('REMOTE_ADDR', '')}"[:80]


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\n")
    digest.update(request.get_full_path().encode("utf-8"))
    digest.update(b"\n")
    digest.update(request.body or b"")
    return digest.hexdigest()


def _to_json(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True)
    return json.loads(json.dumps(body, cls=NinjaJSONEncoder, ensure_ascii=False))


def _split(result: Any) -> Outcome:
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
        return result[0], result[1]
    return 200, result


def _response(status: int, body: Any, *, replayed: bool) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    if replayed:
        response[REPLAY_HEADER] = "true"
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> JsonResponse:
    if record.request_hash != fingerprint:
        raise Conflict(
            "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác. Hãy dùng khóa mới cho yêu cầu mới.",
            code="idempotency_conflict",
        )
    return _response(record.response_status, record.response_body, replayed=True)


def idempotent(request: HttpRequest, key: str | None, fn: Callable[[], Any]) -> JsonResponse:
    """Run ``fn`` (returning ``(status, body)`` or ``body``) at most once per caller and key."""
    if key is None or key == "":
        status, body = _split(fn())
        return _response(status, _to_json(body), replayed=False)
    if not _KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key không hợp lệ: tối đa 200 ký tự ASCII in được, không có khoảng trắng.",
            code="idempotency_key_invalid",
        )
    identity = request_identity(request)
    fingerprint = request_fingerprint(request)
    try:
        with transaction.atomic():
            existing = IdempotencyRecord.objects.select_for_update().filter(identity=identity, key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint)
            status, body = _split(fn())
            stored = _to_json(body)
            IdempotencyRecord.objects.create(
                identity=identity, key=key, method=(request.method or "")[:10], path=request.path[:500],
                request_hash=fingerprint, response_status=status, response_body=stored,
            )
    except IntegrityError:
        # Lost the race with a concurrent request carrying the same key: ours rolled back entirely.
        winner = IdempotencyRecord.objects.filter(identity=identity, key=key).first()
        if winner is None:
            raise
        return _replay(winner, fingerprint)
    return _response(status, stored, replayed=False)


def idempotency_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget answers older than ``older_than`` (a scheduled job may call this); returns rows deleted."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted

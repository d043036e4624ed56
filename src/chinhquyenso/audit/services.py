"""Writing to the audit log. Call :func:`audit_record` inside the service's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from chinhquyenso.audit.models import AuditChainHead, AuditEvent
from chinhquyenso.core.middleware import current_client_ip, current_request_id
from chinhquyenso.core.text import mask_id_numbers_in

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON: the bytes every hash chain here (audit, message log) is computed over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def compute_hash(*, prev_hash: str, seq: int, occurred_at: datetime, actor_id: int | None, actor_label: str,
                 action: str, object_type: str, object_id: str, summary: Any, request_id: str,
                 ip: str | None) -> str:
    body = canonical_json(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor": actor_label,
            "action": action,
            "type": object_type,
            "id": object_id,
            "summary": summary,
            "rid": request_id,
            "ip": ip,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _scrub(summary: Any) -> Any:
    """Round-trip through JSON (what the database will give back) with ID numbers masked."""
    return json.loads(mask_id_numbers_in(canonical_json(summary)))


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    summary: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the chain. ``actor`` is a user (or None for the system)."""
    AuditChainHead.objects.get_or_create(id=1)  # the migration makes it; a flushed test DB may not have it
    head = AuditChainHead.objects.select_for_update().get(id=1)
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
    actor_label = mask_id_numbers_in(str(getattr(actor, "username", ""))) if actor_id else "system"
    occurred_at = timezone.now()
    seq = head.last_seq + 1
    clean_summary = _scrub(summary or {})
    request_id = current_request_id() or ""
    ip = current_client_ip()
    digest = compute_hash(
        prev_hash=head.last_hash, seq=seq, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
        action=action, object_type=object_type, object_id=str(object_id), summary=clean_summary,
        request_id=request_id, ip=ip,
    )
    event = AuditEvent(
        seq=seq, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label, action=action,
        object_type=object_type, object_id=str(object_id), summary=clean_summary, request_id=request_id,
        ip=ip, prev_hash=head.last_hash, hash=digest,
    )
    event.save()
    AuditChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=digest)
    return event

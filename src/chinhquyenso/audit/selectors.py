"""Reading and verifying the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from chinhquyenso.audit.models import AuditChainHead, AuditEvent
from chinhquyenso.audit.services import GENESIS, compute_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows_checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def audit_chain_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first row whose content, link or position is wrong."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for row in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if row.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"row #{expected_seq} is missing (next is #{row.seq})")
        if row.prev_hash != expected_prev:
            return ChainReport(False, checked, row.seq, "link to the previous row is broken")
        digest = compute_hash(
            prev_hash=row.prev_hash, seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id,
            actor_label=row.actor_label, action=row.action, object_type=row.object_type,
            object_id=row.object_id, summary=row.summary, request_id=row.request_id, ip=row.ip,
        )
        if digest != row.hash:
            return ChainReport(False, checked, row.seq, "row content was changed")
        expected_prev, expected_seq, checked = row.hash, row.seq + 1, checked + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return ChainReport(False, checked, expected_seq, f"rows after #{expected_seq - 1} were removed")
    return ChainReport(True, checked)

"""Projector on dossier events: keep the citizen document store up to date.

Registered in :class:`chinhquyenso.citizens.apps.CitizensConfig.ready` as
``core.projectors.register("dossier", "citizens.document_store", document_store_project)``.
It runs inside the dossier service's transaction, so a failure here rolls the dossier change back.
"""

from __future__ import annotations

from typing import Any

#: Events after which a dossier may have new results or newly digitized components.
SYNC_EVENTS = frozenset({
    "received", "accepted", "supplement_received", "component_digitized", "finished", "result_returned",
})


def document_store_project(event: Any) -> None:
    """On finish/return (results) and on digitization (components) of a dossier that has a citizen
    owner, add the documents to that citizen's store (idempotent)."""
    if event.kind not in SYNC_EVENTS:
        return
    from chinhquyenso.citizens.services import document_store_sync
    from chinhquyenso.dossiers.models import Dossier

    dossier = Dossier.objects.filter(pk=event.dossier_id, citizen__isnull=False).first()
    if dossier is None:
        return
    document_store_sync(dossier=dossier, at=event.occurred_at)


def receipt_store_project(receipt: Any) -> None:
    """An electronic fee receipt (biên lai điện tử) issued for a citizen's dossier joins their store.
    Subscribed to the ``payment_receipt`` stream; idempotent per (owner, file)."""
    if receipt.owner_id is None:
        return
    from chinhquyenso.citizens.models import CitizenDocument, DocumentOrigin

    CitizenDocument.objects.get_or_create(
        owner_id=receipt.owner_id, file_id=receipt.file_id, origin=DocumentOrigin.RECEIPT,
        defaults={
            "name": f"Biên lai thu phí, lệ phí {receipt.series} số {receipt.number:07d}",
            "document_type": "bien_lai_thu_phi",
            "source_dossier_id": receipt.bill.dossier_id,
            "issued_at": receipt.issued_at,
        },
    )

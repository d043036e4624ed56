"""Reconciliation: find dossiers the portal lacks or holds stale, and repair them through the outbox."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.integration.models import OutboxMessage, OutboxStatus
from chinhquyenso.integration.national_portal import NationalPortalClient
from chinhquyenso.integration.services import national_portal_reconcile, outbox_cancel, outbox_drain

from .factories import make_dossier, record_event


def test_reconcile_finds_and_repairs_a_missing_dossier(world, portal, portal_client, policy) -> None:
    kept, lost = make_dossier(world), make_dossier(world)
    record_event(lost, "forwarded", to_status=4)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 3
    with portal.state.lock:
        del portal.state.dossiers[lost.code]  # the portal lost it (restore from an old backup, say)

    report = national_portal_reconcile(client=portal_client)
    assert report.checked == 2 and report.in_sync == 1
    assert report.missing == [lost.code] and report.requeued == 1 and report.stale == []
    snapshot = OutboxMessage.objects.get(reason="reconcile")
    assert snapshot.key == lost.code and snapshot.seq == 2 and snapshot.payload["TrangThaiHoSo"] == 4
    assert snapshot.idempotency_key.startswith(f"{lost.code}:2:r")
    assert AuditEvent.objects.filter(action="integration.reconcile").exists()

    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 1
    stored = portal.dossier(lost.code)
    assert stored is not None and stored.data["TrangThaiHoSo"] == 4 and stored.seq == 2
    again = national_portal_reconcile(client=portal_client)
    assert (again.in_sync, again.missing, again.stale, again.requeued) == (2, [], [], 0)
    assert portal.dossier(kept.code).applied == 1


def test_reconcile_repairs_stale_state_and_skips_dossiers_in_progress(
    world, portal, portal_client, policy, django_user_model
) -> None:
    admin = django_user_model.objects.create(username="admin", is_superuser=True)
    stale, busy = make_dossier(world), make_dossier(world)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 2
    record_event(stale, "forwarded", to_status=4)
    outbox_cancel(message=OutboxMessage.objects.get(key=stale.code, seq=2), actor=admin)  # never sent
    record_event(busy, "forwarded", to_status=4)  # pending: the outbox is on it

    report = national_portal_reconcile(client=portal_client)
    assert report.stale == [stale.code] and report.in_progress == 1 and report.requeued == 1
    make_all = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert make_all.delivered == 2
    assert portal.dossier(stale.code).data["TrangThaiHoSo"] == 4
    assert portal.stats()["out_of_order"] == 0


def test_reconcile_counts_dead_letters_and_can_dry_run(world, portal, portal_client) -> None:
    dossier = make_dossier(world)
    OutboxMessage.objects.update(status=OutboxStatus.DEAD)
    report = national_portal_reconcile(client=portal_client, requeue=False)
    assert report.dead_letters == 1 and report.missing == [dossier.code] and report.requeued == 0
    assert OutboxMessage.objects.count() == 1


def test_reconcile_stops_when_the_portal_is_down(world, policy) -> None:
    for _ in range(3):
        make_dossier(world)
    OutboxMessage.objects.update(status=OutboxStatus.DELIVERED)
    with NationalPortalClient(base_url="http://127.0.0.1:9", timeout=0.3) as nowhere:
        report = national_portal_reconcile(client=nowhere, max_consecutive_errors=2)
    assert report.errors == 2 and report.aborted.startswith("portal unavailable")
    assert report.requeued == 0


def test_reconcile_command_prints_a_summary(world, portal, monkeypatch) -> None:
    monkeypatch.setenv("CHINHQUYENSO_NATIONAL_PORTAL_URL", portal.url)
    dossier = make_dossier(world)
    OutboxMessage.objects.update(status=OutboxStatus.DELIVERED)  # we think it was sent; the portal has nothing
    out = StringIO()
    call_command("reconcile", stdout=out)
    text = out.getvalue()
    assert "missing: 1" in text and f"missing: {dossier.code}" in text and "re-enqueued: 1" in text
    assert OutboxMessage.objects.filter(reason="reconcile", status=OutboxStatus.PENDING).count() == 1

"""766 indicator 1.4: a dossier counts as synced once the national portal (our mock, on loopback)
has acknowledged it, and the roll-ups show it in the same transaction as the delivery."""

from __future__ import annotations

from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.indicators.models import Grain, IndicatorRollup
from chinhquyenso.indicators.rollups import rollups_verify
from chinhquyenso.integration.services import outbox_drain

from .factories import make_dossier


def synced_cells() -> tuple[int, int]:
    rows = IndicatorRollup.objects.filter(metric="sync", grain=Grain.MONTH)
    return sum(r.numerator for r in rows), sum(r.denominator for r in rows)


def test_delivery_marks_the_dossier_synced_and_updates_the_rollups(world, portal, portal_client, policy) -> None:
    dossiers = [make_dossier(world) for _ in range(2)]
    assert synced_cells() == (0, 2)
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert result.delivered == 2
    assert all(Dossier.objects.get(pk=d.pk).national_synced_at is not None for d in dossiers)
    assert synced_cells() == (2, 2)
    assert rollups_verify() == []


def test_a_failed_delivery_does_not_count_as_synced(world, portal, portal_client, policy) -> None:
    portal.set_faults(fail_rate=1.0)
    d = make_dossier(world)
    result = outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    assert result.delivered == 0
    assert Dossier.objects.get(pk=d.pk).national_synced_at is None
    assert synced_cells() == (0, 1)

"""Intake stays cheap: the number of SQL statements of one receipt (and one online submission) is pinned.

Counted with every projector on the ``dossier`` stream (payment bill, national-portal outbox, citizen
notifications, indicator roll-ups, citizen document store). A change that adds statements to this path
must raise these numbers on purpose (and say why in docs/benchmarks.md); the figures before the
optimisation were 53 and 25, counted without the roll-ups (which add 5 and 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chinhquyenso.core import projectors
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier, DossierEvent
from chinhquyenso.integration.models import TOPIC_NATIONAL_PORTAL, OutboxMessage
from chinhquyenso.integration.national_portal import build_sync_payload
from chinhquyenso.payments.models import Bill
from tests.dossiers.conftest import applicant, components_for, receive, vn
from tests.dossiers.factories import Province

MEASURED = ("payments.bills", "integration.national_portal", "notifications.citizen", "indicators.rollups",
            "citizens.document_store")
RECEIPT_MAX_QUERIES = 41  # 36 without the indicator roll-ups
ONLINE_SUBMISSION_MAX_QUERIES = 19  # 16 without the indicator roll-ups


@pytest.fixture
def measured_projectors() -> Iterator[None]:
    entries = projectors._projectors["dossier"]
    saved = list(entries)
    missing = set(MEASURED) - {name for name, _ in entries}
    assert not missing, f"projector(s) no longer registered: {missing}"
    entries[:] = [(name, fn) for name, fn in entries if name in MEASURED]
    try:
        yield
    finally:
        entries[:] = saved


def _count(action: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        result = action()
    return len(ctx.captured_queries), result


@pytest.mark.django_db
def test_one_receipt_costs_at_most_the_pinned_number_of_queries(world: Province, measured_projectors: None) -> None:
    receive(world)  # the day's code counter row and per-process caches exist after the first receipt
    n, d = _count(lambda: receive(world, at=vn(2026, 2, 12, 11)))
    assert n <= RECEIPT_MAX_QUERIES, f"{n} SQL statements for one receipt (pinned: {RECEIPT_MAX_QUERIES})"
    # ...and it still did everything: event, bill, outbox snapshot, e-mail + SMS rows.
    assert DossierEvent.objects.filter(dossier=d, seq=1, kind="received").exists()
    assert Bill.objects.filter(dossier=d, stage="at_receipt").count() == 1
    assert OutboxMessage.objects.filter(dossier=d).count() == 3


@pytest.mark.django_db
def test_one_online_submission_costs_at_most_the_pinned_number_of_queries(
    world: Province, measured_projectors: None
) -> None:
    def submit() -> Dossier:
        return services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                              applicant=applicant(), components=components_for(world),
                                              at=vn(2026, 2, 12, 10))

    submit()
    n, d = _count(submit)
    assert n <= ONLINE_SUBMISSION_MAX_QUERIES, f"{n} SQL statements for one submission"
    assert OutboxMessage.objects.filter(dossier=d, topic=TOPIC_NATIONAL_PORTAL).count() == 1


@pytest.mark.django_db
def test_the_receipt_snapshot_built_from_rows_in_memory_equals_one_read_back(world: Province) -> None:
    """The outbox projector reads the components and fees the service has just written from memory;
    the payload must be exactly what reading them back from the database gives."""
    tk, gcs, gttt = world.components
    d = receive(world, components=[
        services.ComponentInput(procedure_component=gcs, digitized=True),
        services.ComponentInput(procedure_component=tk, reused=True),
        services.ComponentInput(procedure_component=gttt, copy_type="copy", from_national_store=True),
        services.ComponentInput(name="Giấy tờ khác", count=2),
    ])
    message = OutboxMessage.objects.get(dossier=d, topic=TOPIC_NATIONAL_PORTAL)
    fresh = Dossier.objects.get(pk=d.pk)
    event = DossierEvent.objects.get(dossier=fresh, seq=1)
    expected = build_sync_payload(fresh, event)
    assert message.payload == expected
    assert [c["MaThanhPhanHoSo"] for c in message.payload["TaiLieuNop"]] == ["GCS", "TK", "GTTT", ""]
    assert message.payload["DanhSachLePhi"][0]["Gia"] == 8000
    assert message.payload["HoSoCoThanhPhanSoHoa"] == 1 and message.payload["DSKetNoiCSDL"]
    # The dossier returned to the caller reads its children from the database as usual.
    assert not hasattr(d, "_children_written_now")
    assert d.components.count() == 4

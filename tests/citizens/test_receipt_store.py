"""A fee receipt issued for a citizen's dossier lands in the citizen's document store (once)."""

from __future__ import annotations

import pytest

from chinhquyenso.citizens.models import CitizenDocument, DocumentOrigin
from chinhquyenso.payments import services
from chinhquyenso.payments.models import Bill, Receipt
from tests.dossiers.factories import Province
from tests.payments.conftest import online_dossier, receive, vn

pytestmark = pytest.mark.django_db


def test_receipt_of_an_online_dossier_joins_the_owners_store(world: Province) -> None:
    d = online_dossier(world)
    bill = Bill.objects.get(dossier=d)
    services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="0000077", at=vn(2026, 2, 12, 10, 30))
    receipt = Receipt.objects.get(bill=bill)
    doc = CitizenDocument.objects.get(origin=DocumentOrigin.RECEIPT)
    assert doc.owner == world.citizen and doc.file_id == receipt.file_id and doc.source_dossier_id == d.pk
    assert doc.name.startswith("Biên lai thu phí, lệ phí")


def test_counter_dossier_without_an_account_stores_nothing(world: Province) -> None:
    d = receive(world)
    bill = Bill.objects.get(dossier=d)
    services.bill_mark_paid_cash(bill=bill, actor=world.counter_a, receipt_no="0000078", at=vn(2026, 2, 12, 10, 30))
    assert not CitizenDocument.objects.filter(origin=DocumentOrigin.RECEIPT).exists()

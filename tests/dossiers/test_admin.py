"""The admin shows dossiers read-only and never the personal ID number."""

from __future__ import annotations

import pytest
from django.test import Client

from chinhquyenso.accounts.testing import login_verified
from tests.dossiers.conftest import receive
from tests.dossiers.factories import Province, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_is_read_only_and_masks_the_id(world: Province) -> None:
    d = receive(world)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    login_verified(client, root)
    listing = client.get("/quan-tri/dossiers/dossier/")
    page = client.get(f"/quan-tri/dossiers/dossier/{d.pk}/change/")
    assert listing.status_code == 200 and d.code in listing.content.decode()
    assert page.status_code == 200 and "089203001234" not in page.content.decode()
    assert client.get("/quan-tri/dossiers/dossier/add/").status_code == 403


def test_officer_session_reads_the_api(world: Province) -> None:
    d = receive(world)
    client = Client()
    login_verified(client, world.processor_a)
    assert client.get(f"/api/v1/dossiers/{d.code}").json()["code"] == d.code

"""Fixtures for the citizen side: the small province of the dossier tests (with a reusable ID
component and a result valid 12 months), two registered citizens, a mock identity provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from chinhquyenso.accounts.models import User
from chinhquyenso.citizens.mock_oidc import MockIdentity, MockOidcProvider
from tests.citizens.helpers import client_for, register
from tests.dossiers.factories import Province, build_province


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Cached OIDC metadata lives in the cache: each test starts clean (rate-limit counters are rows)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: Any) -> Province:
    """The dossier tests' province; the birth-registration procedure's ID component is reusable
    (document type "cccd") and its result is a "giay_khai_sinh" valid for 12 months."""
    w = build_province()
    gttt = w.components[2]
    gttt.document_type, gttt.reusable = "cccd", True
    gttt.save(update_fields=["document_type", "reusable"])
    w.result.document_type, w.result.validity_months = "giay_khai_sinh", 12
    w.result.save(update_fields=["document_type", "validity_months"])
    return w


@pytest.fixture
def alice(db: Any) -> User:
    return register("Trần Thị Lan", "lan@example.vn")


@pytest.fixture
def bob(db: Any) -> User:
    return register("Lê Văn Bình", "0912345678")


@pytest.fixture
def alice_client(alice: User) -> Client:
    return client_for(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return client_for(bob)


@pytest.fixture
def oidc_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockOidcProvider]:
    """A real mock provider on loopback, auto-approving one identity; the environment points at it."""
    provider = MockOidcProvider(identity=MockIdentity(sub="vneid-001234", name="Phạm Văn Định",
                                                      email="dinh@example.vn", phone_number="0901234567"))
    provider.start()
    monkeypatch.setenv("CHINHQUYENSO_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("CHINHQUYENSO_OIDC_CLIENT_ID", provider.client_id)
    monkeypatch.setenv("CHINHQUYENSO_OIDC_CLIENT_SECRET", provider.client_secret)
    try:
        yield provider
    finally:
        provider.stop()


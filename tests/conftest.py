"""Shared fixtures. Tests hit the real database (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a per-test directory, never to the developer's data dir."""
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture(autouse=True)
def _fast_argon2(settings):
    """Argon2 with small cost parameters in every test (tests/accounts/hashers.py); production keeps
    Django's Argon2PasswordHasher first, which tests/accounts checks."""
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.FastArgon2PasswordHasher", *settings.PASSWORD_HASHERS]

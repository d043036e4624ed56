from __future__ import annotations

import pytest

from chinhquyenso.workdays.calendar import invalidate_calendar_cache


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test starts from the table as it is (the fingerprint would catch it anyway; this is belt and braces)."""
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def officer(django_user_model):
    return django_user_model.objects.create_user(username="lich.officer", password="x-Strong-Pass-42")

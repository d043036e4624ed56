"""Test helpers other apps may import: sign an officer in *with* the TOTP step already passed.

``client.login()`` does not work with django-axes (its backend needs the request), so tests use
``force_login``; for officers that is not enough when ``REQUIRE_OFFICER_TOTP`` is on.
"""

from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def login_verified(client: Any, user: Any) -> TOTPDevice:
    """``client.force_login(user)`` plus a confirmed TOTP device recorded as verified in the session."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device

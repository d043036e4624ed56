"""``create_token``, ``revoke_token``, ``reset_totp`` and ``createadmin``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import ApiToken, Role, RoleAssignment, User
from chinhquyenso.units.models import UnitLevel

from .conftest import PASSWORD, make_unit

pytestmark = pytest.mark.django_db


def _run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue().strip()


def test_create_token_prints_a_working_token_once(client, officer_a):
    raw = _run("create_token", "canbo.a", "--name", "báo cáo")
    token = ApiToken.objects.get(user=officer_a)
    assert token.name == "báo cáo" and raw.startswith("cqs_") and token.token_hash != raw
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    with pytest.raises(CommandError):
        _run("create_token", "khong.ton.tai")


def test_revoke_token_command(client, officer_a):
    raw = _run("create_token", "canbo.a")
    assert "revoked" in _run("revoke_token", raw[:12])
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    with pytest.raises(CommandError):
        _run("revoke_token", raw[:12])


def test_reset_totp_command(officer_a):
    TOTPDevice.objects.create(user=officer_a, name="phone", confirmed=True)
    _run("reset_totp", "canbo.a")
    assert not TOTPDevice.objects.filter(user=officer_a).exists()


def test_createadmin_with_flags_gets_province_admin_over_the_province_in_force(org):
    _run("createadmin", "--username", "admin", "--password", PASSWORD, "--email", "admin@angiang.gov.vn",
         "--noinput")
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.password.startswith("argon2$")
    assert user.email == "admin@angiang.gov.vn"
    # The old province (valid until 07/2025) is not chosen; the current one is.
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.role == Role.PROVINCE_ADMIN and assignment.unit == org.province


def test_createadmin_refuses_weak_password_and_writes_nothing(org):
    with pytest.raises(CommandError, match="Mật khẩu"):
        _run("createadmin", "--username", "admin", "--password", "ngan", "--noinput")
    with pytest.raises(CommandError):
        _run("createadmin", "--username", "admin", "--noinput")  # no password, no prompting
    assert not User.objects.filter(username="admin").exists()


def test_createadmin_without_province_unit_is_superuser_only(db):
    _run("createadmin", "--username", "admin", "--password", PASSWORD, "--noinput")
    user = User.objects.get(username="admin")
    assert user.is_superuser and not RoleAssignment.objects.filter(user=user).exists()


def test_createadmin_several_provinces_needs_the_configured_one(db, settings):
    make_unit("91", "An Giang", UnitLevel.PROVINCE, valid_from=dt.date(2025, 7, 1))
    other = make_unit("01", "Hà Nội", UnitLevel.PROVINCE, valid_from=dt.date(2025, 7, 1))
    settings.CHINHQUYENSO = {**settings.CHINHQUYENSO, "PROVINCE_PORTAL_CODE": "ZZZ"}
    with pytest.raises(CommandError, match="--unit-code"):
        _run("createadmin", "--username", "admin", "--password", PASSWORD, "--noinput")
    _run("createadmin", "--username", "admin", "--password", PASSWORD, "--noinput", "--unit-code", "01")
    assert RoleAssignment.objects.get(user__username="admin").unit == other


def test_createadmin_interactive(org, monkeypatch):
    answers = iter(["admin2", "a2@angiang.gov.vn", "Quản Trị Hai"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    _run("createadmin")
    user = User.objects.get(username="admin2")
    assert user.full_name == "Quản Trị Hai" and user.check_password(PASSWORD)

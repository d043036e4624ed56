"""A citizen who enabled TOTP and signs in on the general (officer) login page must pass the
citizen portal's code step: never let in without the second factor, never sent to the officer
enrolment."""

from __future__ import annotations

import base64
import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.testing import login_verified

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/tai-khoan/dang-nhap/"


def _code(device: TOTPDevice) -> str:
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).at(time.time())


def _login(client: Client, username: str, next_url: str = "") -> object:
    return client.post(LOGIN, {"username": username, "password": PASSWORD, "next": next_url})


@pytest.fixture
def citizen_with_totp(db):  # type: ignore[no-untyped-def]
    user = make_user("congdan2fa", citizen=True, full_name="Trần Thị Hai")
    device = TOTPDevice.objects.create(user=user, name="điện thoại", confirmed=True)
    return user, device


def test_citizen_with_totp_is_sent_to_the_citizen_code_step(citizen_with_totp) -> None:  # type: ignore[no-untyped-def]
    _user, device = citizen_with_totp
    client = Client()
    documents = reverse("citizens:documents")
    response = _login(client, "congdan2fa", documents)
    assert response.status_code == 302
    step = reverse("citizens:totp_verify")
    assert response["Location"] == f"{step}?next={documents.replace('/', '%2F')}"
    assert reverse("accounts:otp_setup") not in response["Location"]
    # signed in, but not let in: the home page and every citizen page send to the code step first
    home = client.get(reverse("web:home"))
    assert home.status_code == 302 and home["Location"].startswith(step)
    page = client.get(documents)
    assert page.status_code == 302 and page["Location"].startswith(step)
    api = client.get("/api/v1/citizen/dossiers")
    assert api.status_code == 401
    # the code opens the way, to where the citizen wanted to go
    done = client.post(response["Location"], {"token": _code(device), "next": documents})
    assert done.status_code == 302 and done["Location"] == documents
    assert client.get(documents).status_code == 200
    assert client.get(reverse("web:home")).status_code == 200


def test_a_password_login_clears_an_earlier_eid_login(citizen_with_totp) -> None:  # type: ignore[no-untyped-def]
    """The e-ID login flag (which skips the optional TOTP) does not survive a password login."""
    user, _device = citizen_with_totp
    client = Client()
    client.force_login(user)
    session = client.session
    session["citizens_eid_login"] = True
    session.save()
    assert client.get(reverse("citizens:documents")).status_code == 200  # e-ID login: no code asked
    response = _login(client, "congdan2fa")
    assert response["Location"].startswith(reverse("citizens:totp_verify"))
    assert "citizens_eid_login" not in client.session
    assert client.get(reverse("citizens:documents"))["Location"].startswith(reverse("citizens:totp_verify"))


def test_citizen_without_totp_and_officers_are_unchanged(officer_a) -> None:  # type: ignore[no-untyped-def]
    make_user("congdan", citizen=True)
    plain = _login(Client(), "congdan")
    assert plain.status_code == 302 and plain["Location"] == reverse("web:home")
    officer = _login(Client(), officer_a.username)
    assert officer["Location"].startswith(reverse("accounts:otp_setup"))


def test_without_the_citizen_portal_the_accounts_code_step_asks_citizens_too(  # type: ignore[no-untyped-def]
        citizen_with_totp, settings) -> None:
    settings.ROOT_URLCONF = "tests.accounts.urls_without_citizens"
    user, device = citizen_with_totp
    client = Client()
    response = _login(client, "congdan2fa", "/ho-so/")
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    form = client.get(response["Location"])
    assert form.status_code == 200 and "Mã xác thực" in form.content.decode()  # not waved through
    done = client.post(response["Location"], {"token": _code(device), "next": "/ho-so/"})
    assert done.status_code == 302 and done["Location"] == "/ho-so/"
    # once verified, the step lets the citizen through
    assert client.get(reverse("accounts:otp_verify"))["Location"] == reverse("web:home")
    other = Client()
    login_verified(other, user)
    assert other.get(reverse("accounts:otp_verify")).status_code == 302

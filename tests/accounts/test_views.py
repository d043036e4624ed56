"""Login with lockout, TOTP enrolment and code entry, officer guard, logout, password change."""

from __future__ import annotations

import base64
import time

import pyotp
import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/tai-khoan/dang-nhap/"


@pytest.fixture(autouse=True)
def _test_urls(settings):
    settings.ROOT_URLCONF = "tests.accounts.urls_for_tests"


def _code(device: TOTPDevice, offset: int = 0) -> str:
    """What the officer's phone shows (``offset`` seconds from now)."""
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).at(time.time() + offset)


def _login(client, username: str, password: str = PASSWORD, next_url: str = ""):
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url})


def test_login_page_is_vietnamese(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Đăng nhập" in body and "Mật khẩu" in body and 'lang="vi"' in body


def test_citizen_logs_in_without_second_factor_and_it_is_audited(client, citizen):
    response = _login(client, "congdan")
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(citizen.pk)
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor_id == citizen.pk


def test_wrong_password_is_refused_in_vietnamese_and_audited_without_password(client, citizen):
    response = _login(client, "congdan", "sai-mat-khau-roi")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.summary == {"username": "congdan", "locked": False}
    assert "sai-mat-khau-roi" not in str(event.summary)


def test_lockout_after_five_failures_refuses_correct_password(client, citizen):
    for _ in range(4):
        assert _login(client, "congdan", "sai-mat-khau-roi").status_code == 200
    locked = _login(client, "congdan", "sai-mat-khau-roi")
    assert locked.status_code == 429
    assert "Tài khoản tạm thời bị khóa" in locked.content.decode()
    assert AccessAttempt.objects.get(username="congdan").failures_since_start >= 5
    refused = _login(client, "congdan", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed", summary__locked=True).exists()
    # Another user name from the same address is not locked (username + IP).
    make_user("nguoi.khac", citizen=True)
    assert _login(client, "nguoi.khac").status_code == 302


def test_officer_first_login_enrols_totp_then_reaches_the_page(client, officer_a):
    response = _login(client, "canbo.a", next_url="/test/can-bo/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    # Password alone does not open officer pages.
    blocked = client.get("/test/can-bo/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("accounts:otp_setup"))

    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=officer_a, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert secret[:4] + " " + secret[4:8] in body  # the key, in groups of four
    assert 'src="data:image/svg+xml' in body  # the QR, as a data: URI (CSP allows img data:)

    wrong = client.post(reverse("accounts:otp_setup"), {"token": "000000", "next": "/test/can-bo/"})
    assert wrong.status_code == 200 and "Mã xác thực không đúng" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0  # django-otp throttles after a failure; the phone user would wait
    device.save()

    done = client.post(reverse("accounts:otp_setup"), {"token": _code(device), "next": "/test/can-bo/"})
    assert done.status_code == 302 and done["Location"] == "/test/can-bo/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/test/can-bo/").content.decode() == "hộp thư cán bộ"
    assert AuditEvent.objects.filter(action="auth.otp_enrolled", actor_id=officer_a.pk).exists()
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor_id=officer_a.pk).exists()
    # Once enrolled, the enrolment page is closed: a stolen password cannot add a second phone.
    again = client.get(reverse("accounts:otp_setup"))
    assert again.status_code == 302


def test_officer_later_login_asks_for_the_code(client, officer_a):
    device = TOTPDevice.objects.create(user=officer_a, name="phone", confirmed=True)
    response = _login(client, "canbo.a", next_url="/test/can-bo/")
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("accounts:otp_setup"))["Location"].startswith(reverse("accounts:otp_verify"))
    page = client.get(response["Location"])
    assert "Xác thực hai lớp" in page.content.decode()
    ok = client.post(reverse("accounts:otp_verify"), {"token": _code(device), "next": "/test/can-bo/"})
    assert ok.status_code == 302 and ok["Location"] == "/test/can-bo/"
    assert client.get("/test/can-bo/").status_code == 200


def test_wrong_code_and_replayed_code_are_refused(client, officer_a):
    device = TOTPDevice.objects.create(user=officer_a, name="phone", confirmed=True)
    code = _code(device)
    _login(client, "canbo.a")
    assert client.post(reverse("accounts:otp_verify"), {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    _login(client, "canbo.a")
    replay = client.post(reverse("accounts:otp_verify"), {"token": code})
    assert replay.status_code == 200 and "Mã xác thực không đúng" in replay.content.decode()
    assert client.get("/test/can-bo/").status_code == 302


def test_open_redirect_is_ignored(client, citizen):
    response = _login(client, "congdan", next_url="https://evil.example/")
    assert response["Location"] == reverse("web:home")


def test_officer_guard(client, settings, officer_a, citizen, org):
    anonymous = client.get("/test/can-bo/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(LOGIN)

    client.force_login(citizen)
    forbidden = client.get("/test/can-bo/")
    assert forbidden.status_code == 403 and "Không có quyền truy cập" in forbidden.content.decode()

    client.force_login(officer_a)  # password only
    assert client.get("/test/can-bo/").status_code == 302

    login_verified(client, officer_a)
    assert client.get("/test/can-bo/").status_code == 200
    assert client.get("/test/lanh-dao/").status_code == 403  # processing officer, not a leader
    assert client.get("/test/lanh-dao-cbv/").status_code == 403

    leader = make_user("lanhdao.a", (Role.LEADER, org.commune_a, None))
    login_verified(client, leader)
    assert client.get("/test/lanh-dao/").status_code == 200
    assert client.get("/test/lanh-dao-cbv/").status_code == 200

    settings.CHINHQUYENSO = {**settings.CHINHQUYENSO, "REQUIRE_OFFICER_TOTP": False}
    client.force_login(officer_a)
    assert client.get("/test/can-bo/").status_code == 200


def test_logout_is_post_only_and_audited(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=citizen.pk).exists()


def test_password_change_page(client, citizen, officer_a):
    client.force_login(citizen)
    url = reverse("accounts:password_change")
    assert "Đổi mật khẩu" in client.get(url).content.decode()
    short = client.post(url, {"old_password": PASSWORD, "new_password1": "ngan", "new_password2": "ngan"})
    assert short.status_code == 200
    assert "Mật khẩu quá ngắn: cần ít nhất 12 ký tự." in short.content.decode()
    wrong_old = client.post(url, {"old_password": "khong-phai", "new_password1": "x" * 20, "new_password2": "x" * 20})
    assert "Mật khẩu hiện tại không đúng." in wrong_old.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)
    new = "Mật-khẩu-mới-của-công-dân"
    done = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(new) and citizen.password.startswith("argon2$")
    assert client.get(url).status_code == 200  # session kept after the change
    assert AuditEvent.objects.filter(action="user.password_change", actor_id=citizen.pk).exists()

    client.force_login(officer_a)  # officers change passwords only after the TOTP step
    assert client.get(url)["Location"].startswith(reverse("accounts:otp_setup"))


def test_admin_login_replacement_sends_through_our_steps(rf, officer_a):
    from django.contrib.auth.models import AnonymousUser

    from chinhquyenso.accounts.views import admin_login

    request = rf.get("/quan-tri/login/", {"next": "/quan-tri/"})
    request.user = AnonymousUser()
    response = admin_login(request)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    request.user = officer_a  # password only: to the TOTP step, then back to the admin
    response = admin_login(request)
    assert response["Location"].startswith(reverse("accounts:otp_setup")) and "quan-tri" in response["Location"]

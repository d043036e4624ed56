"""Citizen accounts: registration (Vietnamese errors), password login, optional TOTP, the page guard."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import User
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.citizens import services
from chinhquyenso.core.errors import Conflict, ValidationFailed
from tests.citizens.helpers import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def _totp(device: TOTPDevice) -> str:
    import base64

    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def test_register_page_creates_a_citizen_and_signs_in() -> None:
    client = Client()
    response = client.post(reverse("citizens:register"), {
        "full_name": "Nguyễn Thị Hoa", "identifier": "Hoa@Example.VN", "password1": PASSWORD, "password2": PASSWORD,
    })
    assert response.status_code == 302 and response["Location"] == reverse("citizens:home")
    user = User.objects.get(username="hoa@example.vn")
    assert user.is_citizen and user.email == "hoa@example.vn" and user.full_name == "Nguyễn Thị Hoa"
    assert user.password.startswith("argon2")
    assert client.get(reverse("citizens:home")).status_code == 200
    assert AuditEvent.objects.filter(action="user.create_citizen", object_id=str(user.pk)).exists()


def test_register_with_phone_number() -> None:
    user = services.citizen_register(full_name="Võ Văn Tâm", identifier="0912 345.678", password=PASSWORD)
    assert (user.username, user.phone, user.email) == ("0912345678", "0912345678", "")


@pytest.mark.parametrize(("password", "message"), [
    ("ngan", "Mật khẩu quá ngắn: cần ít nhất 12 ký tự."),
    ("123456789012345", "Mật khẩu không được chỉ gồm chữ số."),
    ("password1234", "Mật khẩu quá phổ biến, dễ bị đoán."),
])
def test_register_refuses_weak_passwords_in_vietnamese(password: str, message: str) -> None:
    response = Client().post(reverse("citizens:register"), {
        "full_name": "Nguyễn Thị Hoa", "identifier": "hoa@example.vn", "password1": password, "password2": password,
    })
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="hoa@example.vn").exists()


def test_register_refuses_mismatch_bad_identifier_and_duplicates(alice: User) -> None:
    page = Client().post(reverse("citizens:register"), {
        "full_name": "A", "identifier": "hoa@example.vn", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert "Hai mật khẩu không khớp nhau." in page.content.decode()
    with pytest.raises(ValidationFailed) as bad:
        services.citizen_register(full_name="A", identifier="abc", password=PASSWORD)
    assert bad.value.code == "identifier_invalid"
    with pytest.raises(Conflict) as taken:
        services.citizen_register(full_name="B", identifier="LAN@example.vn", password=PASSWORD)
    assert taken.value.code == "identifier_taken"
    page = Client().post(reverse("citizens:register"), {
        "full_name": "B", "identifier": "lan@example.vn", "password1": PASSWORD, "password2": PASSWORD})
    assert "đã được dùng để đăng ký" in page.content.decode()
    assert User.objects.filter(is_citizen=True).count() == 1


def test_login_with_password_by_email_or_phone(alice: User, bob: User) -> None:
    client = Client()
    wrong = client.post(reverse("citizens:login"), {"username": "lan@example.vn", "password": "sai-mat-khau-roi"})
    assert wrong.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.content.decode()
    ok = client.post(reverse("citizens:login"), {"username": "LAN@example.vn", "password": PASSWORD,
                                                 "next": reverse("citizens:documents")})
    assert ok.status_code == 302 and ok["Location"] == reverse("citizens:documents")
    assert client.get(reverse("citizens:documents")).status_code == 200
    phone = Client().post(reverse("citizens:login"), {"username": "0912 345 678", "password": PASSWORD})
    assert phone.status_code == 302


def test_login_refuses_officers_and_offsite_next(world) -> None:  # type: ignore[no-untyped-def]
    officer = world.counter_a
    officer.set_password(PASSWORD)
    officer.save()
    client = Client()
    page = client.post(reverse("citizens:login"), {"username": officer.username, "password": PASSWORD})
    assert "trang dành cho cán bộ" in page.content.decode()
    assert "_auth_user_id" not in client.session
    services.citizen_register(full_name="Hoa", identifier="hoa@example.vn", password=PASSWORD)
    evil = Client().post(reverse("citizens:login"), {"username": "hoa@example.vn", "password": PASSWORD,
                                                     "next": "https://evil.example/"})
    assert evil["Location"] == reverse("citizens:home")


def test_pages_need_a_citizen_account(world, alice_client: Client) -> None:  # type: ignore[no-untyped-def]
    anonymous = Client().get(reverse("citizens:documents"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("citizens:login"))
    officer = client_for(world.counter_a)
    assert officer.get(reverse("citizens:documents")).status_code == 403
    assert alice_client.get(reverse("citizens:documents")).status_code == 200


def test_totp_enable_login_with_code_and_disable(alice: User) -> None:
    client = client_for(alice)
    page = client.get(reverse("citizens:totp_setup"))
    assert page.status_code == 200 and "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    bad = client.post(reverse("citizens:totp_setup"), {"token": "000000"})
    assert "Mã xác thực không đúng" in bad.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    done = client.post(reverse("citizens:totp_setup"), {"token": _totp(device)})
    assert done.status_code == 302 and TOTPDevice.objects.get(user=alice).confirmed

    # A new password login now stops at the code step; citizen pages stay closed until then.
    fresh = Client()
    step = fresh.post(reverse("citizens:login"), {"username": "lan@example.vn", "password": PASSWORD,
                                                  "next": reverse("citizens:account")})
    assert step.status_code == 302 and step["Location"].startswith(reverse("citizens:totp_verify"))
    blocked = fresh.get(reverse("citizens:account"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("citizens:totp_verify"))
    api = fresh.get("/api/v1/citizen/dossiers")
    assert api.status_code == 401 and api.json()["code"] == "otp_required"
    device.refresh_from_db()
    device.last_t = -1  # the code used at enrolment may be the current one: allow it once more
    device.save()
    passed = fresh.post(reverse("citizens:totp_verify"), {"token": _totp(device),
                                                          "next": reverse("citizens:account")})
    assert passed.status_code == 302 and passed["Location"] == reverse("citizens:account")
    assert fresh.get(reverse("citizens:account")).status_code == 200

    # Disabling needs a current code: a wrong one changes nothing.
    fresh.post(reverse("citizens:totp_disable"), {"token": "123456"})
    assert TOTPDevice.objects.filter(user=alice).exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp, device.last_t = 0, None, -1
    device.save()
    fresh.post(reverse("citizens:totp_disable"), {"token": _totp(device)})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(action="citizen.totp_disabled", actor_id=alice.pk).exists()


def test_account_page_shows_identity_and_second_factor(alice_client: Client) -> None:
    page = alice_client.get(reverse("citizens:account")).content.decode()
    assert "Trần Thị Lan" in page and "Chưa xác thực" in page and "Bật xác thực hai lớp" in page

"""Users and roles through the services: validated, atomic, audited."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import Role, RoleAssignment, User
from chinhquyenso.accounts.services import (
    role_assign,
    role_revoke,
    totp_device_reset,
    user_create_citizen,
    user_create_officer,
    user_password_change,
)
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_production_hasher_is_argon2():
    from chinhquyenso import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_officer_created_with_argon2_hash_roles_and_audit(org, province_admin):
    user = user_create_officer(
        username="chuyenvien.a", full_name="Lê Văn Chuyên", password=PASSWORD,
        roles=[(Role.PROCESSING_OFFICER, org.commune_a, None), (Role.ONE_STOP_OFFICER, None, org.ubnd_a)],
        actor=province_admin,
    )
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)
    assert not user.is_citizen
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {
        "processing_officer", "one_stop_officer"
    }
    # agency-only spec takes the agency's unit
    assert RoleAssignment.objects.get(user=user, role=Role.ONE_STOP_OFFICER).unit == org.commune_a
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["user.create_officer", "role.assign", "role.assign"]
    assert PASSWORD not in str(list(AuditEvent.objects.values_list("summary", flat=True)))


@pytest.mark.parametrize("password", ["ngan-qua", "123456789012345", "password1234"])
def test_weak_password_refused_and_nothing_written(org, password):
    with pytest.raises(ValidationFailed) as exc:
        user_create_officer(username="x", full_name="X", password=password,
                            roles=[(Role.LEADER, org.commune_a, None)], actor=None)
    assert exc.value.code == "weak_password"
    assert exc.value.message.startswith("Mật khẩu chưa đạt yêu cầu: Mật khẩu ")  # Vietnamese, whatever the locale
    assert not User.objects.filter(username="x").exists()
    assert not AuditEvent.objects.exists()


def test_bad_role_specs_are_refused_before_any_write(org):
    cases = [
        ([("sieu_nhan", org.commune_a, None)], "unknown_role"),
        ([(Role.LEADER, None, None)], "scope_required"),
        ([(Role.CITIZEN, org.commune_a, None)], "bad_role"),
        ([(Role.LEADER, org.commune_b, org.ubnd_a)], "agency_outside_unit"),
        ([], "role_required"),
    ]
    for roles, code in cases:
        with pytest.raises(ValidationFailed) as exc:
            user_create_officer(username="y", full_name="Y", password=PASSWORD, roles=roles, actor=None)
        assert exc.value.code == code
    assert not User.objects.filter(username="y").exists()
    assert not RoleAssignment.objects.exists()


def test_duplicate_username_case_insensitive(org, officer_a):
    with pytest.raises(Conflict):
        user_create_citizen(username="CANBO.A", full_name="Ai đó", password=PASSWORD)


def test_citizen_account(org):
    user = user_create_citizen(username="079203001234", full_name="Phạm Thị Công", password=PASSWORD,
                               email="Cong@Example.VN", phone="0912 345 678")
    assert user.is_citizen and user.phone == "0912345678" and user.email == "Cong@example.vn"
    event = AuditEvent.objects.get(action="user.create_citizen")
    assert "079203001234" not in str(event.summary)  # the ID-number user name is masked in the audit log
    with pytest.raises(ValidationFailed):
        role_assign(user=user, role=Role.LEADER, unit=org.commune_a, actor=None)
    with pytest.raises(ValidationFailed):
        user_create_citizen(username="khac", full_name="Khác", password=PASSWORD, phone="abc")
    with pytest.raises(ValidationFailed):
        user_create_citizen(username="khac2", full_name="Khác", password=PASSWORD, email="khong-phai-email")
    with pytest.raises(ValidationFailed):
        user_create_citizen(username="co dau cach", full_name="Khác", password=PASSWORD)


def test_role_assign_authorisation(org, unit_admin_a, officer_a, province_admin):
    # unit admin of A: working roles in A only, never admin roles, never in B
    role_assign(user=officer_a, role=Role.LEADER, unit=org.commune_a, actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        role_assign(user=officer_a, role=Role.LEADER, unit=org.commune_b, actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        role_assign(user=officer_a, role=Role.UNIT_ADMIN, unit=org.commune_a, actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        role_assign(user=officer_a, role=Role.LEADER, unit=org.commune_a, actor=officer_a)
    with pytest.raises(Conflict):
        role_assign(user=officer_a, role=Role.LEADER, unit=org.commune_a, actor=province_admin)
    role_assign(user=officer_a, role=Role.UNIT_ADMIN, unit=org.commune_a, actor=province_admin)
    assert AuditEvent.objects.filter(action="role.assign").count() == 2


def test_role_revoke(org, officer_a, unit_admin_a, province_admin):
    assignment = RoleAssignment.objects.get(user=officer_a)
    with pytest.raises(PermissionDenied):
        role_revoke(assignment=assignment, actor=officer_a)
    role_revoke(assignment=assignment, actor=unit_admin_a)
    assert not RoleAssignment.objects.filter(user=officer_a).exists()
    event = AuditEvent.objects.get(action="role.revoke")
    assert event.summary["role"] == "processing_officer" and event.actor_id == unit_admin_a.pk
    own = RoleAssignment.objects.get(user=province_admin)
    with pytest.raises(PermissionDenied):
        role_revoke(assignment=own, actor=province_admin)


def test_password_change_validates_and_audits(officer_a, unit_admin_a, officer_b):
    with pytest.raises(ValidationFailed):
        user_password_change(user=officer_a, new_password="canbo.a", actor=officer_a)
    user_password_change(user=officer_a, new_password="Một-mật-khẩu-mới-rất-dài", actor=officer_a)
    officer_a.refresh_from_db()
    assert officer_a.check_password("Một-mật-khẩu-mới-rất-dài")
    user_password_change(user=officer_a, new_password="Quản-trị-đặt-lại-2025", actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        user_password_change(user=officer_a, new_password="Không-được-phép-2025", actor=officer_b)
    summaries = str(list(AuditEvent.objects.filter(action="user.password_change").values_list("summary", flat=True)))
    for secret in ("Một-mật-khẩu-mới-rất-dài", "Quản-trị-đặt-lại-2025"):
        assert secret not in summaries


def test_totp_reset_only_by_an_administrator_of_the_user(org, officer_a, officer_b, unit_admin_a):
    TOTPDevice.objects.create(user=officer_a, name="phone", confirmed=True)
    with pytest.raises(PermissionDenied):
        totp_device_reset(user=officer_a, actor=officer_b)
    with pytest.raises(PermissionDenied):
        totp_device_reset(user=officer_a, actor=officer_a)
    assert totp_device_reset(user=officer_a, actor=unit_admin_a) == 1
    assert not TOTPDevice.objects.filter(user=officer_a).exists()
    assert AuditEvent.objects.filter(action="auth.otp_reset", object_id=str(officer_a.pk)).exists()

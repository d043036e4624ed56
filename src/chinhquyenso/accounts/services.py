"""Writes for accounts: users, role assignments, second factor, API tokens, login audit.

Every function validates before writing, runs in one transaction and writes an audit row.
Passwords, secrets and personal ID numbers never reach the audit log (``audit_record`` also masks
9- and 12-digit runs, so a citizen whose user name is a CCCD number is masked too).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import django_otp
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import OFFICER_ROLES, ApiToken, Role, RoleAssignment, User
from chinhquyenso.accounts.passwords import password_problems
from chinhquyenso.accounts.scope import has_role, is_officer
from chinhquyenso.accounts.selectors import TOKEN_LOOKUP_LENGTH, TOKEN_PREFIX, token_hash
from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed
from chinhquyenso.units.models import Agency, Unit

#: Roles only a province administrator (or the system) may grant or take away.
ADMIN_ROLES = frozenset({Role.PROVINCE_ADMIN.value, Role.UNIT_ADMIN.value, Role.AUDITOR.value})
#: How often ``last_used_at`` is written for a busy token: at most once a minute.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
_PHONE = re.compile(r"^\+?[0-9]{9,15}$")
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits

RoleSpec = tuple[str, Unit | None, Agency | None]


# --- helpers -----------------------------------------------------------------------------------


def _password_check(password: str, user: User) -> None:
    problems = password_problems(password, user)
    if problems:
        raise ValidationFailed(
            "Mật khẩu chưa đạt yêu cầu: " + " ".join(problems), code="weak_password", details={"password": problems}
        )


def _user_fields_check(user: User) -> None:
    """Model-level validation (user-name characters, e-mail format) before the first write."""
    try:
        user.full_clean(exclude=["password", "last_login", "date_joined", "username"])
        User._meta.get_field("username").run_validators(user.username)
    except DjangoValidationError as exc:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise ValidationFailed("Thông tin tài khoản không hợp lệ.", details=details) from exc


def _username_free(username: str) -> str:
    username = User.normalize_username((username or "").strip())
    if not username:
        raise ValidationFailed("Tên đăng nhập không được để trống.", details={"username": ["required"]})
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("Tên đăng nhập đã tồn tại.", code="username_taken")
    return username


def _may_manage_role(actor: Any, role: str, *, unit: Unit | None, agency: Agency | None) -> bool:
    """System (``actor=None``) and superusers may do anything; a province administrator may grant any
    role in their scope; a unit administrator only the working roles (not admin or auditor roles)."""
    if actor is None or (getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False)):
        return True
    if role in ADMIN_ROLES:
        return has_role(actor, Role.PROVINCE_ADMIN, agency=agency, unit=unit)
    return has_role(actor, Role.PROVINCE_ADMIN, Role.UNIT_ADMIN, agency=agency, unit=unit)


def _ensure_may_manage_user(actor: Any, user: User) -> None:
    """Acting on an account (reset its second factor, set its password) needs the right to manage
    every role it holds; an account with no officer role needs a province administrator."""
    if actor is None or (getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False)):
        return
    if getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied("Không thể tự thực hiện thao tác quản trị này trên tài khoản của mình.")
    assignments = list(
        RoleAssignment.objects.filter(user=user, role__in=OFFICER_ROLES).select_related("unit", "agency")
    )
    if user.is_superuser:
        allowed = False
    elif not assignments:
        allowed = has_role(actor, Role.PROVINCE_ADMIN)
    else:
        allowed = all(_may_manage_role(actor, a.role, unit=a.unit, agency=a.agency) for a in assignments)
    if not allowed:
        raise PermissionDenied("Bạn không có quyền quản trị tài khoản này.")


def _role_summary(role: str, unit: Unit | None, agency: Agency | None) -> dict[str, Any]:
    return {
        "role": role,
        "unit": unit.code if unit else None,
        "unit_id": unit.pk if unit else None,
        "agency": agency.code if agency else None,
        "agency_id": agency.pk if agency else None,
    }


# --- users -------------------------------------------------------------------------------------


@transaction.atomic
def user_create_officer(
    *,
    username: str,
    full_name: str,
    password: str,
    roles: Sequence[RoleSpec],
    actor: Any,
    email: str = "",
    phone: str = "",
    is_superuser: bool = False,
) -> User:
    """Cán bộ, công chức: an account with at least one officer role (superusers may have none)."""
    username = _username_free(username)
    if not roles and not is_superuser:
        raise ValidationFailed("Cán bộ phải được gán ít nhất một vai trò.", code="role_required")
    if is_superuser and actor is not None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Chỉ quản trị hệ thống mới tạo được tài khoản quản trị hệ thống.")
    user = User(
        username=username, full_name=(full_name or "").strip(), email=User.objects.normalize_email(email or ""),
        phone=_phone_clean(phone), is_citizen=False, is_superuser=is_superuser, is_staff=is_superuser,
    )
    _user_fields_check(user)
    _password_check(password, user)
    for role, unit, agency in roles:  # validate every role before writing anything
        _role_spec_check(role=role, unit=unit, agency=agency, user=user, actor=actor)
    user.set_password(password)
    user.save()
    audit_record(
        action="user.create_officer", actor=actor, obj=user,
        summary={"username": user.username, "superuser": is_superuser, "roles": len(roles)},
    )
    for role, unit, agency in roles:
        role_assign(user=user, role=role, unit=unit, agency=agency, actor=actor)
    return user


def _phone_clean(phone: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", phone or "")
    if compact and not _PHONE.match(compact):
        raise ValidationFailed("Số điện thoại không hợp lệ.", details={"phone": ["invalid"]})
    return compact


@transaction.atomic
def user_create_citizen(*, username: str, full_name: str, password: str, email: str = "", phone: str = "") -> User:
    """Tài khoản công dân, tổ chức: self-registration, no role assignment, never an officer."""
    username = _username_free(username)
    if not (full_name or "").strip():
        raise ValidationFailed("Họ và tên không được để trống.", details={"full_name": ["required"]})
    user = User(
        username=username, full_name=full_name.strip(), email=User.objects.normalize_email(email or ""),
        phone=_phone_clean(phone), is_citizen=True,
    )
    _user_fields_check(user)
    _password_check(password, user)
    user.set_password(password)
    user.save()
    audit_record(action="user.create_citizen", actor=None, obj=user, summary={"username": user.username})
    return user


@transaction.atomic
def user_password_change(*, user: User, new_password: str, actor: Any) -> User:
    """Đổi mật khẩu. The user themself (after proving the old one in the form) or an administrator."""
    if getattr(actor, "pk", None) != user.pk:
        _ensure_may_manage_user(actor, user)
    _password_check(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(action="user.password_change", actor=actor, obj=user, summary={"by_self": actor == user})
    return user


# --- roles -------------------------------------------------------------------------------------


def _role_spec_check(*, role: str, unit: Unit | None, agency: Agency | None, user: User, actor: Any) -> None:
    if role not in Role.values:
        raise ValidationFailed(f"Vai trò không tồn tại: {role}.", code="unknown_role", details={"role": [role]})
    if role == Role.CITIZEN:
        raise ValidationFailed("Vai trò công dân gắn với tài khoản công dân, không gán theo đơn vị.", code="bad_role")
    if user.is_citizen:
        raise ValidationFailed("Tài khoản công dân không được gán vai trò cán bộ.", code="citizen_account")
    if unit is None and agency is None:
        raise ValidationFailed("Vai trò cán bộ phải gắn với một đơn vị hoặc cơ quan.", code="scope_required")
    if agency is not None and unit is not None:
        agency_unit = Unit.objects.only("path").get(pk=agency.unit_id)
        if not agency_unit.path.startswith(unit.path):
            raise ValidationFailed("Cơ quan không thuộc đơn vị hành chính đã chọn.", code="agency_outside_unit")
    if not _may_manage_role(actor, role, unit=unit, agency=agency):
        raise PermissionDenied("Bạn không có quyền gán vai trò này ở đơn vị này.")


@transaction.atomic
def role_assign(
    *, user: User, role: str, unit: Unit | None = None, agency: Agency | None = None, actor: Any
) -> RoleAssignment:
    """Phân quyền: ``user`` holds ``role`` over ``unit`` (and below), or over ``agency`` (and its children).
    With only an agency, the unit is taken from it."""
    if agency is not None and unit is None:
        unit = agency.unit
    _role_spec_check(role=role, unit=unit, agency=agency, user=user, actor=actor)
    if RoleAssignment.objects.filter(user=user, role=role, unit=unit, agency=agency).exists():
        raise Conflict("Người dùng đã có vai trò này tại đơn vị này.", code="role_exists")
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role, unit=unit, agency=agency)
    except IntegrityError as exc:  # a concurrent identical grant
        raise Conflict("Người dùng đã có vai trò này tại đơn vị này.", code="role_exists") from exc
    audit_record(
        action="role.assign", actor=actor, obj=assignment,
        summary={"user": user.username, **_role_summary(role, unit, agency)},
    )
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: Any) -> None:
    """Thu hồi vai trò. Nobody removes their own administrator role (ask another administrator)."""
    assignment = RoleAssignment.objects.select_related("user", "unit", "agency").get(pk=assignment.pk)
    if not _may_manage_role(actor, assignment.role, unit=assignment.unit, agency=assignment.agency):
        raise PermissionDenied("Bạn không có quyền thu hồi vai trò này.")
    if (
        actor is not None
        and getattr(actor, "pk", None) == assignment.user_id
        and assignment.role in ADMIN_ROLES
        and not getattr(actor, "is_superuser", False)
    ):
        raise PermissionDenied("Không thể tự thu hồi vai trò quản trị của mình.")
    summary = {"user": assignment.user.username, **_role_summary(assignment.role, assignment.unit, assignment.agency)}
    object_id = str(assignment.pk)
    assignment.delete()
    audit_record(action="role.revoke", actor=actor, object_type="accounts.roleassignment", object_id=object_id,
                 summary=summary)


# --- second factor (TOTP) ----------------------------------------------------------------------


@transaction.atomic
def totp_device_begin(*, user: User) -> TOTPDevice:
    """Start enrolling an authenticator app: the pending (unconfirmed) device, made if missing.

    Refused once a confirmed device exists, so a stolen password alone cannot enrol a new phone;
    an administrator resets the old one first (:func:`totp_device_reset`)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict("Tài khoản đã đăng ký ứng dụng xác thực.", code="otp_already_enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=False)
        audit_record(action="auth.otp_enrolment_started", actor=user, obj=user, summary={"device": device.pk})
    return device


def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Finish enrolment with the first code from the app.

    Not one big transaction on purpose: a wrong code must still count towards django-otp's
    throttling, which a rollback would undo. The confirmation itself is atomic."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationFailed("Thiết bị xác thực không hợp lệ.", code="otp_bad_device")
    if not _token_ok(device, token):
        _otp_failure_audit(user, stage="enrolment")
        raise ValidationFailed("Mã xác thực không đúng hoặc đã hết hạn.", code="otp_invalid")
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        audit_record(action="auth.otp_enrolled", actor=user, obj=user, summary={"device": device.pk})
    return device


def totp_token_verify(*, user: User, token: str) -> TOTPDevice:
    """The login's second step: the confirmed device that accepts ``token``. Failures are audited
    and throttled by django-otp (each one doubles the wait before the next try)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        raise ValidationFailed("Tài khoản chưa đăng ký ứng dụng xác thực.", code="otp_not_enrolled")
    verified = _token_ok(device, token)
    if not verified:
        _otp_failure_audit(user, stage="login")
        raise ValidationFailed("Mã xác thực không đúng hoặc đã hết hạn.", code="otp_invalid")
    audit_record(action="auth.otp_verified", actor=user, obj=user, summary={"device": device.pk})
    return device


def _token_ok(device: TOTPDevice, token: str) -> bool:
    token = re.sub(r"\s", "", token or "")
    if not re.fullmatch(r"[0-9]{6,8}", token):
        return False
    return django_otp.verify_token(device.user, device.persistent_id, token) is not None


def _otp_failure_audit(user: User, *, stage: str) -> None:
    audit_record(action="auth.otp_failed", actor=user, obj=user, summary={"stage": stage})


@transaction.atomic
def totp_device_reset(*, user: User, actor: Any) -> int:
    """Xóa ứng dụng xác thực (lost phone): the user enrols again at next login. Administrators only."""
    _ensure_may_manage_user(actor, user)
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    audit_record(action="auth.otp_reset", actor=actor, obj=user, summary={"devices": count})
    return count


# --- login audit (called from django.contrib.auth's signals, see apps.py) ------------------------


def login_success_record(*, user: User) -> None:
    audit_record(action="auth.login", actor=user, obj=user, summary={"officer": is_officer(user)})


def login_failure_record(*, username: str, locked: bool) -> None:
    """The attempted user name only (truncated); never the password."""
    audit_record(
        action="auth.login_failed", actor=None, object_type="accounts.user", object_id="",
        summary={"username": (username or "")[:150], "locked": locked},
    )


def logout_record(*, user: User | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    audit_record(action="auth.logout", actor=user, obj=user, summary={})


# --- API tokens --------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str = "", actor: Any = None) -> tuple[ApiToken, str]:
    """Mã truy cập API for a machine client. Returns the token row and the secret, which is shown
    once and never stored: the database keeps its SHA-256 and an 8-character lookup prefix."""
    if not user.is_active:
        raise ValidationFailed("Tài khoản đã bị khóa, không thể tạo mã truy cập.", code="inactive_user")
    if actor is not None and getattr(actor, "pk", None) != user.pk:
        _ensure_may_manage_user(actor, user)
    name = (name or "").strip()
    if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed("Tên mã truy cập quá dài (tối đa 100 ký tự).", details={"name": ["too_long"]})
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(TOKEN_LOOKUP_LENGTH))
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, token_hash=token_hash(raw))
    audit_record(action="api_token.create", actor=actor, obj=token,
                 summary={"user": user.username, "name": name, "prefix": prefix})
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Thu hồi mã truy cập: by its owner, an administrator of the owner, or the system."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if actor is not None and getattr(actor, "pk", None) != token.user_id:
        _ensure_may_manage_user(actor, token.user)
    if token.revoked_at is not None:
        raise Conflict("Mã truy cập đã bị thu hồi trước đó.", code="token_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(action="api_token.revoke", actor=actor, obj=token,
                 summary={"user": token.user.username, "prefix": token.prefix})
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once per :data:`TOKEN_TOUCH_INTERVAL` (one conditional UPDATE, no audit
    row: using a token is not a change; the calls it authorises audit themselves)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(last_used_at__gte=now - TOKEN_TOUCH_INTERVAL)
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now

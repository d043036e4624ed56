from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from chinhquyenso.units.models import Agency, Unit


class Role(models.TextChoices):
    CITIZEN = "citizen", "Công dân, tổ chức"
    ONE_STOP_OFFICER = "one_stop_officer", "Cán bộ Một cửa"
    PROCESSING_OFFICER = "processing_officer", "Chuyên viên xử lý"
    LEADER = "leader", "Lãnh đạo"
    UNIT_ADMIN = "unit_admin", "Quản trị đơn vị"
    PROVINCE_ADMIN = "province_admin", "Quản trị cấp tỉnh"
    AUDITOR = "auditor", "Kiểm tra, giám sát"


OFFICER_ROLES = frozenset(r for r in Role if r != Role.CITIZEN)


class User(AbstractUser):
    """Officer or citizen account. Officers get roles through :class:`RoleAssignment`."""

    full_name = models.CharField("họ và tên", max_length=200, blank=True)
    phone = models.CharField("số điện thoại", max_length=20, blank=True)
    is_citizen = models.BooleanField("là công dân", default=False)

    class Meta:
        verbose_name = "người dùng"
        verbose_name_plural = "người dùng"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """``user`` holds ``role`` over ``unit`` and everything below it, optionally narrowed to
    one ``agency`` (a Sở officer: unit = the province, agency = the Sở)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit", "agency"], name="role_assignment_unique"),
        ]
        verbose_name = "phân quyền"
        verbose_name_plural = "phân quyền"

    def __str__(self) -> str:
        where = self.agency or self.unit or "-"
        return f"{self.user} · {self.get_role_display()} · {where}"


class ApiToken(models.Model):
    """A machine client's bearer token. Only the SHA-256 of the secret is stored; the secret is
    shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "mã truy cập API"
        verbose_name_plural = "mã truy cập API"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

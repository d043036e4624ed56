"""``chinhquyenso createadmin``: the first province administrator (quản trị cấp tỉnh).

Interactive, or non-interactive with ``--username --password --email``. The account is a Django
superuser (it can open /quan-tri/) and, when a province-level unit valid today exists, also holds
``province_admin`` over it, so its scope is visible in the role list like everyone else's.
"""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.services import user_create_officer
from chinhquyenso.core.errors import DomainError, NotFound
from chinhquyenso.units.models import Unit, UnitLevel
from chinhquyenso.units.selectors import province_current, valid_on_q


def province_unit_today(code: str = "", today: date | None = None) -> Unit | None:
    """The province unit in force today (``units.selectors.province_current``), or the one with
    ``code``; ``None`` when no province is loaded yet."""
    today = today or timezone.localdate()
    in_force = Unit.objects.filter(level=UnitLevel.PROVINCE).filter(valid_on_q(today))
    if code:
        unit = in_force.filter(code=code).first()
        if unit is None:
            raise CommandError(f"Không có đơn vị cấp tỉnh mã {code} còn hiệu lực / no province unit {code} in force")
        return unit
    try:
        return province_current(on=today)
    except NotFound as exc:
        if in_force.exists():
            raise CommandError(
                "Có nhiều đơn vị cấp tỉnh; chọn bằng --unit-code / several province units: use --unit-code"
            ) from exc
        return None


class Command(BaseCommand):
    help = "Tạo tài khoản quản trị cấp tỉnh / create a province administrator account"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="Tên đăng nhập / user name")
        parser.add_argument("--password", help="Mật khẩu (≥ 12 ký tự) / password (at least 12 characters)")
        parser.add_argument("--email", default=None, help="Thư điện tử / e-mail")
        parser.add_argument("--full-name", default=None, help="Họ và tên / full name")
        parser.add_argument("--unit-code", default="", help="Mã đơn vị cấp tỉnh / province unit code (GSO)")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="Không hỏi; thiếu thông tin thì báo lỗi / never prompt; fail when something is missing",
        )

    def _ask(self, label: str, interactive: bool, *, secret: bool = False) -> str:
        if not interactive:
            raise CommandError(f"Thiếu {label} / missing {label}")
        if secret:
            first = getpass.getpass("Mật khẩu / password: ")
            second = getpass.getpass("Nhập lại / again: ")
            if first != second:
                raise CommandError("Hai mật khẩu không khớp / passwords do not match")
            return first
        return input(f"{label}: ").strip()

    def handle(self, *args: Any, **options: Any) -> None:
        interactive: bool = options["interactive"]
        username = options["username"] or self._ask("username", interactive)
        email = options["email"] if options["email"] is not None else (
            self._ask("email", interactive) if interactive else ""
        )
        full_name = options["full_name"] if options["full_name"] is not None else (
            self._ask("full name / họ và tên", interactive) if interactive else "Quản trị cấp tỉnh"
        )
        password = options["password"] or self._ask("password", interactive, secret=True)
        province = province_unit_today(options["unit_code"])
        roles = [(Role.PROVINCE_ADMIN.value, province, None)] if province else []
        try:
            user = user_create_officer(
                username=username, full_name=full_name or "Quản trị cấp tỉnh", password=password, roles=roles,
                actor=None, email=email or "", is_superuser=True,
            )
        except DomainError as exc:
            extra = "" if exc.code == "weak_password" or not isinstance(exc.details, dict) else str(exc.details)
            raise CommandError(f"{exc.message} {extra}".strip()) from exc
        where = f"{province.name} ({province.code})" if province else "toàn hệ thống / whole system"
        self.stdout.write(f"Đã tạo quản trị cấp tỉnh / created province administrator: {user.username} — {where}")
        if not province:
            self.stderr.write(
                "Chưa có đơn vị cấp tỉnh còn hiệu lực; chưa gán vai trò province_admin / "
                "no province unit in force yet; province_admin role not assigned"
            )

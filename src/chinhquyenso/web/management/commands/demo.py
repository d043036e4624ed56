"""``chinhquyenso demo``: the An Giang demo — units, agencies, catalog, one user per role, sample dossiers.

Idempotent: a second run adds nothing and prints the logins without passwords (they are printed
once, when created; ``--reset-passwords`` makes and prints new ones).
"""

from __future__ import annotations

import importlib
import secrets
import string
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from chinhquyenso.accounts.models import Role, User
from chinhquyenso.accounts.services import user_create_citizen, user_create_officer, user_password_change
from chinhquyenso.units.models import Agency
from chinhquyenso.units.selectors import province_current, unit_get
from chinhquyenso.units.services import units_load_an_giang

DEMO_COMMUNE_CODE = "30337"  # Xã An Phú (new, from 01/7/2025)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    where: str  # "province", "commune" or an agency code


DEMO_USERS = [
    DemoUser("tinh.quantri", "Nguyễn Văn Quản", Role.PROVINCE_ADMIN, "province"),
    DemoUser("tinh.kiemtra", "Trần Thị Kiểm", Role.AUDITOR, "province"),
    DemoUser("trungtam.motcua", "Lê Thị Tiếp", Role.ONE_STOP_OFFICER, "H01.20"),
    DemoUser("sotuphap.chuyenvien", "Phạm Văn Pháp", Role.PROCESSING_OFFICER, "H01.04"),
    DemoUser("sotuphap.lanhdao", "Võ Minh Đạo", Role.LEADER, "H01.04"),
    DemoUser("anphu.motcua", "Huỳnh Thị Cửa", Role.ONE_STOP_OFFICER, "commune"),
    DemoUser("anphu.chuyenvien", "Đặng Văn Xử", Role.PROCESSING_OFFICER, "commune"),
    DemoUser("anphu.lanhdao", "Bùi Thanh Lãnh", Role.LEADER, "commune"),
    DemoUser("anphu.quantri", "Ngô Văn Trị", Role.UNIT_ADMIN, "commune"),
]
DEMO_CITIZEN = DemoUser("congdan.demo", "Nguyễn Thị Dân", Role.CITIZEN, "")


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def _optional_step(module: str, func: str) -> Any:
    """Steps of apps that may not be installed in a trimmed deployment."""
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        return None


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu mẫu tỉnh An Giang: đơn vị, cơ quan, thủ tục, tài khoản mỗi vai trò, hồ sơ mẫu / "
        "load the An Giang demo: units, agencies, procedures, one account per role, sample dossiers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset-passwords", action="store_true",
                            help="Đặt lại và in mật khẩu mới / set and print new passwords")
        parser.add_argument("--no-dossiers", action="store_true", help="Không tạo hồ sơ mẫu / no sample dossiers")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = units_load_an_giang()
        self.stdout.write(f"Đơn vị hành chính, cơ quan / units, agencies: {counts}")
        load_procedures = _optional_step("chinhquyenso.procedures.services", "procedures_load_demo")
        if load_procedures is not None:
            self.stdout.write(f"Thủ tục hành chính / procedures: {load_procedures()}")
        created = self._users(reset=options["reset_passwords"])
        if not options["no_dossiers"]:
            load_dossiers = _optional_step("chinhquyenso.dossiers.demo", "dossiers_load_demo")
            if load_dossiers is not None:
                self.stdout.write(f"Hồ sơ mẫu / sample dossiers: {load_dossiers()}")
        self._print_logins(created)

    @transaction.atomic
    def _users(self, *, reset: bool) -> dict[str, str]:
        province = province_current()
        commune = unit_get(code=DEMO_COMMUNE_CODE, level="commune")
        passwords: dict[str, str] = {}
        for spec in [*DEMO_USERS, DEMO_CITIZEN]:
            existing = User.objects.filter(username=spec.username).first()
            password = _password()
            if existing is not None:
                if reset:
                    user_password_change(user=existing, new_password=password, actor=None)
                    passwords[spec.username] = password
                continue
            if spec.role == Role.CITIZEN:
                user_create_citizen(username=spec.username, full_name=spec.full_name, password=password,
                                    email="congdan.demo@example.invalid", phone="0912345678")
            else:
                unit, agency = province, None
                if spec.where == "commune":
                    unit = commune
                elif spec.where != "province":
                    agency = Agency.objects.get(code=spec.where)
                    unit = agency.unit
                user_create_officer(username=spec.username, full_name=spec.full_name, password=password,
                                    roles=[(spec.role, unit, agency)], actor=None)
            passwords[spec.username] = password
        return passwords

    def _print_logins(self, passwords: dict[str, str]) -> None:
        self.stdout.write("")
        self.stdout.write("Tài khoản mẫu / demo accounts (đăng nhập / sign in: http://127.0.0.1:8000/tai-khoan/dang-nhap/)")
        for spec in [*DEMO_USERS, DEMO_CITIZEN]:
            label = Role(spec.role).label
            pw = passwords.get(spec.username)
            shown = pw if pw else "(đã tạo trước đây; --reset-passwords để đặt lại / created earlier)"
            self.stdout.write(f"  {spec.username:<22} {label:<24} {shown}")
        if passwords:
            self.stdout.write(
                "Mật khẩu chỉ in một lần. Cán bộ cài ứng dụng xác thực (TOTP) ở lần đăng nhập đầu. / "
                "Passwords are printed once. Officers enrol a TOTP app at first sign-in."
            )

"""``chinhquyenso reset-totp USERNAME``: forget an officer's authenticator (lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.services import totp_device_reset


class Command(BaseCommand):
    help = (
        "Xóa ứng dụng xác thực của tài khoản, lần đăng nhập sau sẽ đăng ký lại / "
        "remove an account's authenticator app; it enrols again at next login"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản / no such account: {options['username']}") from exc
        count = totp_device_reset(user=user, actor=None)
        self.stdout.write(f"Đã xóa {count} thiết bị / removed {count} device(s)")

"""``chinhquyenso create-token USERNAME [--name N]``: print a new API token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.services import api_token_create
from chinhquyenso.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Tạo mã truy cập API cho tài khoản (chỉ in ra một lần) / "
        "create an API token for an account (printed once; only its hash is stored)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Tên đăng nhập / account user name")
        parser.add_argument("--name", default="", help="Tên gợi nhớ của mã / a label for the token")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản / no such account: {options['username']}") from exc
        try:
            token, raw = api_token_create(user=user, name=options["name"], actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
        self.stderr.write(
            f"Mã {token.prefix}… đã tạo; hãy lưu lại ngay, mã sẽ không hiển thị lại / "
            "token created; store it now, it will not be shown again."
        )

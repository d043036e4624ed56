"""``chinhquyenso revoke-token PREFIX``: revoke an API token by its lookup prefix."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.accounts.models import ApiToken
from chinhquyenso.accounts.selectors import TOKEN_PREFIX
from chinhquyenso.accounts.services import api_token_revoke
from chinhquyenso.core.errors import DomainError


class Command(BaseCommand):
    help = "Thu hồi mã truy cập API theo tiền tố / revoke an API token by its prefix (e.g. cqs_ab12cd34)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="8 ký tự sau cqs_ / the 8 characters after cqs_")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].removeprefix(TOKEN_PREFIX)[:8]
        tokens = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if len(tokens) != 1:
            raise CommandError(f"Không tìm thấy đúng một mã đang hiệu lực / no single live token: {prefix}")
        try:
            api_token_revoke(token=tokens[0], actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Đã thu hồi / revoked: {prefix}")

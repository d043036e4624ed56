"""``chinhquyenso load-procedures-demo``: the An Giang demo catalog (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chinhquyenso.procedures.services import procedures_load_demo


class Command(BaseCommand):
    help = "Nạp danh mục thủ tục mẫu của tỉnh An Giang / load the An Giang demo procedure catalog"

    def handle(self, *args: Any, **options: Any) -> None:
        count = procedures_load_demo()
        self.stdout.write(self.style.SUCCESS(f"Đã nạp {count} thủ tục hành chính mẫu."))

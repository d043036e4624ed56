from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.core.errors import DomainError
from chinhquyenso.units.services import units_load_an_giang


class Command(BaseCommand):
    help = (
        "Nạp đơn vị hành chính, thay đổi 01/7/2025 và cơ quan của tỉnh An Giang (chạy lại không tạo trùng) / "
        "Load An Giang's administrative units, the 1 July 2025 changes and agencies (safe to re-run)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = units_load_an_giang()
        except DomainError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from exc
        self.stdout.write(
            f"Đơn vị / units: +{result['units_created']} (tổng / total {result['units_total']}); "
            f"thay đổi / changes: +{result['changes_created']} (tổng / total {result['changes_total']}); "
            f"cơ quan / agencies: +{result['agencies_created']} (tổng / total {result['agencies_total']})."
        )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.files.models import StoredFile
from chinhquyenso.files.selectors import file_verify


class Command(BaseCommand):
    help = (
        "Kiểm tra toàn vẹn kho tệp: tính lại SHA-256 của từng tệp. "
        "Verify the file store: recompute the SHA-256 of every blob."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked = 0
        broken: list[str] = []
        for stored in StoredFile.objects.order_by("id").iterator(chunk_size=500):
            checked += 1
            if not file_verify(stored):
                broken.append(f"#{stored.pk} {stored.sha256}")
        if broken:
            raise CommandError(
                f"{len(broken)}/{checked} tệp bị thiếu hoặc bị thay đổi (missing or altered): " + ", ".join(broken[:20])
            )
        self.stdout.write(f"OK: {checked} tệp nguyên vẹn (all {checked} files intact).")

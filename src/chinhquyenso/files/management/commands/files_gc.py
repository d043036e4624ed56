from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from chinhquyenso.files.services import files_gc_orphans


class Command(BaseCommand):
    help = (
        "Dọn tệp không còn được tham chiếu (không khóa ngoại nào trỏ tới) và tệp tạm cũ. "
        "Delete stored files no foreign key points at, blobs without a row, and stale temp files."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=float, default=1.0,
                            help="Chỉ dọn tệp cũ hơn số ngày này / only files older than this many days")

    def handle(self, *args: Any, **options: Any) -> None:
        result = files_gc_orphans(older_than=timedelta(days=options["days"]))
        rows, blobs, temps = result.rows_deleted, result.blobs_deleted, result.temp_files_deleted
        self.stdout.write(
            f"Đã xóa {rows} tệp, {blobs} nội dung, {temps} tệp tạm "
            f"(deleted {rows} rows, {blobs} blobs, {temps} temp files)."
        )

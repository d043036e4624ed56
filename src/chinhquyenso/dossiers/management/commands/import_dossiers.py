"""``chinhquyenso import-dossiers FILE [--format jsonl|csv] [--batch N] [--agency-map CSV] [--fresh] [--workers N]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.core.errors import DomainError
from chinhquyenso.dossiers.importing import DEFAULT_BATCH, dossiers_import, read_agency_map


class Command(BaseCommand):
    help = (
        "Nhập hồ sơ lịch sử từ tệp JSON Lines hoặc CSV (tên trường đồng bộ Cổng DVCQG); bản ghi lỗi ghi vào "
        "TỆP.rejected.jsonl kèm lý do; chạy lại sau sự cố sẽ tiếp tục, không nhân đôi / Import historical "
        "dossiers (JSON Lines or CSV, national sync field names); restartable, rejected records go to a side file"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Tệp .jsonl hoặc .csv (docs/import.md)")
        parser.add_argument("--format", choices=["jsonl", "csv"], help="Bỏ qua đuôi tệp / override the extension")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                            help=f"Số bản ghi mỗi giao dịch (mặc định {DEFAULT_BATCH}) / records per transaction")
        parser.add_argument("--agency-map", type=Path,
                            help="CSV ma_cu,ma_moi: mã cơ quan của hệ thống cũ → mã cơ quan hiện hành")
        parser.add_argument("--fresh", action="store_true",
                            help="Bỏ điểm khôi phục, đọc lại từ đầu (hồ sơ đã có vẫn được bỏ qua) / "
                                 "ignore the checkpoint")
        parser.add_argument("--workers", type=int, default=1,
                            help="Số tiến trình nhập song song, mỗi tiến trình một phần tệp (chỉ PostgreSQL; mặc "
                                 "định 1) / parallel worker processes on a split file (PostgreSQL only)")
        parser.add_argument("--no-progress", action="store_true", help="Không hiện thanh tiến độ / no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            mapping = read_agency_map(options["agency_map"]) if options["agency_map"] else None
            report = dossiers_import(
                path=options["file"], fmt=options["format"], batch_size=options["batch"], agency_map=mapping,
                fresh=options["fresh"], progress=not options["no_progress"] and sys.stderr.isatty(),
                workers=options["workers"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp: {exc}") from None
        self.stdout.write(self.style.SUCCESS(report.summary_vi()))

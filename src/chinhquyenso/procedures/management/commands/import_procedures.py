"""``chinhquyenso import-procedures FILE [--dry-run]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.procedures.services import procedures_import


class Command(BaseCommand):
    help = (
        "Nhập danh mục thủ tục hành chính từ tệp JSON, CSV hoặc XLSX; kiểm tra mọi dòng trước, "
        "có lỗi thì không nhập gì / Import TTHC from a JSON, CSV or XLSX file; every row is checked "
        "first and nothing is imported if any row is bad"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Tệp .json, .csv hoặc .xlsx / the file to import")
        parser.add_argument("--dry-run", action="store_true",
                            help="Chỉ kiểm tra, không ghi / validate and simulate, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        report = procedures_import(path=options["file"], dry_run=options["dry_run"])
        if not report.ok:
            for problem in report.errors:
                self.stderr.write(str(problem))
            raise CommandError(report.summary_vi())
        self.stdout.write(self.style.SUCCESS(report.summary_vi()))
        for label, codes in (("Thêm mới", report.created), ("Cập nhật", report.updated)):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")

"""``chinhquyenso import-feedback FILE [--batch N]``: ratings of dossiers and petitions (PAKN)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.citizens.importing_feedback import DEFAULT_BATCH, feedback_import
from chinhquyenso.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Nhập đánh giá mức độ hài lòng của hồ sơ và phản ánh, kiến nghị (PAKN) từ tệp JSON Lines "
        "(TỆP.feedback.jsonl của lệnh generate, docs/import.md); bản ghi lỗi ghi vào TỆP.rejected.jsonl; chạy "
        "lại không nhân đôi / import dossier ratings and petitions; restartable, rejects go to a side file"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Tệp .jsonl (docs/import.md)")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                            help=f"Số bản ghi mỗi giao dịch (mặc định {DEFAULT_BATCH}) / records per transaction")
        parser.add_argument("--no-progress", action="store_true", help="Không in tiến độ / no progress lines")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = feedback_import(
                path=options["file"], batch_size=options["batch"],
                progress=None if options["no_progress"] or not sys.stderr.isatty() else sys.stderr,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp: {exc}") from None
        self.stdout.write(self.style.SUCCESS(report.summary_vi()))

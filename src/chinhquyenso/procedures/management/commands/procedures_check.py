"""``chinhquyenso procedures-check``: which TTHC lack one of the 7 public components."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chinhquyenso.procedures.selectors import procedures_incomplete


class Command(BaseCommand):
    help = (
        "Liệt kê thủ tục thiếu thành phần công khai bắt buộc (NĐ 63/2010 Đ8 k2; chỉ tiêu 1.3 QĐ 766) / "
        "List procedures missing any of the 7 mandatory public components"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fail", action="store_true",
                            help="Thoát mã 1 nếu có thủ tục thiếu / exit 1 when any is incomplete")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = procedures_incomplete()
        if not rows:
            self.stdout.write(self.style.SUCCESS("Mọi thủ tục đều công khai đủ 7 thành phần."))
            return
        for procedure, missing in rows:
            self.stdout.write(f"{procedure.code}\t{procedure.name}\tthiếu: {'; '.join(missing)}")
        self.stdout.write(self.style.WARNING(f"{len(rows)} thủ tục chưa công khai đầy đủ."))
        if options["fail"]:
            raise SystemExit(1)

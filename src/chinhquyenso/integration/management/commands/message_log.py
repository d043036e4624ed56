from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.core.errors import DomainError
from chinhquyenso.integration import message_log


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"ngày không hợp lệ / invalid date: {raw!r} (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Nhật ký thông điệp có ký số: kiểm tra chuỗi, xuất tệp lưu trữ, kiểm tra tệp lưu trữ. "
        "Signed message log: verify the chain, export an archive, verify an archive offline."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Kiểm tra chuỗi trong CSDL / verify the chain in the database")
        export = sub.add_parser("export", help="Xuất tệp lưu trữ / write an archive (zip)")
        export.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        export.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (inclusive)")
        export.add_argument("--out", required=True, help="FILE.zip")
        check = sub.add_parser("verify-archive", help="Kiểm tra tệp lưu trữ (không cần CSDL) / verify offline")
        check.add_argument("archive")
        check.add_argument("--public-key", default=None, help="PEM khóa công khai / public key PEM file")
        sub.add_parser("public-key", help="In khóa công khai / print the public key (PEM)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "public-key":
            self.stdout.write(message_log.public_key_pem(), ending="")
            return
        if action == "export":
            try:
                info = message_log.message_log_export(start=_day(options["date_from"]), end=_day(options["date_to"]),
                                                      out=Path(options["out"]))
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"{info.path}: {info.count} records (seq {info.first_seq}..{info.last_seq}), "
                              f"sha256 {info.sha256}")
            return
        if action == "verify":
            report = message_log.message_log_verify()
        else:
            pem = None
            if options["public_key"]:
                try:
                    pem = Path(options["public_key"]).read_text(encoding="ascii")
                except OSError as exc:
                    raise CommandError(str(exc)) from exc
            report = message_log.verify_archive(options["archive"], public_key_pem_text=pem)
        for note in report.notes:
            self.stderr.write(f"note: {note}")
        if report.ok:
            self.stdout.write(f"OK: {report.checked} records (seq {report.first_seq}..{report.last_seq})")
            return
        where = f"record seq {report.bad_seq}" if report.bad_seq is not None else "archive"
        self.stderr.write(f"FAILED at {where}: {report.reason} ({report.checked} records checked before it)")
        sys.exit(1)

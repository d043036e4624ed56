from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Kiểm tra chuỗi băm của nhật ký kiểm toán / Verify the audit log hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"Nhật ký kiểm toán bị thay đổi tại dòng #{report.first_broken_seq}: {report.reason} "
                f"(audit log broken at row #{report.first_broken_seq})"
            )
        self.stdout.write(f"OK: {report.rows_checked} dòng, chuỗi băm nguyên vẹn (hash chain intact).")

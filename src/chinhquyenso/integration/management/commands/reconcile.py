from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from chinhquyenso.integration.services import national_portal_reconcile


class Command(BaseCommand):
    help = (
        "Đối soát hồ sơ với Cổng DVCQG và gửi lại hồ sơ thiếu hoặc lệch. "
        "Reconcile dossiers with the national portal; re-enqueue missing or stale ones."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=float, default=None,
                            help="Chỉ hồ sơ có thay đổi trong N ngày / only dossiers changed in the last N days")
        parser.add_argument("--code", action="append", default=[], help="Mã hồ sơ (lặp lại được) / dossier code")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ báo cáo, không gửi lại / report only")

    def handle(self, *args: Any, **options: Any) -> None:
        since = timezone.now() - timedelta(days=options["days"]) if options["days"] else None
        report = national_portal_reconcile(since=since, codes=options["code"] or None,
                                           requeue=not options["dry_run"])
        out = self.stdout
        out.write(f"Đã kiểm tra / checked: {report.checked}")
        out.write(f"  khớp / in sync: {report.in_sync}")
        out.write(f"  đang gửi / in progress: {report.in_progress}")
        out.write(f"  thiếu trên Cổng / missing: {len(report.missing)}")
        out.write(f"  lệch trạng thái / stale: {len(report.stale)}")
        out.write(f"  Cổng mới hơn / portal ahead: {len(report.ahead)}")
        out.write(f"  đã gửi lại / re-enqueued: {report.requeued}")
        out.write(f"  thư chết / dead letters: {report.dead_letters}")
        out.write(f"  lỗi đọc / read errors: {report.errors}")
        for label, codes in (("missing", report.missing), ("stale", report.stale), ("ahead", report.ahead)):
            if codes:
                shown = ", ".join(codes[:20]) + (" …" if len(codes) > 20 else "")
                out.write(f"  {label}: {shown}")
        if report.aborted:
            self.stderr.write(f"Dừng sớm / aborted: {report.aborted}")

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chinhquyenso.core.errors import DomainError
from chinhquyenso.payments.gateway import gateway_names
from chinhquyenso.payments.models import DiscrepancyKind
from chinhquyenso.payments.services import reconciliation_run


class Command(BaseCommand):
    help = (
        "Đối soát giao dịch của cổng thanh toán trong một ngày với các khoản đã ghi nhận: cổng đã thu mà hệ thống "
        "chưa ghi nhận, hệ thống ghi nhận mà cổng không có, số tiền không khớp. "
        "Reconcile one day of gateway transactions with our recorded payments."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="Ngày YYYY-MM-DD (mặc định: hôm qua) / day, default yesterday")
        parser.add_argument("--gateway", default="all",
                            help="local | national | all (mặc định tất cả / default all enabled gateways)")
        parser.add_argument("--fail-on-discrepancy", action="store_true",
                            help="Thoát mã 1 khi có chênh lệch / exit 1 when differences are found")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else (
                timezone.localdate() - timedelta(days=1))
        except ValueError as exc:
            raise CommandError("--date phải có dạng YYYY-MM-DD / --date must be YYYY-MM-DD") from exc
        names = gateway_names() if options["gateway"] == "all" else [options["gateway"]]
        found = 0
        for name in names:
            try:
                run = reconciliation_run(day=day, gateway_name=name, actor=None)
            except DomainError as exc:
                raise CommandError(f"{name}: {exc.message}") from exc
            items = list(run.items.all())
            found += len(items)
            self.stdout.write(f"{name} {day:%d/%m/%Y}: {run.gateway_count} giao dịch / transactions, "
                              f"{run.matched_count} khớp / matched, {len(items)} chênh lệch / differences")
            for item in items:
                label = DiscrepancyKind(item.kind).label
                self.stdout.write(f"  - [{item.kind}] {label}: {item.transaction_id or '-'} "
                                  f"{item.bill_reference or '-'} cổng={item.gateway_amount} hệ thống={item.our_amount}")
        if found and options["fail_on_discrepancy"]:
            raise CommandError(f"{found} chênh lệch cần xử lý / differences to resolve")

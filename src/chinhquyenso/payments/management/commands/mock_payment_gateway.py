from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.payments.conf import gateway_configs
from chinhquyenso.payments.mock_gateway import FAULT_MODES, MockGateway


class Command(BaseCommand):
    help = (
        "Cổng thanh toán giả lập (chỉ trên loopback), có chế độ gây lỗi: gửi hai lần, gửi muộn, sai thứ tự, "
        "sai số tiền, không gửi. Mock payment gateway (loopback only) with fault modes: twice, late, "
        "out_of_order, wrong_amount, drop."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Địa chỉ loopback / loopback address")
        parser.add_argument("--port", type=int, default=8790, help="Cổng / port (default 8790)")
        parser.add_argument("--mode", default="none", choices=FAULT_MODES,
                            help="Chế độ gây lỗi / fault mode (default none)")
        parser.add_argument("--late-seconds", type=float, default=5.0,
                            help="Độ trễ khi gửi muộn / delay of the 'late' mode in seconds (default 5)")
        parser.add_argument("--wrong-amount-delta", type=int, default=1000,
                            help="Chênh lệch số tiền / amount added in 'wrong_amount' mode (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        merchants = {name: config.secret for name, config in gateway_configs().items()}
        try:
            mock = MockGateway(host=options["host"], port=options["port"], merchants=merchants,
                               mode=options["mode"], late_seconds=options["late_seconds"],
                               wrong_amount_delta=options["wrong_amount_delta"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"mock payment gateway: {mock.url} mode={options['mode']} (Ctrl+C to stop)")
        try:
            mock.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            mock.server.close_timers()
            mock.server.server_close()
            self.stdout.write("mock payment gateway stopped")

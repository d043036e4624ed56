from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.notifications.mock_sms import MockSmsGateway


class Command(BaseCommand):
    help = (
        "Cổng SMS giả lập (chỉ trên loopback), ghi lại tin nhắn nhận được, có gây lỗi chủ động. "
        "Mock SMS gateway (loopback only) that records received messages, with fault injection."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Địa chỉ loopback / loopback address")
        parser.add_argument("--port", type=int, default=8766, help="Cổng / port (default 8766)")
        parser.add_argument("--seed", type=int, default=None, help="Hạt giống ngẫu nhiên / RNG seed")
        parser.add_argument("--fail-rate", type=float, default=0.0,
                            help="Tỷ lệ trả HTTP 503 / share of requests answered with HTTP 503")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            gateway = MockSmsGateway(host=options["host"], port=options["port"], seed=options["seed"],
                                     fail_rate=options["fail_rate"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"mock SMS gateway: {gateway.url} (Ctrl+C to stop)")
        try:
            gateway.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.server.server_close()
            self.stdout.write(f"mock SMS gateway stopped: {gateway.stats()}")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.integration.mock_portal import MockPortal
from chinhquyenso.integration.national_portal import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


class Command(BaseCommand):
    help = (
        "Cổng DVCQG giả lập (chỉ trên loopback) có gây lỗi chủ động để kiểm thử đồng bộ. "
        "Mock national portal (loopback only) with fault injection, for sync tests and benchmarks."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Địa chỉ loopback / loopback address")
        parser.add_argument("--port", type=int, default=8765, help="Cổng / port (default 8765)")
        parser.add_argument("--seed", type=int, default=None, help="Hạt giống ngẫu nhiên / RNG seed")
        parser.add_argument("--fail-rate", type=float, default=0.0, help="Tỷ lệ trả HTTP 500 / share of HTTP 500")
        parser.add_argument("--rate-limit-rate", type=float, default=0.0, help="Tỷ lệ trả 429 / share of HTTP 429")
        parser.add_argument("--latency-ms", type=float, default=0.0, help="Độ trễ mỗi yêu cầu / latency per request")
        parser.add_argument("--timeout-rate", type=float, default=0.0,
                            help="Tỷ lệ treo quá thời gian chờ / share of requests that sleep past the client timeout")
        parser.add_argument("--timeout-sleep-ms", type=float, default=12_000.0,
                            help="Thời gian treo / how long a 'timeout' request sleeps (default 12000)")
        parser.add_argument("--garbled-rate", type=float, default=0.0,
                            help="Tỷ lệ phản hồi hỏng / share of responses with an invalid JSON body")
        parser.add_argument("--outage-seconds", type=float, default=0.0,
                            help="Ngừng hoạt động N giây sau khi khởi động / down for N seconds after start")
        parser.add_argument("--token-ttl", type=float, default=3600.0, help="Thời hạn mã truy cập / token lifetime (s)")
        parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            portal = MockPortal(
                host=options["host"], port=options["port"], seed=options["seed"],
                outage_seconds=options["outage_seconds"], token_ttl_seconds=options["token_ttl"],
                client_id=options["client_id"], client_secret=options["client_secret"],
                fail_rate=options["fail_rate"], rate_limit_rate=options["rate_limit_rate"],
                latency_ms=options["latency_ms"], timeout_rate=options["timeout_rate"],
                timeout_sleep_ms=options["timeout_sleep_ms"], garbled_rate=options["garbled_rate"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"mock national portal: {portal.url} (Ctrl+C to stop)")
        try:
            portal.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            portal.server.server_close()
            self.stdout.write(f"mock national portal stopped: {portal.stats()}")

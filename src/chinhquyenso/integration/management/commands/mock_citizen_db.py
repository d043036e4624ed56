from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chinhquyenso.integration.mock_citizen_db import DEFAULT_TOKEN, MockCitizenDB


class Command(BaseCommand):
    help = (
        "CSDL quốc gia về dân cư giả lập (chỉ trên loopback), trả thông tin công dân thử nghiệm. "
        "Mock national population database (loopback only) answering made-up test identities."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Địa chỉ loopback / loopback address")
        parser.add_argument("--port", type=int, default=8766, help="Cổng / port (default 8766)")
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="Mã truy cập yêu cầu / required bearer token")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            mock = MockCitizenDB(host=options["host"], port=options["port"], token=options["token"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"mock citizen database: {mock.url} (Ctrl+C to stop)")
        try:
            mock.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            mock.server.server_close()
            self.stdout.write(f"mock citizen database stopped after {mock.lookups} lookups")

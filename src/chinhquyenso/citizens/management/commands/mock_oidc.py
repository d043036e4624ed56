"""``chinhquyenso mock-oidc --port 8900``: a stand-in for VNeID on loopback, for development."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.citizens.mock_oidc import LOOPBACK, MockIdentity, MockOidcProvider


class Command(BaseCommand):
    help = ("Chạy nhà cung cấp định danh OpenID Connect giả lập (thay VNeID) trên loopback / "
            "Run a mock OpenID Connect provider (VNeID stand-in) on loopback")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Địa chỉ loopback / loopback address")
        parser.add_argument("--port", type=int, default=8900, help="Cổng / port (0 = any free port)")
        parser.add_argument("--client-id", default="chinhquyenso", help="client_id được chấp nhận / accepted client_id")
        parser.add_argument("--client-secret", default="mock-secret", help="client_secret / client secret")
        parser.add_argument("--redirect-uri", action="append", default=[],
                            help="URI chuyển hướng được phép (lặp lại được) / allowed redirect URI (repeatable)")
        parser.add_argument("--sub", default="",
                            help="Tự động đồng ý cho danh tính này / auto-approve this identity (sub); "
                                 "empty = show a form")
        parser.add_argument("--name", default="Nguyễn Văn Thử", help="Họ tên / full name (with --sub)")
        parser.add_argument("--email", default="", help="Thư điện tử / e-mail (with --sub)")
        parser.add_argument("--phone", default="", help="Số điện thoại / phone (with --sub)")
        parser.add_argument("--seconds", type=float, default=0,
                            help="Tự dừng sau số giây này (0 = chạy đến khi Ctrl-C) / stop after N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["host"] not in LOOPBACK:
            raise CommandError("Chỉ chạy trên loopback (127.0.0.1, ::1) / loopback addresses only")
        identity = None
        if options["sub"]:
            identity = MockIdentity(sub=options["sub"], name=options["name"], email=options["email"],
                                    phone_number=options["phone"])
        provider = MockOidcProvider(
            host=options["host"], port=options["port"], client_id=options["client_id"],
            client_secret=options["client_secret"], identity=identity,
            redirect_uris=tuple(options["redirect_uri"]),
        ).start()
        self.stdout.write(f"Mock OIDC issuer: {provider.issuer}")
        self.stdout.write("Đặt biến môi trường cho máy chủ web / set these for the web server:")
        self.stdout.write(f"  CHINHQUYENSO_OIDC_ISSUER={provider.issuer}")
        self.stdout.write(f"  CHINHQUYENSO_OIDC_CLIENT_ID={provider.client_id}")
        self.stdout.write(f"  CHINHQUYENSO_OIDC_CLIENT_SECRET={provider.client_secret}")
        self.stdout.flush()
        deadline = time.monotonic() + options["seconds"] if options["seconds"] > 0 else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            provider.stop()
            self.stdout.write("Đã dừng / stopped")

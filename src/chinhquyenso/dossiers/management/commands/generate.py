"""``chinhquyenso generate --dossiers N --year Y --seed S --out FILE [--rate NAME=VALUE ...]``."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chinhquyenso.core.errors import DomainError
from chinhquyenso.dossiers.generate import Rates, dossiers_generate, feedback_path, rates_with


class Command(BaseCommand):
    help = (
        "Sinh dữ liệu hồ sơ tổng hợp của một tỉnh trong một năm, theo định dạng nhập (docs/import.md); cùng "
        "hạt giống cho cùng kết quả / write a synthetic province-year of dossiers in the import format"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, required=True, help="Số hồ sơ / number of dossiers")
        parser.add_argument("--year", type=int, required=True, help="Năm tiếp nhận / year of receipt")
        parser.add_argument("--seed", type=int, default=1, help="Hạt giống ngẫu nhiên / random seed")
        parser.add_argument("--out", type=Path, required=True, help="Tệp ra .jsonl hoặc .csv / output file")
        parser.add_argument("--feedback", type=Path,
                            help="Tệp đánh giá và PAKN (mặc định TỆP.feedback.jsonl) / ratings and petitions file")
        parser.add_argument("--no-feedback", action="store_true",
                            help="Không sinh đánh giá, PAKN / no ratings or petitions")
        names = ", ".join(f.name for f in fields(Rates))
        parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                            help=f"Đổi một tỷ lệ mặc định / override a rate ({names})")

    def handle(self, *args: Any, **options: Any) -> None:
        overrides: dict[str, float] = {}
        for item in options["rate"]:
            name, sep, value = item.partition("=")
            try:
                if not sep:
                    raise ValueError(item)
                overrides[name.strip()] = float(value)
            except ValueError:
                raise CommandError(f"--rate phải có dạng TÊN=GIÁ_TRỊ, nhận «{item}».") from None
        if options["dossiers"] < 0:
            raise CommandError("--dossiers phải ≥ 0.")
        try:
            rates = rates_with(overrides)
            written = dossiers_generate(count=options["dossiers"], year=options["year"], seed=options["seed"],
                                        out=options["out"], rates=rates, feedback=options["feedback"],
                                        with_feedback=not options["no_feedback"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        message = f"Đã ghi {written:,} hồ sơ vào {options['out']}".replace(",", ".")
        if not options["no_feedback"]:
            message += f"; đánh giá và PAKN vào {options['feedback'] or feedback_path(options['out'])}"
        self.stdout.write(self.style.SUCCESS(message + "."))

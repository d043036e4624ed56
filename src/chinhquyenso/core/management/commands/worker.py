from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from chinhquyenso.core import jobs

log = logging.getLogger("chinhquyenso.worker")


class Command(BaseCommand):
    help = (
        "Tiến trình nền: chạy các tác vụ định kỳ (gửi hàng đợi, nhắc hạn, dọn dẹp). "
        "Background worker: runs periodic jobs (outbox delivery, escalation, clean-up). Stops cleanly on SIGTERM."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Chạy mỗi tác vụ một lần rồi dừng / run each job once")
        parser.add_argument("--tick", type=float, default=1.0, help="Giây giữa hai vòng / seconds between loops")
        parser.add_argument(
            "--only", action="append", default=[], metavar="JOB",
            help="Chỉ chạy tác vụ này (lặp lại được) / run only this job (repeatable), e.g. --only outbox-drain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = {"flag": False}

        def _stop(signum: int, frame: Any) -> None:
            log.info("worker: signal %s received, finishing the current job", signum)
            stopping["flag"] = True

        selected = jobs.registered()
        if options["only"]:
            known = {j.name for j in selected}
            unknown = sorted(set(options["only"]) - known)
            if unknown:
                raise CommandError(f"unknown job(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
            selected = [j for j in selected if j.name in options["only"]]
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        names = ", ".join(j.name for j in selected) or "(none)"
        self.stdout.write(f"worker: jobs {names}")
        while not stopping["flag"]:
            for job in selected:
                if stopping["flag"]:
                    break
                now = time.monotonic()
                if not options["once"] and now - job.last_run < job.every_seconds:
                    continue
                job.last_run = now
                close_old_connections()
                try:
                    job.func()
                except Exception:
                    log.exception("worker: job %s failed", job.name)
            if options["once"]:
                break
            time.sleep(options["tick"])
        self.stdout.write("worker: stopped")

from django.apps import AppConfig


def _housekeeping() -> None:
    """Daily clean-up: expired sessions and idempotency records older than a week."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from chinhquyenso.core.idempotency import idempotency_purge

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    idempotency_purge(older_than=timedelta(days=7))


class CoreConfig(AppConfig):
    name = "chinhquyenso.core"
    label = "core"
    verbose_name = "Lõi nền tảng"

    def ready(self) -> None:
        from chinhquyenso.core import jobs

        jobs.register("housekeeping", _housekeeping, every_seconds=24 * 3600)

from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "chinhquyenso.notifications"
    label = "notifications"
    verbose_name = "Thông báo cho công dân (thư điện tử, SMS)"

    def ready(self) -> None:
        from chinhquyenso.core import jobs, projectors
        from chinhquyenso.integration import delivery_registry
        from chinhquyenso.notifications import channels, services
        from chinhquyenso.notifications.messages import TOPIC_EMAIL, TOPIC_SMS

        projectors.register("dossier", "notifications.citizen", services.project_dossier_event)
        delivery_registry.register(TOPIC_EMAIL, channels.send_email, timeout=channels.EMAIL_TIMEOUT_SECONDS)
        delivery_registry.register(TOPIC_SMS, channels.send_sms, timeout=channels.sms_timeout())
        jobs.register("notify-drain", services.notify_drain_job, every_seconds=2)

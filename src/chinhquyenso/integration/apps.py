from __future__ import annotations

from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "chinhquyenso.integration"
    label = "integration"
    verbose_name = "Tích hợp, đồng bộ Cổng DVCQG"

    def ready(self) -> None:
        from chinhquyenso.core import jobs, projectors
        from chinhquyenso.integration import services

        projectors.register("dossier", "integration.national_portal", services.project_dossier_event)
        jobs.register("outbox-drain", services.outbox_drain_job, every_seconds=1)
        jobs.register("reconcile", services.reconcile_job, every_seconds=3600)

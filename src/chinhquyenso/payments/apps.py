from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "chinhquyenso.payments"
    label = "payments"
    verbose_name = "Thanh toán phí, lệ phí"

    def ready(self) -> None:
        from chinhquyenso.core import jobs, projectors
        from chinhquyenso.payments import services

        # Bills follow the dossier: raised when a stage's fees fall due, cancelled when it ends.
        projectors.register("dossier", "payments.bills", services.project_dossier_event)
        # Đối soát hằng ngày: yesterday's gateway transactions, once per gateway and day.
        jobs.register("reconcile-payments", services.reconciliation_daily_job,
                      every_seconds=services.RECONCILE_JOB_EVERY_SECONDS)

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "chinhquyenso.payments"
    label = "payments"
    verbose_name = "Thanh toán phí, lệ phí"

    def ready(self) -> None:
        from chinhquyenso.core import projectors
        from chinhquyenso.payments import services

        # Bills follow the dossier: raised when a stage's fees fall due, cancelled when it ends.
        projectors.register("dossier", "payments.bills", services.project_dossier_event)

from __future__ import annotations

from django.apps import AppConfig


class CitizensConfig(AppConfig):
    """Phía công dân: tài khoản, định danh điện tử (OIDC/VNeID), nộp hồ sơ trực tuyến, kho giấy tờ,
    tra cứu công khai, đánh giá mức độ hài lòng."""

    name = "chinhquyenso.citizens"
    label = "citizens"
    verbose_name = "Công dân"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chinhquyenso.citizens import projectors
        from chinhquyenso.core import projectors as registry

        registry.register("dossier", "citizens.document_store", projectors.document_store_project)
        registry.register("payment_receipt", "citizens.receipt_store", projectors.receipt_store_project)

        from chinhquyenso.citizens.counter import NAME, CitizenStoreSource
        from chinhquyenso.core import counter_documents

        counter_documents.register(NAME, CitizenStoreSource())

        from chinhquyenso.citizens import ratelimit
        from chinhquyenso.core import jobs

        jobs.register("citizens-ratelimit-prune", ratelimit.prune, every_seconds=300)

        from chinhquyenso.citizens.selectors import dossiers_rated_unsatisfied
        from chinhquyenso.indicators.rollups import register_flag_source

        register_flag_source("unsatisfied", "citizens.ratings", dossiers_rated_unsatisfied)

from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "chinhquyenso.indicators"
    label = "indicators"
    verbose_name = "Chỉ số 766"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chinhquyenso.indicators import computations_catalog, rollups

        rollups.register_projectors()
        computations_catalog.register_all()

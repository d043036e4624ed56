from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "chinhquyenso.indicators"
    label = "indicators"
    verbose_name = "Chỉ số 766"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chinhquyenso.web"
    label = "web"
    verbose_name = "Giao diện web"

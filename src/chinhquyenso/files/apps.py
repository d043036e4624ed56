from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "chinhquyenso.files"
    label = "files"
    verbose_name = "Tệp và số hóa"

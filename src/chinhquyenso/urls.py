import importlib.util

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from django_otp.admin import OTPAdminSite

from chinhquyenso.accounts.views import admin_login
from chinhquyenso.api import build_api
from chinhquyenso.core.views import healthz

# Each app with a ``urls`` module is mounted under its Vietnamese prefix.
APP_URL_PREFIXES = {
    "accounts": "tai-khoan/",
    "units": "don-vi/",
    "workdays": "lich-lam-viec/",
    "files": "tep/",
    "procedures": "thu-tuc/",
    "dossiers": "ho-so/",
    "payments": "thanh-toan/",
    "integration": "tich-hop/",
    "indicators": "chi-so/",
    "citizens": "cong-dan/",
    "feedback": "phan-anh-kien-nghi/",
}

# The admin site requires the same second factor as every officer page.
admin.site.__class__ = OTPAdminSite
admin.site.login = admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", build_api().urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("quan-tri/", admin.site.urls),
]


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


for _app, _prefix in APP_URL_PREFIXES.items():
    if _has_module(f"chinhquyenso.{_app}.urls"):
        urlpatterns.append(path(_prefix, include(f"chinhquyenso.{_app}.urls")))
urlpatterns.append(path("", include("chinhquyenso.web.urls")))


from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from chinhquyenso.api import build_api
from chinhquyenso.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", build_api().urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("quan-tri/", admin.site.urls),
    path("tai-khoan/", include("chinhquyenso.accounts.urls")),
    path("", include("chinhquyenso.web.urls")),
]



"""The project's URLs plus two officer pages guarded by ``officer_required``."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from chinhquyenso.accounts.decorators import OfficerRequiredMixin, officer_required
from chinhquyenso.accounts.models import Role
from chinhquyenso.urls import urlpatterns as project_urlpatterns


@officer_required
def any_officer(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hộp thư cán bộ")


@officer_required(Role.LEADER)
def leaders_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("trang lãnh đạo")


class LeaderPage(OfficerRequiredMixin, View):
    officer_roles = (Role.LEADER,)

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("trang lãnh đạo (class)")


urlpatterns = [
    path("test/can-bo/", any_officer),
    path("test/lanh-dao/", leaders_only),
    path("test/lanh-dao-cbv/", LeaderPage.as_view()),
    *project_urlpatterns,
]

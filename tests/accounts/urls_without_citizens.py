"""The project's URLs without the citizen portal (a deployment that does not install it)."""

from chinhquyenso.urls import urlpatterns as project_urlpatterns

urlpatterns = [p for p in project_urlpatterns if str(p.pattern) != "cong-dan/"]

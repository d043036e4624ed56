from django.urls import path

from chinhquyenso.integration import views

app_name = "integration"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("thong-diep/<int:pk>/gui-lai/", views.retry_message, name="retry"),
    path("thong-diep/<int:pk>/huy/", views.cancel_message, name="cancel"),
    path("dich-vu-du-lieu/", views.data_services_page, name="data_services"),
]

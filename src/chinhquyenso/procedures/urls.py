from django.urls import path

from chinhquyenso.procedures import views

app_name = "procedures"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<str:code>/", views.detail, name="detail"),
]

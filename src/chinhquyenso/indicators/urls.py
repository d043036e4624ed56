from django.urls import path

from chinhquyenso.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.what_if, name="what_if"),
    path("dinh-nghia/", views.definitions, name="definitions"),
]

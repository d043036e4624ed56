from django.urls import path

from chinhquyenso.units import views

app_name = "units"
urlpatterns = [
    path("", views.commune_list, name="commune_list"),
]

from django.urls import path

from chinhquyenso.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.what_if, name="what_if"),
    path("dinh-nghia/", views.definitions, name="definitions"),
    path("cong-khai/", views.public_scorecard, name="public"),
    path("bang-diem/", views.scorecard, name="scorecard"),
    path("bang-diem/tai-ve.<str:fmt>", views.scorecard_export, name="scorecard_export"),
    path("bang-diem/chi-tiet/<str:code>/", views.drill, name="drilldown"),
    path("xep-hang/", views.ranking_page, name="ranking"),
    path("xep-hang/tai-ve.<str:fmt>", views.ranking_export, name="ranking_export"),
]

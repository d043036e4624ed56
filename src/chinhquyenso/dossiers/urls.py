"""Officer pages under /ho-so/ (see views.py). Fixed paths come before ``<code>/``."""

from django.urls import path

from chinhquyenso.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tiep-nhan/", views.receive, name="receive"),
    path("truc-tuyen/", views.online, name="online"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/giay-tiep-nhan/", views.receipt, name="receipt"),
    path("<str:code>/thao-tac/<str:name>/", views.action, name="action"),
    path("<str:code>/bieu-mau/<str:number>/", views.form, name="form"),
    path("<str:code>/thanh-phan/<int:pk>/tep/", views.component_file, name="component_file"),
    path("<str:code>/ket-qua/<int:pk>/tep/", views.result_file, name="result_file"),
]

from django.urls import path

from chinhquyenso.citizens import views

app_name = "citizens"
urlpatterns = [
    path("", views.home, name="home"),
    path("", views.home, name="my_dossiers"),  # the name the site navigation uses
    path("dang-ky/", views.register, name="register"),
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-nhap/ma-xac-thuc/", views.totp_verify, name="totp_verify"),
    path("dinh-danh/", views.eid_start, name="eid_start"),
    path("dinh-danh/ket-qua/", views.eid_callback, name="eid_callback"),
    path("dinh-danh/<int:pk>/huy-lien-ket/", views.eid_unlink, name="eid_unlink"),
    path("tai-khoan/", views.account, name="account"),
    path("tai-khoan/xac-thuc-hai-lop/", views.totp_setup, name="totp_setup"),
    path("tai-khoan/xac-thuc-hai-lop/tat/", views.totp_disable, name="totp_disable"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier_detail"),
    path("ho-so/<str:code>/danh-gia/", views.dossier_rate, name="dossier_rate"),
    path("ho-so/<str:code>/rut-ho-so/", views.dossier_withdraw, name="dossier_withdraw"),
    path("ho-so/<str:code>/thanh-phan/<int:pk>/", views.component_download, name="component_download"),
    path("ho-so/<str:code>/ket-qua/<int:pk>/", views.result_download, name="result_download"),
    path("kho-giay-to/", views.documents, name="documents"),
    path("kho-giay-to/<int:pk>/", views.document_download, name="document_download"),
    path("kho-giay-to/<int:pk>/xoa/", views.document_delete, name="document_delete"),
    path("nop-ho-so/", views.submit_search, name="submit_search"),
    path("nop-ho-so/<str:procedure_code>/", views.submit_new, name="submit_new"),
    path("ho-so-nhap/<int:pk>/", views.draft_edit, name="draft_edit"),
    path("ho-so-nhap/<int:pk>/xem-lai/", views.draft_review, name="draft_review"),
    path("ho-so-nhap/<int:pk>/xoa/", views.draft_delete, name="draft_delete"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("quay/tai-su-dung/", views.counter_reuse, name="counter_reuse"),  # one-stop officers
]

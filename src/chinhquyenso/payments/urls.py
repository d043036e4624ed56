from django.urls import path

from chinhquyenso.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.my_bills, name="my_bills"),
    path("hoa-don/<str:slug>/", views.bill_page, name="bill"),
    path("hoa-don/<str:slug>/thanh-toan/", views.bill_checkout, name="bill_checkout"),
    path("hoa-don/<str:slug>/ket-qua/", views.bill_return, name="bill_return"),
    path("hoa-don/<str:slug>/vietqr.svg", views.vietqr_svg, name="vietqr_svg"),
    path("hoa-don/<str:slug>/vietqr.png", views.vietqr_png, name="vietqr_png"),
    path("hoa-don/<str:slug>/bien-lai.pdf", views.receipt_pdf, name="receipt"),
    path("can-bo/", views.officer_bills, name="officer_bills"),
    path("can-bo/hoa-don/<str:slug>/tien-mat/", views.officer_cash, name="officer_cash"),
    path("can-bo/hoa-don/<str:slug>/huy/", views.officer_cancel, name="officer_cancel"),
    path("can-bo/doi-soat/", views.officer_reconciliation, name="officer_reconciliation"),
    path("can-bo/doi-soat/<int:pk>/xu-ly/", views.officer_resolve, name="officer_resolve"),
]

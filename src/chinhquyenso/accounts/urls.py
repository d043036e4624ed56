from django.contrib.auth import views as auth_views
from django.urls import path

from chinhquyenso.accounts import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("xac-thuc/", views.otp_verify, name="otp_verify"),
    path("xac-thuc/dang-ky/", views.otp_setup, name="otp_setup"),
    path("doi-mat-khau/", views.password_change, name="password_change"),
]

"""Login (password, then TOTP for officers), logout, password change, lockout page."""

from __future__ import annotations

import base64
from typing import Any

import django_otp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from chinhquyenso.accounts.decorators import forbidden, otp_step_url
from chinhquyenso.accounts.models import User
from chinhquyenso.accounts.passwords import password_problems
from chinhquyenso.accounts.selectors import otp_required, otp_satisfied, otp_verified, totp_device_confirmed
from chinhquyenso.accounts.services import (
    totp_device_begin,
    totp_device_confirm,
    totp_token_verify,
    user_password_change,
)
from chinhquyenso.core.errors import DomainError


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """Shown (HTTP 429) after too many failed logins for this username and address."""
    return render(request, "accounts/locked.html", status=429)


def _next_url(request: HttpRequest, default: str = "") -> str:
    """A same-site ``next`` from the query or form, else ``default`` (the home page)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("web:home")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng."),
        "inactive": _("Tài khoản này đã bị vô hiệu hóa."),
    }


#: Session flag the citizen portal sets after an e-ID (OpenID Connect) login, whose own factors
#: replace the optional TOTP step (``citizens.views.SESSION_EID_LOGIN``). A password login here
#: clears it, so the second factor is asked again.
CITIZEN_EID_SESSION_KEY = "citizens_eid_login"


def citizen_second_factor_pending(user: Any) -> bool:
    """A citizen (not an officer) who enabled TOTP and has not entered a code in this session."""
    return (bool(getattr(user, "is_citizen", False)) and not otp_required(user)
            and totp_device_confirmed(user) is not None and not otp_verified(user))


def citizen_otp_step_url(next_url: str) -> str:
    """The citizen portal's code step (``citizens:totp_verify``); without the portal installed,
    this app's own code step, which asks citizens who enabled TOTP too."""
    try:
        path = reverse("citizens:totp_verify")
    except NoReverseMatch:
        path = reverse("accounts:otp_verify")
    return f"{path}?{urlencode({'next': next_url})}"


class LoginView(auth_views.LoginView):
    """Bước 1: user name and password (axes counts failures). Officers continue to the TOTP step;
    a citizen who enabled TOTP continues to the citizen portal's code step (never let in without
    it, never sent to the officer enrolment)."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session.pop(CITIZEN_EID_SESSION_KEY, None)  # a password login: the code is asked again
        return response

    def get_success_url(self) -> str:
        url = super().get_success_url()
        user = self.request.user
        if otp_required(user) and not otp_verified(user):
            return otp_step_url(user, url)
        if citizen_second_factor_pending(user):
            return citizen_otp_step_url(url)
        return url


class VietnamesePasswordChangeForm(PasswordChangeForm):
    error_messages = {
        "password_mismatch": _("Hai mật khẩu mới không khớp nhau."),
        "password_incorrect": _("Mật khẩu hiện tại không đúng."),
    }

    def validate_password_for_user(self, user: Any, password_field_name: str = "password2") -> None:  # noqa: S107
        password = self.cleaned_data.get(password_field_name)
        if password:
            for problem in password_problems(password, user):
                self.add_error(password_field_name, problem)


class OtpCodeForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        min_length=6,
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


def _signed_in_or_login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Bước 2: the 6-digit code from the authenticator app."""
    if (blocked := _signed_in_or_login(request)) is not None:
        return blocked
    user = request.user
    assert isinstance(user, User)
    next_url = _next_url(request)
    if otp_satisfied(user) and not citizen_second_factor_pending(user):
        return redirect(next_url)
    if totp_device_confirmed(user) is None:
        return redirect(otp_step_url(user, next_url))
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_token_verify(user=user, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def _qr_data_uri(url: str) -> str:
    """The otpauth:// link as an SVG QR code in a data: URI (CSP allows img data:, no script)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2))


def _grouped_secret(device: Any) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Đăng ký xác thực hai lớp: scan the QR (or type the key) into an authenticator app, then
    confirm with its first code. Only before a device is confirmed."""
    if (blocked := _signed_in_or_login(request)) is not None:
        return blocked
    user = request.user
    assert isinstance(user, User)
    next_url = _next_url(request)
    if not otp_required(user):
        return redirect(next_url)
    if totp_device_confirmed(user) is not None:
        return redirect(otp_step_url(user, next_url))
    device = totp_device_begin(user=user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_device_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            messages.success(request, _("Đã bật xác thực hai lớp cho tài khoản."))
            return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "qr_data_uri": _qr_data_uri(device.config_url),
        "secret": _grouped_secret(device),
    }
    return render(request, "accounts/otp_setup.html", context)


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Đổi mật khẩu (officers only after the TOTP step)."""
    if (blocked := _signed_in_or_login(request)) is not None:
        return blocked
    user = request.user
    assert isinstance(user, User)
    if not otp_satisfied(user):
        return redirect(otp_step_url(user, request.get_full_path()))
    form = VietnamesePasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_change(user=user, new_password=form.cleaned_data["new_password1"], actor=user)
        except DomainError as exc:
            form.add_error("new_password1", exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Đã đổi mật khẩu."))
            return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replacement for ``admin.site.login``: the admin site signs in through our login and TOTP step
    (with ``OTPAdminSite``, an unverified session is sent here by the admin)."""
    next_url = _next_url(request, default=reverse("admin:index"))
    if request.user.is_authenticated and not otp_satisfied(request.user):
        return redirect(otp_step_url(request.user, next_url))
    if request.user.is_authenticated:
        return forbidden(request)
    return redirect_to_login(next_url)

"""Home page per role: welcome for visitors, the officer's real work, the citizen's own dossiers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from chinhquyenso.accounts.decorators import otp_step_url
from chinhquyenso.accounts.scope import is_officer
from chinhquyenso.accounts.selectors import otp_satisfied
from chinhquyenso.accounts.views import CITIZEN_EID_SESSION_KEY, citizen_otp_step_url, citizen_second_factor_pending

#: A citizen's home lists at most this many of their dossiers, newest first.
CITIZEN_DOSSIERS_SHOWN = 20


def _citizen_dossiers(user: Any) -> list[Any]:
    """The citizen's own online dossiers (``Dossier.citizen``), newest first."""
    from chinhquyenso.dossiers.models import Dossier

    return list(Dossier.objects.filter(citizen_id=user.pk).select_related("procedure")
                .order_by("-submitted_at", "-id")[:CITIZEN_DOSSIERS_SHOWN])


def _has_url(name: str, *args: str) -> bool:
    """Pages of apps that may not be installed (the citizen portal) are linked only when they exist."""
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Trang chủ: what this person can do here, computed from their real data (never placeholders)."""
    user = request.user
    context: dict[str, Any] = {"role": "anonymous"}
    if user.is_authenticated:
        if is_officer(user):
            context["role"] = "officer"
            if otp_satisfied(user):
                from chinhquyenso.dossiers.views import officer_work_summary

                context["work"] = officer_work_summary(user)
            else:
                context["otp_url"] = otp_step_url(user, request.get_full_path())
        elif getattr(user, "is_citizen", False):
            if citizen_second_factor_pending(user) and not request.session.get(CITIZEN_EID_SESSION_KEY):
                return redirect(citizen_otp_step_url(request.get_full_path()))  # TOTP on: the code first
            context["role"] = "citizen"
            context["own_dossiers"] = _citizen_dossiers(user)
            context["citizen_pages"] = _has_url("citizens:dossier_detail", "x")
        else:
            context["role"] = "other"
    return render(request, "web/home.html", context)

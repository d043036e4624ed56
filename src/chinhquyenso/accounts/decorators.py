"""Guards for officer web views: ``@officer_required()`` on functions, ``OfficerRequiredMixin`` on classes.

The checks, in order (so nothing about roles leaks before the second factor):

1. not signed in → the login page, coming back here afterwards;
2. no officer role at all (citizens) → 403 page;
3. officer without a verified TOTP step (when required) → the enrolment or code page;
4. none of the requested roles → 403 page.

Object-level scope is the view's job: ``ensure_in_scope(request.user, agency=...)`` or
``scope_queryset(...)`` from :mod:`chinhquyenso.accounts.scope`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast, overload

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from chinhquyenso.accounts.models import OFFICER_ROLES, Role
from chinhquyenso.accounts.scope import has_role, is_officer
from chinhquyenso.accounts.selectors import otp_satisfied, totp_device_confirmed

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def otp_step_url(user: Any, next_url: str) -> str:
    """Where an officer goes to pass the second factor: enrolment first time, code entry later."""
    name = "accounts:otp_verify" if totp_device_confirmed(user) else "accounts:otp_setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "accounts/forbidden.html", {"message": message}, status=403)


def officer_gate(request: HttpRequest, roles: tuple[str, ...]) -> HttpResponse | None:
    """``None`` when the request may go on, otherwise the response to send instead."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return redirect_to_login(request.get_full_path())
    if not is_officer(user):
        return forbidden(request)
    if not otp_satisfied(user):
        return redirect(otp_step_url(user, request.get_full_path()))
    if roles and not has_role(user, *roles):
        return forbidden(request)
    return None


def _check_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(str(r) for r in roles)
    unknown = [r for r in values if r not in Role.values or r == Role.CITIZEN]
    if unknown:
        raise ValueError(f"officer_required: not officer roles: {unknown}")
    return values


@overload
def officer_required(view: ViewFunc, /) -> ViewFunc: ...
@overload
def officer_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]: ...
def officer_required(*args: Any) -> Any:
    """``@officer_required`` (any officer) or ``@officer_required(Role.LEADER, Role.PROCESSING_OFFICER)``."""
    if len(args) == 1 and callable(args[0]) and not isinstance(args[0], str):
        return _decorate(args[0], ())
    roles = _check_roles(tuple(args))

    def decorator(view: ViewFunc) -> ViewFunc:
        return _decorate(view, roles)

    return decorator


def _decorate(view: ViewFunc, roles: tuple[str, ...]) -> ViewFunc:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        blocked = officer_gate(request, roles)
        if blocked is not None:
            return blocked
        return view(request, *args, **kwargs)

    wrapper.officer_roles = roles or tuple(sorted(OFFICER_ROLES))  # type: ignore[attr-defined]
    return cast(ViewFunc, wrapper)


class OfficerRequiredMixin:
    """Class-based views: set ``officer_roles`` (empty = any officer role)."""

    officer_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        blocked = officer_gate(request, _check_roles(tuple(self.officer_roles)))
        if blocked is not None:
            return blocked
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

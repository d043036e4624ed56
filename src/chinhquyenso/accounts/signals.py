"""Audit of authentication events sent by ``django.contrib.auth`` (our login, the admin login,
``logout``). The handlers only call the audit services in :mod:`chinhquyenso.accounts.services`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from chinhquyenso.accounts import services


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.login_success_record(user=user)


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # ``credentials`` comes cleansed (password replaced) from django.contrib.auth; keep only the name.
    username = str(credentials.get("username") or "")
    services.login_failure_record(username=username, locked=bool(getattr(request, "axes_locked_out", False)))


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.logout_record(user=user)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="chinhquyenso.accounts.audit_login")
    user_login_failed.connect(_login_failed, dispatch_uid="chinhquyenso.accounts.audit_login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="chinhquyenso.accounts.audit_logout")

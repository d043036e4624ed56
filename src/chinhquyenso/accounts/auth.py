"""django-ninja authentication for every router: ``auth=session_or_token``.

* :class:`BearerTokenAuth` — ``Authorization: Bearer cqs_…`` for machine clients. A token is its
  own credential, issued out of band by an administrator, so it needs no TOTP step. A header that
  is present but wrong or revoked is a 401 at once (it does not fall back to the session).
* :class:`VerifiedSessionAuth` — the browser session; officers must have passed the TOTP step
  when ``REQUIRE_OFFICER_TOTP`` is on. CSRF is checked on unsafe methods (ninja's SessionAuth).

Both leave the account in ``request.user`` and ``request.auth``; a token also in
``request.api_token``. Use ``officer_session_or_token`` for endpoints citizens must never reach;
fine-grained checks are ``has_role`` / ``ensure_in_scope`` from :mod:`chinhquyenso.accounts.scope`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from chinhquyenso.accounts.scope import is_officer
from chinhquyenso.accounts.selectors import api_token_find, otp_satisfied
from chinhquyenso.accounts.services import api_token_touch
from chinhquyenso.core.errors import DomainError, PermissionDenied


class OtpRequired(DomainError):
    """Signed in with a password only: an officer must still enter the authenticator code."""

    code = "otp_required"
    status = 401


def _officer_check(user: Any, officers_only: bool) -> None:
    if officers_only and not is_officer(user):
        raise PermissionDenied("Chức năng này chỉ dành cho cán bộ, công chức.", code="officer_only")


class BearerTokenAuth(HttpBearer):
    """Mã truy cập API (see ``api_token_create``)."""

    def __init__(self, *, officers_only: bool = False) -> None:
        self.officers_only = officers_only
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_find(token)
        if api_token is None:
            raise AuthenticationError()
        user = api_token.user
        _officer_check(user, self.officers_only)
        api_token_touch(token=api_token)
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class VerifiedSessionAuth(SessionAuth):
    """Django session cookie, with the officer TOTP rule applied."""

    def __init__(self, *, officers_only: bool = False, csrf: bool = True) -> None:
        self.officers_only = officers_only
        super().__init__(csrf=csrf)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if not otp_satisfied(user):
            raise OtpRequired("Vui lòng nhập mã xác thực hai lớp trước khi dùng chức năng này.")
        _officer_check(user, self.officers_only)
        return user


#: Any signed-in account (citizens included); officers through the session must be OTP-verified.
session_or_token = [BearerTokenAuth(), VerifiedSessionAuth()]
#: The same, but only accounts holding an officer role (citizens get 403).
officer_session_or_token = [BearerTokenAuth(officers_only=True), VerifiedSessionAuth(officers_only=True)]

"""Reads for accounts: second-factor state, token lookup, the "who am I" summary."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.models import ApiToken, Role, RoleAssignment, User
from chinhquyenso.accounts.scope import is_officer, scope_for, user_roles

#: Every token starts with this, so secret scanners and log filters can recognise it.
TOKEN_PREFIX = "cqs_"  # noqa: S105 (a label, not a secret)
#: Characters after ``TOKEN_PREFIX`` that are stored in clear (``ApiToken.prefix``) for lookup.
TOKEN_LOOKUP_LENGTH = 8


def token_hash(raw: str) -> str:
    """SHA-256 of the whole token: the only form in which a secret is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_find(raw: str) -> ApiToken | None:
    """The live (not revoked, active user) token matching ``raw``, compared in constant time."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) < len(TOKEN_PREFIX) + TOKEN_LOOKUP_LENGTH + 16 or len(raw) > 200:
        return None
    prefix = raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + TOKEN_LOOKUP_LENGTH]
    digest = token_hash(raw)
    for token in ApiToken.objects.select_related("user").filter(prefix=prefix):
        if hmac.compare_digest(token.token_hash, digest):
            if token.revoked_at is not None or not token.user.is_active:
                return None
            return token
    return None


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def totp_device_confirmed(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if enrolled."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()


def otp_required(user: Any) -> bool:
    """Officers must pass a TOTP step when ``CHINHQUYENSO["REQUIRE_OFFICER_TOTP"]`` is on."""
    if not settings.CHINHQUYENSO.get("REQUIRE_OFFICER_TOTP", True):
        return False
    return is_officer(user)


def otp_verified(user: Any) -> bool:
    """This session passed the TOTP step (``OTPMiddleware`` installs ``is_verified``)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def otp_satisfied(user: Any) -> bool:
    return otp_verified(user) or not otp_required(user)


def role_assignments_of(user: Any) -> QuerySet[RoleAssignment]:
    if getattr(user, "pk", None) is None:
        return RoleAssignment.objects.none()
    return (
        RoleAssignment.objects.filter(user_id=user.pk)
        .select_related("unit", "agency")
        .order_by("role", "id")
    )


def user_summary(user: Any) -> dict[str, Any]:
    """Who am I: identity, roles, assignments and how much of the province the user can see."""
    scope = scope_for(user)
    units = scope.unit_ids_qs()
    agencies = scope.agency_ids_qs()
    assignments = [
        {
            "role": a.role,
            "role_label": str(Role(a.role).label) if a.role in Role.values else a.role,
            "unit": {"id": a.unit.pk, "code": a.unit.code, "name": a.unit.name} if a.unit else None,
            "agency": {"id": a.agency.pk, "code": a.agency.code, "name": a.agency.name} if a.agency else None,
        }
        for a in role_assignments_of(user)
        if a.role != Role.CITIZEN
    ]
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": getattr(user, "display_name", user.get_username()),
        "email": getattr(user, "email", ""),
        "is_citizen": bool(getattr(user, "is_citizen", False)),
        "is_superuser": bool(getattr(user, "is_superuser", False)),
        "roles": sorted(user_roles(user)),
        "assignments": assignments,
        "scope": {
            "everything": scope.everything,
            "unit_count": None if units is None else units.count(),
            "agency_count": None if agencies is None else agencies.count(),
        },
    }

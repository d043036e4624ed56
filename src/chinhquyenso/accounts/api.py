"""``/api/v1/me``: who am I, with which roles and how much of the province I can see."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from chinhquyenso.accounts.auth import session_or_token
from chinhquyenso.accounts.selectors import user_summary

router = Router(tags=["Tài khoản"])


class PlaceOut(Schema):
    id: int
    code: str
    name: str


class AssignmentOut(Schema):
    role: str
    role_label: str
    unit: PlaceOut | None
    agency: PlaceOut | None


class ScopeOut(Schema):
    everything: bool
    unit_count: int | None
    agency_count: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    is_citizen: bool
    is_superuser: bool
    roles: list[str]
    assignments: list[AssignmentOut]
    scope: ScopeOut
    auth_method: str
    otp_verified: bool


class ErrorOut(Schema):
    code: str
    message: str


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut, 403: ErrorOut},
    auth=session_or_token,
    summary="Thông tin tài khoản đang đăng nhập",
    description="Vai trò, đơn vị/cơ quan được phân quyền và phạm vi dữ liệu (số đơn vị, cơ quan được xem; "
    "`null` là toàn tỉnh).",
)
def me(request: HttpRequest) -> MeOut:
    summary = user_summary(request.user)
    via_token = getattr(request, "api_token", None) is not None
    verify = getattr(request.user, "is_verified", None)
    return MeOut(
        **summary,
        auth_method="token" if via_token else "session",
        otp_verified=bool(callable(verify) and verify()),
    )

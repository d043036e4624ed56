"""The REST API root (`/api/v1/`). Apps add their routers in :func:`build_api`.

Errors are always JSON ``{"code": ..., "message": ...}`` with a Vietnamese message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from chinhquyenso.core.errors import DomainError

api = NinjaAPI(
    title="Chính quyền số — API",
    version="1",
    description=(
        "API của nền tảng Chính quyền số cấp tỉnh. Lỗi trả về JSON `{code, message}` với thông điệp tiếng Việt. "
        "Mọi POST phía công dân nhận tiêu đề `Idempotency-Key`."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, error_body(exc.code, exc.message, exc.details), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))} for e in exc.errors
    ]
    return api.create_response(
        request, error_body("validation_error", "Dữ liệu gửi lên không hợp lệ.", details), status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, error_body("unauthorized", "Chưa xác thực hoặc mã truy cập không hợp lệ."), status=401
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {404: "Không tìm thấy.", 403: "Không có quyền.", 405: "Phương thức không được hỗ trợ."}
    code = {404: "not_found", 403: "forbidden", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return api.create_response(
        request, error_body(code, messages.get(exc.status_code, str(exc))), status=exc.status_code
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    import logging

    logging.getLogger("chinhquyenso.api").exception("Unhandled API error")
    return api.create_response(request, error_body("server_error", "Lỗi hệ thống, vui lòng thử lại sau."), status=500)


_built = False


def build_api() -> NinjaAPI:
    """Mount the ``router`` of every one of our apps that has an ``api`` module, once."""
    global _built
    if not _built:
        import importlib
        import importlib.util

        from django.apps import apps

        for config in apps.get_app_configs():
            if not config.name.startswith("chinhquyenso."):
                continue
            module_name = f"{config.name}.api"
            if importlib.util.find_spec(module_name) is None:
                continue
            router = getattr(importlib.import_module(module_name), "router", None)
            if router is not None:
                api.add_router("/", router)
        _built = True
    return api

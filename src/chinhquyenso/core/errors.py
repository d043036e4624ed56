"""Domain errors with a stable code and a Vietnamese message; the API turns them into JSON."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A bad input or forbidden action. Raised before anything is written, or inside the
    transaction so that everything rolls back."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """Stale update or duplicate: somebody else changed the object first."""

    code = "conflict"
    status = 409

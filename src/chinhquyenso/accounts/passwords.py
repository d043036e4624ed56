"""Password checks with Vietnamese messages.

Django's validators do the checking (``AUTH_PASSWORD_VALIDATORS``: length ≥ 12, not common, not only
digits, not like the account's attributes); the messages are ours because Django's Vietnamese catalogue
does not translate all of them, and a citizen must understand why a password is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

_MESSAGES = {
    "password_too_short": "Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự.",
    "password_too_common": "Mật khẩu quá phổ biến, dễ bị đoán.",
    "password_entirely_numeric": "Mật khẩu không được chỉ gồm chữ số.",
    "password_too_similar": "Mật khẩu quá giống thông tin tài khoản.",
}


def password_problems(password: str, user: Any = None) -> list[str]:
    """Why ``password`` is refused for ``user`` (empty list: acceptable)."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        problems = []
        for error in exc.error_list:
            template = _MESSAGES.get(error.code or "")
            params = error.params if isinstance(error.params, dict) else {}
            problems.append(template.format(**params) if template else " ".join(error.messages))
        return problems
    return []

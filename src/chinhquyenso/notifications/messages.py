"""What a citizen is told when a dossier changes status (nội dung thông báo), rendered once, at the event.

The text is rendered inside the dossier's transaction and stored in the outbox row, so a message
sent later still says what happened then. It names the dossier by its code and procedure and
never carries a personal ID number (Nghị định 13/2023/NĐ-CP: minimal exposure); any 9- or 12-digit
run that slipped into a procedure name is masked anyway (the dossier code is not an ID number).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

from chinhquyenso.core.text import mask_id_numbers_in
from chinhquyenso.dossiers.models import Status
from chinhquyenso.printing.format import format_date_vn

TOPIC_EMAIL = "notify.email"
TOPIC_SMS = "notify.sms"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
LOOKUP_PATH = "/cong-dan/tra-cuu/"


def public_base_url() -> str:
    return (os.environ.get("CHINHQUYENSO_PUBLIC_BASE_URL", "").strip() or DEFAULT_PUBLIC_BASE_URL).rstrip("/")


def lookup_url(code: str) -> str:
    """Tra cứu hồ sơ: the public lookup page for one dossier code."""
    return f"{public_base_url()}{LOOKUP_PATH}?{urlencode({'ma': code})}"


def status_label(status: int) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return str(status)


def _date(moment: Any) -> str:
    return format_date_vn(moment)


def should_notify(event: Any) -> bool:
    """Only events that change the status (a receipt counts: from nothing to 'Được tiếp nhận')."""
    return event.to_status is not None and event.to_status != event.from_status


def render(dossier: Any, event: Any) -> dict[str, str]:
    """``{"subject", "body"}`` in Vietnamese; the body fits both an email and a (Unicode) SMS."""
    label = status_label(event.to_status)
    procedure = mask_id_numbers_in(dossier.procedure.name)
    parts = [f"Hồ sơ {dossier.code} ({procedure}) đã chuyển sang trạng thái: {label}."]
    if event.to_status == Status.RECEIVED and dossier.due_at is not None:
        parts.append(f"Ngày hẹn trả kết quả: {_date(dossier.due_at)}.")
    parts.append(f"Tra cứu: {lookup_url(dossier.code)}")
    subject = f"[{dossier.code}] Hồ sơ {label.lower()}"
    return {"subject": subject, "body": " ".join(parts)}

"""Printable one-stop forms (Mẫu 01–07, Thông tư 03/2025/TT-VPCP Phụ lục I) as PDF, and Mẫu 06/07
as XLSX. Plain Python: callers pass dataclasses, not Django models. See docs/printing.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.printing.data import AgencyInfo, ComponentLine, ControlRow, DossierInfo, FeeLine, RegisterRow, Signer
from chinhquyenso.printing.format import format_date_vn, format_date_words, format_datetime_words, format_vnd
from chinhquyenso.printing.forms import (
    FORM_TITLES,
    render_form_01,
    render_form_02,
    render_form_03,
    render_form_04,
    render_form_05,
    render_form_06,
    render_form_07,
)
from chinhquyenso.printing.xlsx import render_form_06_xlsx, render_form_07_xlsx

__all__ = [
    "FORM_TITLES",
    "AgencyInfo",
    "ComponentLine",
    "ControlRow",
    "DossierInfo",
    "FeeLine",
    "RegisterRow",
    "Signer",
    "format_date_vn",
    "format_date_words",
    "format_datetime_words",
    "format_vnd",
    "render_form",
    "render_form_01",
    "render_form_02",
    "render_form_03",
    "render_form_04",
    "render_form_05",
    "render_form_06",
    "render_form_06_xlsx",
    "render_form_07",
    "render_form_07_xlsx",
]

RENDERERS: dict[tuple[str, str], Callable[..., bytes]] = {
    ("01", "pdf"): render_form_01,
    ("02", "pdf"): render_form_02,
    ("03", "pdf"): render_form_03,
    ("04", "pdf"): render_form_04,
    ("05", "pdf"): render_form_05,
    ("06", "pdf"): render_form_06,
    ("07", "pdf"): render_form_07,
    ("06", "xlsx"): render_form_06_xlsx,
    ("07", "xlsx"): render_form_07_xlsx,
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_form(number: str | int, /, *, fmt: str = "pdf", **kwargs: Any) -> bytes:
    """``render_form("01", agency=..., dossier=...)``; ``fmt="xlsx"`` for Mẫu 06 and 07.
    The keyword arguments are those of the matching ``render_form_XX``."""
    key = str(number).strip().removeprefix("Mẫu").removeprefix("mẫu").strip().zfill(2)
    renderer = RENDERERS.get((key, fmt.lower()))
    if renderer is None:
        raise ValidationFailed(f"Không có biểu mẫu số {number} ở định dạng {fmt}.", code="form_unknown")
    return renderer(**kwargs)

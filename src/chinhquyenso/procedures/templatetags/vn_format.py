"""Vietnamese display formats shared by every app: ``{% load vn_format %}``.

``{{ 1250000|vnd }}`` → ``1.250.000 đ``; ``{{ day|vn_date }}`` → ``05/09/2025``;
``{{ 2.5|vn_number }}`` → ``2,5``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from chinhquyenso.printing.format import format_date_vn as printing_format_date_vn
from chinhquyenso.printing.format import format_vnd as printing_format_vnd

register = template.Library()


def format_vnd(value: Any) -> str:
    """Group thousands with dots, as Vietnamese money is written; empty for non-numbers."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return printing_format_vnd(amount)  # one rule for pages and printed forms


def format_vn_date(value: Any) -> str:
    """dd/mm/yyyy (a datetime is shown in Vietnam local time); empty for anything else."""
    if isinstance(value, dt.date):  # datetime is a date too
        return printing_format_date_vn(value)
    return ""


def format_vn_number(value: Any) -> str:
    """A decimal with a comma and without trailing zeros: ``Decimal("0.50")`` → ``0,5``."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{number:f}"
    if "." in text:
        whole, frac = text.split(".")
        return f"{int(whole):,}".replace(",", ".") + "," + frac
    return f"{int(text):,}".replace(",", ".")


@register.filter(name="vnd")
def vnd(value: Any) -> str:
    return format_vnd(value)


@register.filter(name="vn_date")
def vn_date(value: Any) -> str:
    return format_vn_date(value)


@register.filter(name="vn_number")
def vn_number(value: Any) -> str:
    return format_vn_number(value)

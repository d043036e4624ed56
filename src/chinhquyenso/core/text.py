"""Diacritics-insensitive text folding for Vietnamese search.

``fold("Đăng ký khai sinh") == "dang ky khai sinh"``. NFD strips the combining marks but not
the stroke of Đ/đ, so that letter is mapped by hand (reference/libraries.md §10).
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (Đ→d included), collapse whitespace."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def nfc(text: str) -> str:
    """Normalise to NFC: what we store and print (PDF fonts need composed characters)."""
    return unicodedata.normalize("NFC", text)


_ID_NUMBER = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")


def mask_id_number(value: str | None) -> str:
    """Show only the last 4 digits of a personal ID number (CCCD 12 digits, CMND 9)."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_numbers_in(text: str) -> str:
    """Mask every 9- or 12-digit run in free text (log lines, audit summaries)."""
    return _ID_NUMBER.sub(lambda m: mask_id_number(m.group(1)), text)

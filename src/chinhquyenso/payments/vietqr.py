"""Dynamic VietQR (NAPAS 247 "chuyển nhanh" QR), built by hand: EMVCo merchant-presented TLV.

Layout (ID, length in 2 digits, value)::

    00 "01"                     payload format indicator
    01 "12"                     point of initiation: dynamic (one amount, one purpose)
    38 { 00 "A000000727"        NAPAS GUID
         01 { 00 bank BIN, 01 account number }
         02 "QRIBFTTA" }        service: transfer to an account
    53 "704"                    currency VND
    54 amount                   integer đồng
    58 "VN"
    62 { 08 purpose }           "nội dung chuyển khoản", short ASCII, ≤ 25 characters
    63 CRC-16/CCITT-FALSE       over everything before it, "6304" included, 4 uppercase hex digits

Twenty lines were enough to reproduce NAPAS's reference payload byte for byte (see
shared/reference/libraries.md §5); the tests cross-check against an independent decoder.
"""

from __future__ import annotations

import io
import re

import segno

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.core.text import fold

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY = "VN"
MAX_PURPOSE = 25
MAX_AMOUNT = 10**13 - 1  # field 54 holds at most 13 characters
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_NOT_PURPOSE = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


def tlv(tag: str, value: str) -> str:
    """One EMVCo data object; values are ASCII, so characters = bytes."""
    if len(tag) != 2 or not tag.isdigit():
        raise ValueError(f"bad EMVCo tag {tag!r}")
    if not value.isascii() or len(value) > 99:
        raise ValueError(f"EMVCo value for tag {tag} must be ASCII and at most 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def fold_purpose(text: str) -> str:
    """Transfer content banks accept everywhere: Vietnamese folded to ASCII upper case, only
    letters, digits and single spaces, at most 25 characters ("Hồ sơ" → "HO SO")."""
    ascii_text = fold(text).upper()
    cleaned = _SPACES.sub(" ", _NOT_PURPOSE.sub(" ", ascii_text)).strip()
    return cleaned[:MAX_PURPOSE].rstrip()


def build_payload(*, bank_bin: str, account: str, amount: int, purpose: str) -> str:
    """The dynamic VietQR string for one transfer of ``amount`` đồng with ``purpose``."""
    if not _BIN.match(bank_bin or ""):
        raise ValidationFailed("Mã BIN ngân hàng phải gồm 6 chữ số.", code="vietqr_bin_invalid")
    if not _ACCOUNT.match(account or ""):
        raise ValidationFailed("Số tài khoản thụ hưởng không hợp lệ.", code="vietqr_account_invalid")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed("Số tiền phải là số nguyên dương (đồng).", code="amount_invalid")
    clean_purpose = fold_purpose(purpose)
    if not clean_purpose:
        raise ValidationFailed("Nội dung chuyển khoản không được để trống.", code="vietqr_purpose_invalid")
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", SERVICE_TO_ACCOUNT)
    body = (
        tlv("00", "01")
        + tlv("01", "12")
        + tlv("38", merchant)
        + tlv("53", CURRENCY_VND)
        + tlv("54", str(amount))
        + tlv("58", COUNTRY)
        + tlv("62", tlv("08", clean_purpose))
        + "6304"
    )
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Top-level objects of a payload (for our own checks and the admin; tests use an independent decoder)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(payload):
        tag, length = payload[i:i + 2], payload[i + 2:i + 4]
        if len(tag) < 2 or not length.isdigit():
            raise ValueError("truncated TLV")
        size = int(length)
        out[tag] = payload[i + 4:i + 4 + size]
        if len(out[tag]) != size:
            raise ValueError("truncated TLV")
        i += 4 + size
    return out


def crc_ok(payload: str) -> bool:
    if len(payload) < 8 or payload[-8:-4] != "6304":
        return False
    return f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}" == payload[-4:]


def qr_svg(payload: str, *, scale: int = 6, title: str = "VietQR") -> bytes:
    """A standalone SVG (served as an image, so the page's CSP needs no inline content)."""
    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="svg", scale=scale, border=4, title=title,
                                                     xmldecl=True, svgns=True, nl=True)
    return buf.getvalue()


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()

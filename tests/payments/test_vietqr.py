"""Our hand-built VietQR, decoded by an independent library and from the rendered image."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from vietnam_qr_pay import QRPay

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.payments import vietqr

BIN, ACCOUNT = "970415", "113366668888"


def decode(payload: str) -> QRPay:
    qr = QRPay(payload)
    assert qr.is_valid, payload
    return qr


def test_every_field_as_an_independent_decoder_reads_it() -> None:
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=1_250_000, purpose="HS H0112261125 0001")
    qr = decode(payload)
    assert qr.version == "01"
    assert qr.init_method == "12"  # dynamic
    assert qr.provider.field_id == "38" and qr.provider.guid == "A000000727"
    assert qr.provider.service == "QRIBFTTA"
    assert qr.consumer.bank_bin == BIN and qr.consumer.bank_number == ACCOUNT
    assert qr.currency == "704" and qr.amount == "1250000" and qr.nation == "VN"
    assert qr.additional_data.purpose == "HS H0112261125 0001"
    assert qr.crc == payload[-4:] and vietqr.crc_ok(payload)


def test_crc_is_crc16_ccitt_false_uppercase_hex_over_everything_before_it() -> None:
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1  # the standard check value
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=8000, purpose="HS 1")
    body, crc = payload[:-4], payload[-4:]
    assert body.endswith("6304") and crc == crc.upper() and int(crc, 16) == vietqr.crc16_ccitt_false(body.encode())
    tampered = payload.replace("54048000", "54049000")
    assert not vietqr.crc_ok(tampered)
    assert not QRPay(tampered).is_valid


def test_structure_is_tag_length_value() -> None:
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=35_000, purpose="HS H0112261125 0001 K")
    top = vietqr.parse_tlv(payload)
    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert vietqr.parse_tlv(top["38"]) == {"00": "A000000727", "01": "00069704150112113366668888",
                                           "02": "QRIBFTTA"}
    assert vietqr.parse_tlv(top["62"]) == {"08": "HS H0112261125 0001 K"}


def test_purpose_is_folded_to_short_ascii() -> None:
    assert vietqr.fold_purpose("Hồ sơ H01.12-261125-0001 Đăng ký") == "HO SO H01 12 261125 0001"
    assert len(vietqr.fold_purpose("Lệ phí " * 20)) <= 25
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=1, purpose="Nộp lệ phí hộ tịch xã An Phú")
    assert decode(payload).additional_data.purpose == "NOP LE PHI HO TICH XA AN"


@pytest.mark.parametrize("kwargs", [
    {"bank_bin": "97041", "account": ACCOUNT, "amount": 1, "purpose": "x"},
    {"bank_bin": BIN, "account": "12 34", "amount": 1, "purpose": "x"},
    {"bank_bin": BIN, "account": ACCOUNT, "amount": 0, "purpose": "x"},
    {"bank_bin": BIN, "account": ACCOUNT, "amount": 10**13, "purpose": "x"},
    {"bank_bin": BIN, "account": ACCOUNT, "amount": 1, "purpose": "§§§"},
])
def test_bad_input_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        vietqr.build_payload(**kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(amount=st.integers(min_value=1, max_value=10**13 - 1),
       account=st.from_regex(r"[0-9]{6,19}", fullmatch=True),
       purpose=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", min_size=1, max_size=25).filter(str.strip))
def test_any_amount_account_and_purpose_round_trip(amount: int, account: str, purpose: str) -> None:
    payload = vietqr.build_payload(bank_bin=BIN, account=account, amount=amount, purpose=purpose)
    qr = decode(payload)
    assert int(qr.amount) == amount and qr.consumer.bank_number == account
    assert qr.additional_data.purpose == " ".join(purpose.split())


def test_rendered_png_decodes_to_the_payload() -> None:
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=1_258_000, purpose="HS H0112260212 0001 T")
    image = Image.open(io.BytesIO(vietqr.qr_png(payload)))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [payload]


def test_rendered_svg_is_an_svg_of_the_same_code() -> None:
    payload = vietqr.build_payload(bank_bin=BIN, account=ACCOUNT, amount=8000, purpose="HS 1 T")
    svg = vietqr.qr_svg(payload).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<script" not in svg

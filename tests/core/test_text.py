import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from chinhquyenso.core.text import fold, mask_id_number, mask_id_numbers_in


def test_fold_vietnamese():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("ĐỖ THỊ ỨNG") == "do thi ung"
    assert fold("  Chứng   thực ") == "chung thuc"


def test_fold_same_for_nfc_and_nfd():
    text = "Cấp giấy phép xây dựng"
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_mask_id_numbers():
    assert mask_id_number("079203001234") == "********1234"
    assert mask_id_numbers_in("CCCD 079203001234 nộp hồ sơ") == "CCCD ********1234 nộp hồ sơ"
    # dossier codes and dates are not ID numbers
    assert mask_id_numbers_in("H01.12-261008-0975") == "H01.12-261008-0975"

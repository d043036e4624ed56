from __future__ import annotations

import pytest

from chinhquyenso.files.validation import detect_kind, normalize_allowed, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\dan\\Giấy khai sinh.pdf", "Giấy khai sinh.pdf"),
        ("to\u202efdp.exe", "tofdp.exe"),  # right-to-left override would show "toexe.pdf"
        ('a<b>:"c"|?*.pdf', "a_b___c____.pdf"),
        ("  ..hidden.pdf. ", "hidden.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("", "tep"),
        (None, "tep"),
        ("Gia\u0301y.pdf", "Giáy.pdf"),  # NFD input comes out NFC
    ],
)
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = sanitize_filename("x" * 500 + ".pdf")
    assert len(name) == 200 and name.endswith(".pdf")


def test_kind_from_magic_bytes_only():
    assert detect_kind(b"%PDF-1.7\n") == "pdf"
    assert detect_kind(b"\xff\xd8\xff\xe0") == "jpeg"
    assert detect_kind(b"\x89PNG\r\n\x1a\n....") == "png"
    assert detect_kind(b"GIF89a") is None
    assert detect_kind(b" %PDF-1.7") is None


def test_allowed_kinds_accept_jpg_and_refuse_unknown():
    assert normalize_allowed(frozenset({"JPG", ".pdf"})) == frozenset({"jpeg", "pdf"})
    with pytest.raises(ValueError, match="docx"):
        normalize_allowed(frozenset({"docx"}))

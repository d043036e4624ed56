"""Upload checks: size, real type from the bytes, and content (kiểm tra tệp tải lên).

Nothing here trusts the file name or the client's content type: the type comes from the magic
numbers, then the content is decoded (images) or scanned (PDF) so that a renamed, truncated or
booby-trapped file is refused before anything is stored.
"""

from __future__ import annotations

import mmap
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.core.text import nfc
from chinhquyenso.files.models import FileKind

#: A4 at 600 dpi is ~35 megapixels; above this a "photo" is more likely a decompression bomb.
MAX_IMAGE_PIXELS = 40_000_000
#: Object streams are small in real PDFs; this bounds the work a crafted one can cause.
MAX_PDF_INFLATED_BYTES = 64 * 1024 * 1024
#: Readers look for ``%%EOF`` in the last 1024 bytes (ISO 32000-1 §7.5.5).
_EOF_WINDOW = 1024


@dataclass(frozen=True)
class KindInfo:
    kind: str
    label: str
    content_type: str
    extension: str
    extensions: frozenset[str]


KINDS: dict[str, KindInfo] = {
    FileKind.PDF: KindInfo("pdf", "PDF", "application/pdf", "pdf", frozenset({"pdf"})),
    FileKind.JPEG: KindInfo("jpeg", "ảnh JPEG", "image/jpeg", "jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"})),
    FileKind.PNG: KindInfo("png", "ảnh PNG", "image/png", "png", frozenset({"png"})),
}
_ALIASES = {"jpg": "jpeg", "jpeg": "jpeg", "pdf": "pdf", "png": "png"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def normalize_allowed(allowed: frozenset[str] | set[str]) -> frozenset[str]:
    """Accept ``jpg`` as a spelling of ``jpeg``; refuse kinds we cannot check."""
    kinds = set()
    for name in allowed:
        kind = _ALIASES.get(name.lower().lstrip("."))
        if kind is None:
            raise ValueError(f"files: cannot check file kind {name!r}; known kinds: {sorted(KINDS)}")
        kinds.add(kind)
    return frozenset(kinds)


def detect_kind(head: bytes) -> str | None:
    """The real type from the first bytes, or None."""
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(_PNG_SIGNATURE):
        return FileKind.PNG
    return None


# --- file names --------------------------------------------------------------------------------

_UNSAFE_CHARS = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)


def sanitize_filename(name: str | None, *, max_length: int = 200) -> str:
    """A name safe to show and to put in Content-Disposition: no directories, no control or
    bidi-override characters (``hoso\u202efdp.exe``), NFC, bounded length, extension kept."""
    text = nfc(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _SPACES.sub(" ", _UNSAFE_CHARS.sub("_", text)).strip(" .")
    if _WINDOWS_RESERVED.match(text):
        text = "_" + text
    if not text:
        return "tep"
    if len(text) > max_length:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: max_length - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:max_length]
    return text


def filename_extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


# --- checks ------------------------------------------------------------------------------------


def check_kind(*, head: bytes, filename: str, allowed: frozenset[str]) -> KindInfo:
    """Type by magic bytes, against the allowed kinds and against the name's extension."""
    labels = ", ".join(KINDS[k].label for k in sorted(allowed))
    kind = detect_kind(head)
    if kind is None:
        raise ValidationFailed(
            f"Nội dung tệp không phải {labels} (loại tệp được xác định theo nội dung, không theo tên tệp).",
            code="file_type_unknown",
        )
    info = KINDS[kind]
    if kind not in allowed:
        raise ValidationFailed(f"Tệp {info.label} không được chấp nhận ở đây; chỉ nhận: {labels}.",
                               code="file_type_not_allowed")
    ext = filename_extension(filename)
    if ext and ext not in info.extensions:
        raise ValidationFailed(f"Tên tệp có đuôi .{ext} nhưng nội dung là {info.label}.",
                               code="file_extension_mismatch")
    return info


def check_content(path: Path, info: KindInfo) -> None:
    """Decode images, scan PDFs. Raises ValidationFailed; returns nothing when the file is sound."""
    if info.kind == FileKind.PDF:
        check_pdf(path)
    else:
        check_image(path, info)


def check_image(path: Path, info: KindInfo) -> None:
    """``verify()`` checks the structure (PNG CRCs); a full decode catches truncated data."""
    corrupt = ValidationFailed(f"Tệp {info.label} bị hỏng hoặc không đầy đủ.", code="file_corrupt")
    expected_format = "PNG" if info.kind == FileKind.PNG else "JPEG"
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                if image.format != expected_format:
                    raise corrupt
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    limit = MAX_IMAGE_PIXELS // 1_000_000
                    raise ValidationFailed(
                        f"Ảnh quá lớn ({width}×{height} điểm ảnh); tối đa {limit} triệu điểm ảnh.",
                        code="file_image_too_large",
                    )
                image.verify()
            with Image.open(path) as image:
                if ImageFile.LOAD_TRUNCATED_IMAGES:  # somebody loosened Pillow globally: refuse to guess
                    raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
                if image.format == "JPEG":
                    # Decoding at 1/8 scale still reads every entropy-coded byte, with 1/64 of the memory.
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
        except ValidationFailed:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, zlib.error) as exc:
            raise corrupt from exc


def _name_pattern(name: str) -> bytes:
    """A PDF name may spell any byte as ``#xx`` (``/J#61vaScript``); match every spelling, and
    only the whole name (``/JSON`` is not ``/JS``)."""
    parts = []
    for byte in name.encode("ascii"):
        hex_digits = b"".join(b"[" + d.encode() + d.upper().encode() + b"]" for d in f"{byte:02x}")
        parts.append(b"(?:" + re.escape(bytes([byte])) + b"|#" + hex_digits + b")")
    return b"/" + b"".join(parts) + rb"(?![^\s()<>\[\]{}/%])"


_FORBIDDEN = [
    (re.compile(_name_pattern("JavaScript")),
     "Tệp PDF chứa mã JavaScript; không được chấp nhận.", "file_pdf_javascript"),
    (re.compile(_name_pattern("JS")),
     "Tệp PDF chứa mã JavaScript; không được chấp nhận.", "file_pdf_javascript"),
    (re.compile(_name_pattern("Launch")),
     "Tệp PDF chứa lệnh mở chương trình (/Launch); không được chấp nhận.", "file_pdf_launch"),
]
_ENCRYPT = re.compile(_name_pattern("Encrypt"))
_OBJSTM = re.compile(_name_pattern("Type") + rb"\s*" + _name_pattern("ObjStm"))
_FLATE = re.compile(_name_pattern("FlateDecode"))
_FILTER = re.compile(_name_pattern("Filter"))
_DIRECT_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")


def _scan_forbidden(data: bytes | mmap.mmap) -> None:
    for pattern, message, code in _FORBIDDEN:
        if pattern.search(data):
            raise ValidationFailed(message, code=code)


def _object_streams(data: mmap.mmap) -> Iterator[tuple[bytes, bytes]]:
    """(dictionary, raw stream bytes) of every ``/Type /ObjStm`` stream: objects, and so actions,
    may hide compressed inside them where a plain byte scan cannot see."""
    for match in _STREAM.finditer(data):
        start = match.start()
        window = data[max(0, start - 4096): start]
        objs = list(_OBJ.finditer(window))
        if not objs:
            continue
        dictionary = window[objs[-1].end():]
        if not dictionary.rstrip().endswith(b">>") or not _OBJSTM.search(dictionary):
            continue
        body_start = match.end()
        length = _DIRECT_LENGTH.search(dictionary)
        if length:
            body = data[body_start: body_start + int(length.group(1))]
        else:
            end = data.find(b"endstream", body_start)
            body = data[body_start: end if end != -1 else len(data)]
        yield dictionary, body


def check_pdf(path: Path) -> None:
    """Header, ``%%EOF`` trailer, no encryption, no JavaScript or Launch action — also inside
    compressed object streams. The bytes are mapped, not read, so a big PDF costs no memory."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not data[:5] == b"%PDF-":
            raise ValidationFailed("Tệp PDF không hợp lệ.", code="file_corrupt")
        if b"%%EOF" not in data[-_EOF_WINDOW:]:
            raise ValidationFailed("Tệp PDF không đầy đủ (thiếu phần kết thúc %%EOF).", code="file_corrupt")
        if _ENCRYPT.search(data):
            raise ValidationFailed("Tệp PDF đã mã hóa hoặc đặt mật khẩu; vui lòng nộp bản không mã hóa.",
                                   code="file_pdf_encrypted")
        _scan_forbidden(data)
        inflated_total = 0
        for dictionary, body in _object_streams(data):
            if _FILTER.search(dictionary) and not _FLATE.search(dictionary):
                raise ValidationFailed("Tệp PDF dùng kiểu nén không kiểm tra được.", code="file_pdf_unchecked")
            if _FLATE.search(dictionary):
                inflater = zlib.decompressobj()
                try:
                    content = inflater.decompress(body, MAX_PDF_INFLATED_BYTES - inflated_total + 1)
                except zlib.error as exc:
                    raise ValidationFailed("Tệp PDF bị hỏng (luồng nén không đọc được).",
                                           code="file_corrupt") from exc
            else:
                content = bytes(body)
            inflated_total += len(content)
            if inflated_total > MAX_PDF_INFLATED_BYTES:
                raise ValidationFailed("Tệp PDF có cấu trúc bất thường (dữ liệu nén quá lớn).",
                                       code="file_pdf_unchecked")
            _scan_forbidden(content)

from __future__ import annotations

import hashlib
import importlib
import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.files import services, storage
from chinhquyenso.files.models import StoredFile
from chinhquyenso.files.selectors import file_open, file_read, file_verify
from chinhquyenso.files.services import file_store, file_store_upload, files_gc_orphans

from .conftest import (
    hand_pdf,
    make_jpeg,
    make_pdf,
    make_png,
    pdf_with_action_in_object_stream,
    pdf_with_open_action,
)

pytestmark = pytest.mark.django_db


def blobs() -> list[Path]:
    return list(storage.iter_blob_paths())


def temp_files() -> list[Path]:
    return list(storage.tmp_dir().iterdir())


# --- storing -----------------------------------------------------------------------------------


def test_store_pdf_writes_one_read_only_blob_at_its_content_address(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="giay-khai-sinh.pdf")
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    assert (stored.sha256, stored.size, stored.kind, stored.extension) == (sha, len(pdf_bytes), "pdf", "pdf")
    assert stored.content_type == "application/pdf"
    path = Path(storage.media_root()) / sha[:2] / sha[2:4] / sha
    assert blobs() == [path]
    assert path.read_bytes() == pdf_bytes
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert file_read(stored) == pdf_bytes
    assert temp_files() == []


def test_same_content_twice_is_one_row_and_one_untouched_blob(pdf_bytes):
    first = file_store(content=pdf_bytes, filename="a.pdf")
    before = storage.blob_path(first.sha256).stat()
    second = file_store(content=io.BytesIO(pdf_bytes), filename="ban-sao.pdf")
    after = storage.blob_path(first.sha256).stat()
    assert second.pk == first.pk
    assert StoredFile.objects.count() == 1 and len(blobs()) == 1
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert second.original_name == "a.pdf"  # the first name stays; users keep their own display names


def test_signed_pdf_bytes_come_back_exactly():
    # Bytes after %%EOF (an incremental-update signature appends such data) must survive untouched.
    original = make_pdf() + b"1 0 obj\n<< /ByteRange [0 10 20 30] /Contents <00ff> >>\nendobj\n%%EOF\n"
    stored = file_store(content=original, filename="ket-qua-da-ky.pdf")
    with file_open(stored) as fh:
        assert fh.read() == original


def test_each_store_writes_an_audit_row(png_bytes):
    stored = file_store(content=png_bytes, filename="anh.png")
    file_store(content=png_bytes, filename="anh.png")
    events = list(AuditEvent.objects.filter(action="file.stored", object_id=str(stored.pk)))
    assert len(events) == 2
    assert events[0].summary["new_row"] is True and events[1].summary["new_row"] is False


def test_images_are_stored_with_their_real_type(png_bytes, jpeg_bytes):
    png = file_store(content=png_bytes, filename="scan.PNG")
    jpeg = file_store(content=jpeg_bytes, filename="chup-cccd.jpeg")
    nameless = file_store(content=make_png(color=(1, 2, 3)), filename="anh-khong-duoi")
    assert (png.kind, png.extension, png.content_type) == ("png", "png", "image/png")
    assert (jpeg.kind, jpeg.extension, jpeg.content_type) == ("jpeg", "jpg", "image/jpeg")
    assert nameless.extension == "png"


def test_upload_is_streamed_and_client_content_type_ignored(png_bytes):
    upload = SimpleUploadedFile("to-khai.png", png_bytes, content_type="application/pdf")
    stored = file_store_upload(upload=upload)
    assert stored.kind == "png" and stored.content_type == "image/png"
    assert file_verify(stored)


def test_filename_is_sanitised(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="..\\..\\C:\\Windows\\to khai\u202e.pdf")
    assert stored.original_name == "to khai.pdf"


# --- rejections: nothing stored ----------------------------------------------------------------


def _assert_refused(code: str, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        file_store(**kwargs)
    assert caught.value.code == code
    assert caught.value.message  # a Vietnamese sentence for the citizen
    assert StoredFile.objects.count() == 0
    assert blobs() == []
    assert temp_files() == []
    assert not AuditEvent.objects.filter(action="file.stored").exists()
    return caught.value


def test_too_big_bytes_refused(pdf_bytes):
    error = _assert_refused("file_too_large", content=pdf_bytes, filename="a.pdf", max_bytes=len(pdf_bytes) - 1)
    assert "MB" in error.message


def test_too_big_stream_stops_reading_at_the_limit():
    class Endless(io.RawIOBase):
        reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            Endless.reads += 1
            buffer[:] = b"%PDF-" + b"0" * (len(buffer) - 5) if Endless.reads == 1 else b"0" * len(buffer)
            return len(buffer)

    _assert_refused("file_too_large", content=io.BufferedReader(Endless()), filename="x.pdf", max_bytes=3_000_000)
    assert Endless.reads < 10


def test_upload_declaring_a_big_size_is_refused_before_reading(pdf_bytes):
    upload = SimpleUploadedFile("a.pdf", pdf_bytes, content_type="application/pdf")
    with pytest.raises(ValidationFailed) as caught:
        file_store_upload(upload=upload, max_bytes=100)
    assert caught.value.code == "file_too_large"
    assert blobs() == [] and StoredFile.objects.count() == 0


def test_empty_file_refused():
    _assert_refused("file_empty", content=b"", filename="rong.pdf")


def test_fake_pdf_with_pdf_name_refused():
    _assert_refused("file_type_unknown", content=b"Day khong phai PDF\n%%EOF\n", filename="don.pdf")


def test_html_refused():
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    _assert_refused("file_type_unknown", content=html, filename="trang.html")
    _assert_refused("file_type_unknown", content=html, filename="trang.pdf")


def test_png_renamed_pdf_refused(png_bytes):
    error = _assert_refused("file_extension_mismatch", content=png_bytes, filename="giay-to.pdf")
    assert ".pdf" in error.message and "PNG" in error.message


def test_kind_not_allowed_here_refused(png_bytes):
    _assert_refused("file_type_not_allowed", content=png_bytes, filename="anh.png", allowed=frozenset({"pdf"}))


def test_truncated_png_refused(png_bytes):
    big = make_png(size=(300, 300), color=(10, 20, 30))
    _assert_refused("file_corrupt", content=big[: len(big) - 30], filename="cut.png")
    _assert_refused("file_corrupt", content=png_bytes[:40], filename="cut.png")


def test_png_with_corrupted_pixels_refused():
    data = bytearray(make_png(size=(200, 200)))
    idat = data.index(b"IDAT")
    data[idat + 20: idat + 30] = b"\x00" * 10  # CRC no longer matches: verify() catches it
    _assert_refused("file_corrupt", content=bytes(data), filename="hong.png")


def test_truncated_jpeg_refused(jpeg_bytes):
    _assert_refused("file_corrupt", content=jpeg_bytes[: len(jpeg_bytes) // 2], filename="cut.jpg")


def test_truncated_pdf_refused(pdf_bytes):
    _assert_refused("file_corrupt", content=pdf_bytes[: len(pdf_bytes) - 200], filename="cut.pdf")


def test_pdf_with_javascript_refused():
    _assert_refused("file_pdf_javascript", content=pdf_with_open_action(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
                    filename="js.pdf")


def test_pdf_with_hex_escaped_javascript_name_refused():
    _assert_refused("file_pdf_javascript", content=pdf_with_open_action(b"<< /S /J#61va#53cript /J#53 (x) >>"),
                    filename="js.pdf")


def test_pdf_with_javascript_inside_compressed_object_stream_refused():
    data = pdf_with_action_in_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    assert b"JavaScript" not in data
    _assert_refused("file_pdf_javascript", content=data, filename="js.pdf")


def test_pdf_with_launch_action_refused():
    _assert_refused("file_pdf_launch", content=pdf_with_open_action(b"<< /S /Launch /F (cmd.exe) >>"),
                    filename="launch.pdf")


def test_encrypted_pdf_refused():
    _assert_refused("file_pdf_encrypted", content=make_pdf(encrypt="mat-khau"), filename="khoa.pdf")


def test_harmless_object_stream_and_uri_action_are_accepted():
    data = pdf_with_action_in_object_stream(b"<< /S /URI /URI (https://dichvucong.example/) >>")
    assert file_store(content=data, filename="ok.pdf").kind == "pdf"
    assert file_store(content=hand_pdf(b"<< /Type /Catalog /JSON (not a script key) >>"), filename="b.pdf")


# --- integrity ---------------------------------------------------------------------------------


def test_verify_detects_tampering_and_loss(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    assert file_verify(stored)
    path = storage.blob_path(stored.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert not file_verify(stored)
    path.unlink()
    assert not file_verify(stored)


def test_storing_again_restores_a_lost_blob(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    storage.blob_path(stored.sha256).unlink()
    file_store(content=pdf_bytes, filename="a.pdf")
    assert file_verify(stored)


# --- configuration -----------------------------------------------------------------------------


def test_upload_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHINHQUYENSO_MAX_UPLOAD_MB", "2")
    try:
        assert importlib.reload(services).MAX_UPLOAD_BYTES == 2 * 1024 * 1024
    finally:
        monkeypatch.delenv("CHINHQUYENSO_MAX_UPLOAD_MB")
        assert importlib.reload(services).MAX_UPLOAD_BYTES == 10 * 1024 * 1024


def test_default_limit_applies_when_no_max_given(monkeypatch, pdf_bytes):
    monkeypatch.setattr(services, "MAX_UPLOAD_BYTES", len(pdf_bytes) - 1)
    _assert_refused("file_too_large", content=pdf_bytes, filename="a.pdf")


# --- garbage collection ------------------------------------------------------------------------


def test_gc_removes_old_unreferenced_files_only(django_capture_on_commit_callbacks, pdf_bytes, png_bytes):
    old = file_store(content=pdf_bytes, filename="old.pdf")
    kept = file_store(content=make_jpeg(size=(32, 32)), filename="kept.jpg")
    fresh = file_store(content=png_bytes, filename="new.png")
    StoredFile.objects.filter(pk__in=[old.pk, kept.pk]).update(created_at=timezone.now() - timedelta(days=3))
    rowless = Path(storage.media_root()) / "ab" / "cd"
    rowless.mkdir(parents=True)
    stray = rowless / ("ab" + "cd" + "0" * 60)
    stray.write_bytes(b"left by a rolled-back transaction")
    os.utime(stray, (0, 0))

    with django_capture_on_commit_callbacks(execute=True):
        result = files_gc_orphans(referenced_ids=[kept.pk])

    assert result.rows_deleted == 1 and result.blobs_deleted == 2
    assert set(StoredFile.objects.values_list("pk", flat=True)) == {kept.pk, fresh.pk}
    assert not storage.blob_path(old.sha256).exists() and not stray.exists()
    assert file_verify(kept) and file_verify(fresh)
    assert AuditEvent.objects.filter(action="file.gc").count() == 1

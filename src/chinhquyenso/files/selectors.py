"""Reading stored files (đọc tệp). Authorization is the caller's job: a dossier page checks the
officer's scope, then opens the file here."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from chinhquyenso.core.errors import NotFound
from chinhquyenso.files import storage
from chinhquyenso.files.models import StoredFile


def file_get(*, file_id: int) -> StoredFile:
    try:
        return StoredFile.objects.get(pk=file_id)
    except StoredFile.DoesNotExist:
        raise NotFound("Không tìm thấy tệp.") from None


def file_get_by_sha256(*, sha256: str) -> StoredFile | None:
    return StoredFile.objects.filter(sha256=sha256.lower()).first()


def file_open(f: StoredFile) -> BinaryIO:
    """The original bytes, read-only. The caller closes the handle (FileResponse does)."""
    try:
        return open(storage.blob_path(f.sha256), "rb")  # handed to the caller, who closes it
    except FileNotFoundError:
        raise NotFound("Nội dung tệp không còn trong kho lưu trữ.", code="file_blob_missing") from None


def file_read(f: StoredFile) -> bytes:
    with file_open(f) as fh:
        return fh.read()


def file_verify(f: StoredFile) -> bool:
    """Recompute the SHA-256 of the blob: False when it is missing, resized or altered."""
    path = storage.blob_path(f.sha256)
    hasher = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(storage.CHUNK_SIZE):
                hasher.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return False
    return size == f.size and hasher.hexdigest() == f.sha256

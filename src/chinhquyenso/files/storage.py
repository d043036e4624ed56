"""Blob layout on disk: ``MEDIA_ROOT/<sha[0:2]>/<sha[2:4]>/<sha>``, written once, read-only.

Uploads are spooled into ``MEDIA_ROOT/.tmp`` (same file system, so the final hard link or
rename is atomic) while they are hashed; a blob appears under its name complete or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from chinhquyenso.core.errors import ValidationFailed

CHUNK_SIZE = 1024 * 1024
READ_ONLY = 0o444
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def blob_path(sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a lower-case hex SHA-256")
    return media_root() / sha256[0:2] / sha256[2:4] / sha256


def tmp_dir() -> Path:
    path = media_root() / ".tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Spooled:
    """An upload copied to a temporary file while hashed and counted."""

    path: Path
    sha256: str
    size: int
    head: bytes


def too_large(max_bytes: int) -> ValidationFailed:
    return ValidationFailed(f"Tệp vượt quá dung lượng tối đa {max_bytes / (1024 * 1024):g} MB.",
                            code="file_too_large")


def spool(chunks: Iterable[bytes], *, max_bytes: int) -> Spooled:
    """Copy chunks to a temp file, hashing as we go; stop reading as soon as the limit is passed."""
    fd, name = tempfile.mkstemp(dir=tmp_dir(), prefix="upload-")
    path = Path(name)
    hasher = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path=path, sha256=hasher.hexdigest(), size=size, head=head)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not possible on every platform; the rename is still atomic
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def place_blob(spooled: Spooled) -> bool:
    """Give the spooled file its content address. Returns True when this call created the blob.

    An existing blob is never touched (write once); a hard link refuses to overwrite, so two
    concurrent uploads of the same content cannot race. The caller removes the temp file.
    """
    final = blob_path(spooled.sha256)
    if final.exists():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(spooled.path, READ_ONLY)
    try:
        os.link(spooled.path, final)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: rename is atomic too
        os.replace(spooled.path, final)
    _fsync_dir(final.parent)
    return True


def iter_blob_paths() -> Iterable[Path]:
    """Every file that looks like a blob (64 hex characters in the two-level layout)."""
    root = media_root()
    if not root.is_dir():
        return
    for first in sorted(root.iterdir()):
        if not (first.is_dir() and re.fullmatch(r"[0-9a-f]{2}", first.name)):
            continue
        for second in sorted(first.iterdir()):
            if not (second.is_dir() and re.fullmatch(r"[0-9a-f]{2}", second.name)):
                continue
            for blob in sorted(second.iterdir()):
                if _SHA256.match(blob.name) and blob.name.startswith(first.name + second.name):
                    yield blob

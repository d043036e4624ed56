"""Storing files (lưu tệp). Every write to the file store goes through here.

Checks come first and write nothing: a refused upload leaves no row and no blob. Hashing,
decoding and scanning run outside the database transaction, which then only inserts the row
and the audit record (on SQLite the transaction holds the single write lock from BEGIN).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.apps import apps
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.files import storage
from chinhquyenso.files.models import StoredFile
from chinhquyenso.files.validation import (
    KindInfo,
    check_content,
    check_kind,
    normalize_allowed,
    sanitize_filename,
)

#: Upload limit in MB; a province changes it with CHINHQUYENSO_MAX_UPLOAD_MB.
MAX_UPLOAD_MB = float(os.environ.get("CHINHQUYENSO_MAX_UPLOAD_MB", "10"))
MAX_UPLOAD_BYTES = int(MAX_UPLOAD_MB * 1024 * 1024)
DEFAULT_ALLOWED: frozenset[str] = frozenset({"pdf", "jpeg", "png"})


def _limit(max_bytes: int | None) -> int:
    return MAX_UPLOAD_BYTES if max_bytes is None else max_bytes


def _bytes_chunks(content: bytes | bytearray | memoryview) -> Iterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(view), storage.CHUNK_SIZE):
        yield bytes(view[start: start + storage.CHUNK_SIZE])


def file_store(
    *,
    content: bytes | BinaryIO,
    filename: str,
    allowed: frozenset[str] = DEFAULT_ALLOWED,
    max_bytes: int | None = None,
    actor: Any = None,
) -> StoredFile:
    """Check and store ``content``; the same bytes stored twice give the same row.

    Raises ValidationFailed (Vietnamese message, nothing stored) when the file is empty, too
    big, not really one of ``allowed`` (decided from the bytes), named with another type's
    extension, or fails the content check (undecodable image; PDF truncated, encrypted, or
    carrying JavaScript / Launch actions).
    """
    limit = _limit(max_bytes)
    if isinstance(content, bytes | bytearray | memoryview):
        if len(content) > limit:
            raise storage.too_large(limit)
        chunks: Iterable[bytes] = _bytes_chunks(content)
    else:
        chunks = iter(lambda: content.read(storage.CHUNK_SIZE), b"")
    return _store_chunks(chunks, filename=filename, allowed=allowed, max_bytes=limit, actor=actor)


def file_store_upload(
    *,
    upload: UploadedFile,
    allowed: frozenset[str] = DEFAULT_ALLOWED,
    max_bytes: int | None = None,
    actor: Any = None,
) -> StoredFile:
    """Store a Django upload, streaming its chunks (the client's content type is ignored)."""
    limit = _limit(max_bytes)
    if upload.size is not None and upload.size > limit:
        raise storage.too_large(limit)
    return _store_chunks(upload.chunks(storage.CHUNK_SIZE), filename=upload.name or "", allowed=allowed,
                         max_bytes=limit, actor=actor)


def _store_chunks(chunks: Iterable[bytes], *, filename: str, allowed: frozenset[str], max_bytes: int,
                  actor: Any) -> StoredFile:
    kinds = normalize_allowed(allowed)
    name = sanitize_filename(filename)
    spooled = storage.spool(chunks, max_bytes=max_bytes)
    try:
        if spooled.size == 0:
            raise ValidationFailed("Tệp rỗng, không có nội dung.", code="file_empty")
        info = check_kind(head=spooled.head, filename=name, allowed=kinds)
        check_content(spooled.path, info)
        created_blob = storage.place_blob(spooled)
        return _record(spooled=spooled, info=info, name=name, created_blob=created_blob, actor=actor)
    finally:
        spooled.path.unlink(missing_ok=True)


@transaction.atomic
def _record(*, spooled: storage.Spooled, info: KindInfo, name: str, created_blob: bool, actor: Any) -> StoredFile:
    stored, created = StoredFile.objects.get_or_create(
        sha256=spooled.sha256,
        defaults={
            "size": spooled.size,
            "kind": info.kind,
            "content_type": info.content_type,
            "extension": info.extension,
            "original_name": name,
        },
    )
    audit_record(
        action="file.stored",
        actor=actor,
        obj=stored,
        summary={"sha256": stored.sha256, "size": stored.size, "kind": stored.kind, "name": name,
                 "new_row": created, "new_blob": created_blob},
    )
    return stored


# --- garbage collection ------------------------------------------------------------------------


@dataclass(frozen=True)
class GcResult:
    rows_deleted: int
    blobs_deleted: int
    temp_files_deleted: int


def _referencing_fields() -> list[tuple[type[models.Model], str]]:
    """Every foreign key (and many-to-many through-table key) that points at StoredFile."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is StoredFile:
                found.append((model, field.attname))
    return found


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start: start + size]


def _rowless_blobs(*, older_than_ts: float, skip: set[str]) -> list[Path]:
    """Blobs with no row, checked against the database a batch at a time."""
    candidates = [p for p in storage.iter_blob_paths() if p.name not in skip and p.stat().st_mtime < older_than_ts]
    orphans: list[Path] = []
    for batch in _batches(candidates, 500):
        known = set(StoredFile.objects.filter(sha256__in=[p.name for p in batch]).values_list("sha256", flat=True))
        orphans += [p for p in batch if p.name not in known]
    return orphans


@transaction.atomic
def files_gc_orphans(
    *,
    referenced_ids: Iterable[int] = (),
    older_than: timedelta = timedelta(days=1),
    actor: Any = None,
) -> GcResult:
    """Delete files nobody uses (dọn tệp mồ côi): rows older than ``older_than`` that no foreign
    key in any installed app points at and that are not in ``referenced_ids``; blobs without a
    row (left by a transaction that rolled back after the blob was written); stale temp files.

    The grace period protects an upload whose referencing row is being written right now.
    Blobs are removed only after the transaction commits.
    """
    cutoff = timezone.now() - older_than
    candidates = StoredFile.objects.filter(created_at__lt=cutoff)
    for model, attname in _referencing_fields():
        candidates = candidates.exclude(id__in=model._default_manager.filter(**{f"{attname}__isnull": False})
                                        .values(attname))
    keep = set(referenced_ids)
    doomed = [(pk, sha) for pk, sha in candidates.values_list("id", "sha256") if pk not in keep]
    doomed_ids = [pk for pk, _ in doomed]
    for batch in _batches(doomed_ids, 500):
        StoredFile.objects.filter(id__in=batch).delete()

    cutoff_ts = time.time() - older_than.total_seconds()
    blob_paths = [storage.blob_path(sha) for _, sha in doomed]
    blob_paths += _rowless_blobs(older_than_ts=cutoff_ts, skip={sha for _, sha in doomed})
    temp_paths = [p for p in storage.tmp_dir().iterdir() if p.is_file() and p.stat().st_mtime < cutoff_ts]

    def remove() -> None:
        # Re-check: the same content may have been uploaded again since the rows were deleted.
        for batch in _batches(blob_paths, 500):
            alive = set(StoredFile.objects.filter(sha256__in=[p.name for p in batch])
                        .values_list("sha256", flat=True))
            for path in batch:
                if path.name not in alive:
                    path.unlink(missing_ok=True)
        for path in temp_paths:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove)
    audit_record(action="file.gc", actor=actor, object_type="files.storedfile",
                 summary={"rows": len(doomed), "blobs": len(blob_paths), "temp_files": len(temp_paths)})
    return GcResult(rows_deleted=len(doomed), blobs_deleted=len(blob_paths), temp_files_deleted=len(temp_paths))

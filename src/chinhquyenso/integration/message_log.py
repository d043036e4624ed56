"""Signed message log (nhật ký thông điệp có ký số), like X-Road's: every request the outbox sends and
every reply it receives is appended to a hash chain, and each record's hash is signed with the
province's Ed25519 key.

- The chain uses the audit log's approach: one head row locked by every append, so ``seq`` is gap-free
  and the order is the same on every database. ``prev_hash`` links a record to the one before.
- ``record_hash`` covers the metadata and ``payload_sha256``; the stored payload is checked against
  that digest. In metadata-only mode (``CHINHQUYENSO_MESSAGE_LOG_MODE=metadata``) only the digest is
  kept: the proof that a given body was exchanged, without keeping personal data twice.
- The private key lives in ``DATA_DIR/message_log_ed25519.pem`` (created once, mode 0600) unless
  ``CHINHQUYENSO_MESSAGE_LOG_KEY`` names a PEM file. Share the public key with whoever must verify.
- Archives (``message_log_export``) are deterministic ZIP files: ``records.jsonl``, ``manifest.json``
  (first/last seq, digest of the previous archive, the public key) and ``manifest.sig``; they are
  verified offline by :func:`verify_archive` (no database).

Appends happen in the delivery's *record* transaction, never around the HTTP call.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chinhquyenso.audit.services import GENESIS, audit_record, canonical_json
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.integration.models import MessageLogArchive, MessageLogHead, MessageLogRecord

KEY_ENV = "CHINHQUYENSO_MESSAGE_LOG_KEY"
MODE_ENV = "CHINHQUYENSO_MESSAGE_LOG_MODE"
KEY_FILENAME = "message_log_ed25519.pem"
ARCHIVE_FORMAT = "chinhquyenso.message-log/1"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# --- Keys ---------------------------------------------------------------------------------------

_key_lock = threading.Lock()
_key_cache: dict[Path, Ed25519PrivateKey] = {}


def key_path() -> Path:
    raw = os.environ.get(KEY_ENV, "").strip()
    return Path(raw) if raw else Path(settings.DATA_DIR) / KEY_FILENAME


def _generate_key_file(path: Path) -> None:
    """Create the key with O_EXCL and mode 0600: two processes starting at once cannot both write one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def signing_key() -> Ed25519PrivateKey:
    """The province's message-log key, generated on first use unless ``CHINHQUYENSO_MESSAGE_LOG_KEY`` is set."""
    path = key_path()
    with _key_lock:
        cached = _key_cache.get(path)
        if cached is not None:
            return cached
        if not path.exists():
            if os.environ.get(KEY_ENV, "").strip():
                raise FileNotFoundError(f"{KEY_ENV} points to a missing file: {path}")
            _generate_key_file(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        _key_cache[path] = key
        return key


def public_key_pem(key: Ed25519PrivateKey | None = None) -> str:
    """The public half, PEM (SubjectPublicKeyInfo): what a verifier needs."""
    key = key or signing_key()
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def full_payload_mode() -> bool:
    return os.environ.get(MODE_ENV, "full").strip().lower() not in ("metadata", "metadata-only", "hash")


# --- Hashing and signing ------------------------------------------------------------------------


def payload_text(payload: Any) -> str:
    """The exact text the client sends for a JSON body (same ``json.dumps`` call as national_portal)."""
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def compute_record_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of everything but the payload text (covered by its digest)."""
    body = canonical_json({
        "prev": fields["prev_hash"],
        "seq": fields["seq"],
        "direction": fields["direction"],
        "message_id": fields["message_id"],
        "dossier_code": fields["dossier_code"],
        "endpoint": fields["endpoint"],
        "occurred_at": fields["occurred_at"],
        "logged_at": fields["logged_at"],
        "http_status": fields["http_status"],
        "error_kind": fields["error_kind"],
        "payload_sha256": fields["payload_sha256"],
        "payload_stored": fields["payload_stored"],
    })
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _sign(key: Ed25519PrivateKey, record_hash: str) -> str:
    return base64.b64encode(key.sign(record_hash.encode("ascii"))).decode("ascii")


def _signature_ok(public: Ed25519PublicKey, record_hash: str, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), record_hash.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def record_fields(record: MessageLogRecord) -> dict[str, Any]:
    """A record as plain JSON-able data: what the hash covers, what archives carry."""
    return {
        "seq": record.seq, "direction": record.direction, "message_id": record.message_id,
        "dossier_code": record.dossier_code, "endpoint": record.endpoint, "occurred_at": _iso(record.occurred_at),
        "logged_at": _iso(record.logged_at), "http_status": record.http_status, "error_kind": record.error_kind,
        "payload_sha256": record.payload_sha256, "payload_stored": record.payload_stored, "payload": record.payload,
        "prev_hash": record.prev_hash, "record_hash": record.record_hash, "signature": record.signature,
    }


# --- Appending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One exchange to log. ``payload`` is the body text (or a JSON-able value, serialized as sent)."""

    direction: str
    endpoint: str
    occurred_at: datetime
    payload: Any
    message_id: int | None = None
    dossier_code: str = ""
    http_status: int | None = None
    error_kind: str = ""


@transaction.atomic
def message_log_append(*, entries: Sequence[LogEntry]) -> list[MessageLogRecord]:
    """Append ``entries`` in order under one lock of the head row. Call it inside the transaction that
    records the exchange (never around an HTTP call): the log commits or rolls back with it."""
    if not entries:
        return []
    key = signing_key()
    full = full_payload_mode()
    MessageLogHead.objects.get_or_create(id=1)  # the table may be empty after a flush
    head = MessageLogHead.objects.select_for_update().get(id=1)
    seq, prev = head.last_seq, head.last_hash
    logged_at = timezone.now()
    rows: list[MessageLogRecord] = []
    for entry in entries:
        if entry.direction not in ("request", "response"):
            raise ValidationFailed("Chiều thông điệp không hợp lệ.", code="direction_invalid")
        seq += 1
        text = payload_text(entry.payload)
        fields: dict[str, Any] = {
            "prev_hash": prev, "seq": seq, "direction": entry.direction, "message_id": entry.message_id,
            "dossier_code": entry.dossier_code, "endpoint": entry.endpoint, "occurred_at": _iso(entry.occurred_at),
            "logged_at": _iso(logged_at), "http_status": entry.http_status, "error_kind": entry.error_kind,
            "payload_sha256": sha256_hex(text), "payload_stored": full,
        }
        digest = compute_record_hash(fields)
        rows.append(MessageLogRecord(
            seq=seq, direction=entry.direction, message_id=entry.message_id, dossier_code=entry.dossier_code,
            endpoint=entry.endpoint, occurred_at=entry.occurred_at, logged_at=logged_at,
            http_status=entry.http_status, error_kind=entry.error_kind, payload_sha256=fields["payload_sha256"],
            payload_stored=full, payload=text if full else "", prev_hash=prev, record_hash=digest,
            signature=_sign(key, digest),
        ))
        prev = digest
    MessageLogRecord.objects.bulk_create(rows)
    MessageLogHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev)
    return rows


# --- Verifying ----------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """``ok`` and, when not, the first bad record's seq and why."""

    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    bad_seq: int | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reason


def _check_record(data: dict[str, Any], *, expected_seq: int | None, expected_prev: str | None,
                  public: Ed25519PublicKey) -> str:
    """Why ``data`` is bad, or ''."""
    if expected_seq is not None and data["seq"] != expected_seq:
        return f"missing record(s): expected seq {expected_seq}, found {data['seq']}"
    if expected_prev is not None and data["prev_hash"] != expected_prev:
        return "prev_hash does not match the previous record's hash"
    if data["payload_stored"] and sha256_hex(data["payload"]) != data["payload_sha256"]:
        return "payload does not match payload_sha256"
    if not data["payload_stored"] and data["payload"]:
        return "payload present although marked metadata-only"
    if compute_record_hash(data) != data["record_hash"]:
        return "record_hash does not match the record's content"
    if not _signature_ok(public, data["record_hash"], data["signature"]):
        return "signature is not valid for this public key"
    return ""


def _walk(rows: Iterable[dict[str, Any]], public: Ed25519PublicKey, *, start_prev: str | None,
          report: VerifyReport) -> str | None:
    """Check rows in order; returns the last record hash (None when there were none)."""
    expected_seq: int | None = None
    expected_prev = start_prev
    last_hash: str | None = None
    for data in rows:
        if report.first_seq is None:
            report.first_seq = data["seq"]
            if data["seq"] == 1 and expected_prev is None:
                expected_prev = GENESIS
        why = _check_record(data, expected_seq=expected_seq, expected_prev=expected_prev, public=public)
        if why:
            report.bad_seq, report.reason = data["seq"], why
            return last_hash
        report.checked += 1
        report.last_seq = data["seq"]
        expected_seq, expected_prev = data["seq"] + 1, data["record_hash"]
        last_hash = data["record_hash"]
    return last_hash


def _db_rows() -> Iterator[dict[str, Any]]:
    for record in MessageLogRecord.objects.order_by("seq").iterator(chunk_size=1000):
        yield record_fields(record)


def message_log_verify(*, public_key: Ed25519PublicKey | None = None) -> VerifyReport:
    """Walk the whole chain in the database: seq gap-free from 1, links, payload digests, hashes,
    signatures, and the head row (which catches a deleted tail)."""
    public = public_key or signing_key().public_key()
    report = VerifyReport()
    first = MessageLogRecord.objects.order_by("seq").values_list("seq", flat=True).first()
    if first is not None and first != 1:
        report.bad_seq, report.reason = first, f"missing record(s): the chain starts at seq {first}, not 1"
        return report
    last_hash = _walk(_db_rows(), public, start_prev=GENESIS, report=report)
    if not report.ok:
        return report
    head = MessageLogHead.objects.filter(id=1).first()
    head_seq = head.last_seq if head else 0
    if head_seq != (report.last_seq or 0) or (head is not None and head.last_seq and head.last_hash != last_hash):
        report.bad_seq = (report.last_seq or 0) + 1
        report.reason = f"missing record(s) at the end: the head says seq {head_seq}"
    return report


# --- Archives -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    sha256: str
    first_seq: int | None
    last_seq: int | None
    count: int


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min,
                                                                           tzinfo=tz))


def _zip_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """Same input, same bytes: fixed timestamps, order, permissions and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, content, compresslevel=9)
    return buffer.getvalue()


def build_archive(*, start: date, end: date) -> tuple[bytes, dict[str, Any]]:
    """The archive bytes for records appended on local days ``start``..``end`` (inclusive), and its manifest.

    The selection is a contiguous seq range (from the first to the last record logged in the window),
    so consecutive archives chain: each manifest names the previous archive's digest and the hash
    the first record links to.
    """
    if end < start:
        raise ValidationFailed("Ngày kết thúc phải sau ngày bắt đầu.", code="range_invalid")
    lo, hi = _day_bounds(start, end)
    window = MessageLogRecord.objects.filter(logged_at__gte=lo, logged_at__lt=hi).order_by("seq")
    first_seq = window.values_list("seq", flat=True).first()
    last_seq = window.order_by("-seq").values_list("seq", flat=True).first()
    lines: list[bytes] = []
    first_prev = None
    last_hash = None
    if first_seq is not None and last_seq is not None:
        for record in MessageLogRecord.objects.filter(seq__gte=first_seq, seq__lte=last_seq).order_by("seq").iterator(
            chunk_size=1000
        ):
            data = record_fields(record)
            first_prev = first_prev or data["prev_hash"]
            last_hash = data["record_hash"]
            lines.append(canonical_json(data).encode("utf-8") + b"\n")
    records = b"".join(lines)
    previous = None
    if first_seq is not None:
        previous = MessageLogArchive.objects.filter(last_seq__lt=first_seq).order_by("-last_seq", "-id").first()
    key = signing_key()
    manifest = {
        "format": ARCHIVE_FORMAT,
        "date_from": start.isoformat(), "date_to": end.isoformat(),
        "first_seq": first_seq, "last_seq": last_seq, "count": len(lines),
        "first_prev_hash": first_prev, "last_record_hash": last_hash,
        "records_sha256": hashlib.sha256(records).hexdigest(),
        "previous_archive_sha256": previous.sha256 if previous else None,
        "public_key": public_key_pem(key),
    }
    manifest_bytes = canonical_json(manifest).encode("utf-8")
    signature = base64.b64encode(key.sign(hashlib.sha256(manifest_bytes).hexdigest().encode("ascii")))
    content = _zip_bytes([("manifest.json", manifest_bytes), ("manifest.sig", signature),
                          ("records.jsonl", records)])
    return content, manifest


@transaction.atomic
def message_log_export(*, start: date, end: date, out: Path, actor: Any = None) -> ArchiveInfo:
    """Write the archive for ``start``..``end`` to ``out`` and remember its digest for the next one."""
    content, manifest = build_archive(start=start, end=end)
    digest = hashlib.sha256(content).hexdigest()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, out)
    if manifest["first_seq"] is not None:
        exists = MessageLogArchive.objects.filter(first_seq=manifest["first_seq"], last_seq=manifest["last_seq"],
                                                  sha256=digest).exists()
        if not exists:
            MessageLogArchive.objects.create(first_seq=manifest["first_seq"], last_seq=manifest["last_seq"],
                                             sha256=digest, date_from=start, date_to=end)
    audit_record(action="integration.message_log_export", actor=actor, object_type="integration.messagelog",
                 object_id=str(manifest["last_seq"] or ""),
                 summary={"from": start.isoformat(), "to": end.isoformat(), "first_seq": manifest["first_seq"],
                          "last_seq": manifest["last_seq"], "count": manifest["count"], "sha256": digest})
    return ArchiveInfo(path=out, sha256=digest, first_seq=manifest["first_seq"], last_seq=manifest["last_seq"],
                       count=manifest["count"])


def verify_archive(path: Path | str, *, public_key_pem_text: str | None = None) -> VerifyReport:
    """Offline check of an exported archive (no database): manifest signature, records digest, and every
    record's link, payload digest, hash and signature. Without ``public_key_pem_text`` the key embedded
    in the manifest is used, which proves integrity but not origin: pass the province's published key."""
    report = VerifyReport()
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"manifest.json", "manifest.sig", "records.jsonl"} <= names:
                report.reason = "archive is missing manifest.json, manifest.sig or records.jsonl"
                return report
            manifest_bytes = archive.read("manifest.json")
            manifest_sig = archive.read("manifest.sig")
            records = archive.read("records.jsonl")
    except (OSError, zipfile.BadZipFile) as exc:
        report.reason = f"cannot read archive: {exc}"
        return report
    try:
        manifest = json.loads(manifest_bytes)
        if public_key_pem_text is None:
            report.notes.append("using the public key embedded in the archive (integrity only, not origin)")
        public = load_public_key(public_key_pem_text or manifest["public_key"])
    except (ValueError, KeyError, TypeError) as exc:
        report.reason = f"bad manifest or public key: {exc}"
        return report
    if manifest.get("format") != ARCHIVE_FORMAT:
        report.reason = f"unknown archive format {manifest.get('format')!r}"
        return report
    if not _signature_ok(public, hashlib.sha256(manifest_bytes).hexdigest(), manifest_sig.decode("ascii", "replace")):
        report.reason = "manifest signature is not valid for this public key"
        return report
    if hashlib.sha256(records).hexdigest() != manifest.get("records_sha256"):
        report.reason = "records.jsonl does not match the manifest's digest"
        # go on: the record walk below names the first bad record
    try:
        rows = [json.loads(line) for line in records.decode("utf-8").splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.reason = f"records.jsonl is not JSON lines: {exc}"
        return report
    digest_problem = report.reason
    report.reason = ""
    last_hash = _walk(rows, public, start_prev=manifest.get("first_prev_hash"), report=report)
    if not report.ok:
        return report
    if digest_problem:
        report.reason = digest_problem
        return report
    if (report.first_seq, report.last_seq, report.checked) != (manifest.get("first_seq"), manifest.get("last_seq"),
                                                                manifest.get("count")):
        report.reason = "records do not match the manifest's first/last seq or count"
    elif last_hash != manifest.get("last_record_hash"):
        report.reason = "last record hash does not match the manifest"
    return report

"""Signed message log: every exchange of the outbox delivery is chained and signed; any tampering is found,
in the database and in exported archives (offline)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from chinhquyenso.integration import message_log
from chinhquyenso.integration.message_log import (
    compute_record_hash,
    message_log_export,
    message_log_verify,
    public_key_pem,
    record_fields,
    verify_archive,
)
from chinhquyenso.integration.models import MessageLogHead, MessageLogRecord
from chinhquyenso.integration.services import outbox_drain

from .factories import make_dossier


@pytest.fixture(autouse=True)
def key_dir(tmp_path, settings, monkeypatch) -> Path:
    """A fresh province key in a temporary DATA_DIR for every test."""
    monkeypatch.delenv(message_log.KEY_ENV, raising=False)
    monkeypatch.delenv(message_log.MODE_ENV, raising=False)
    settings.DATA_DIR = tmp_path
    message_log._key_cache.clear()
    yield tmp_path
    message_log._key_cache.clear()


@pytest.fixture
def logged(world, portal, portal_client, policy) -> list[MessageLogRecord]:
    for _ in range(3):
        make_dossier(world)
    assert outbox_drain(worker_id="w1", client=portal_client, policy=policy).delivered == 3
    return list(MessageLogRecord.objects.order_by("seq"))


def test_delivery_logs_each_request_and_reply(logged, key_dir) -> None:
    assert [r.seq for r in logged] == [1, 2, 3, 4, 5, 6]
    assert [r.direction for r in logged] == ["request", "response"] * 3
    request, reply = logged[0], logged[1]
    assert request.message_id == reply.message_id and request.dossier_code == request.message.key
    body = json.loads(request.payload)
    assert body["MaHoSo"] == request.dossier_code  # the full payload is kept
    assert request.payload_sha256 == hashlib.sha256(request.payload.encode()).hexdigest()
    assert reply.http_status == 200 and json.loads(reply.payload)["error_code"] == 0
    assert logged[0].prev_hash == "0" * 64 and logged[1].prev_hash == logged[0].record_hash
    assert MessageLogHead.objects.get(id=1).last_seq == 6
    key_file = key_dir / message_log.KEY_FILENAME
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    report = message_log_verify()
    assert report.ok and report.checked == 6


def test_failed_delivery_logs_the_reply_too(world, portal, portal_client, policy) -> None:
    make_dossier(world)
    portal.set_faults(fail_rate=1.0)
    outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    rows = list(MessageLogRecord.objects.order_by("seq"))
    assert [(r.direction, r.http_status, r.error_kind) for r in rows] == [
        ("request", None, ""), ("response", 500, "http_5xx")]
    assert message_log_verify().ok


def test_tampered_payload_is_found(logged) -> None:
    MessageLogRecord.objects.filter(seq=3).update(payload=logged[2].payload.replace('"MaHoSo"', '"MaHoSO"'))
    report = message_log_verify()
    assert (report.ok, report.bad_seq, report.checked) == (False, 3, 2) and "payload" in report.reason


def test_tampered_hash_is_found(logged) -> None:
    MessageLogRecord.objects.filter(seq=4).update(record_hash="f" * 64)
    report = message_log_verify()
    assert not report.ok and report.bad_seq == 4


def test_deleted_rows_are_found(logged) -> None:
    MessageLogRecord.objects.filter(seq=2).delete()
    report = message_log_verify()
    assert not report.ok and report.bad_seq == 3 and "missing" in report.reason


def test_deleted_tail_is_found_through_the_head(logged) -> None:
    MessageLogRecord.objects.filter(seq=6).delete()
    report = message_log_verify()
    assert not report.ok and report.bad_seq == 6 and "head" in report.reason


def test_record_re_signed_with_another_key_is_found(logged) -> None:
    """An attacker rewrites a payload and recomputes every digest consistently, but has not our key."""
    row = logged[2]
    row.payload = row.payload.replace('"TrangThaiHoSo":2', '"TrangThaiHoSo":10')
    row.payload_sha256 = hashlib.sha256(row.payload.encode()).hexdigest()
    row.record_hash = compute_record_hash(record_fields(row))
    other = Ed25519PrivateKey.generate()
    row.signature = message_log._sign(other, row.record_hash)
    MessageLogRecord.objects.filter(pk=row.pk).update(payload=row.payload, payload_sha256=row.payload_sha256,
                                                      record_hash=row.record_hash, signature=row.signature)
    report = message_log_verify()
    assert not report.ok and report.bad_seq == 3 and "signature" in report.reason


def test_verify_command_exits_non_zero_naming_the_record(logged, capsys) -> None:
    call_command("message_log", "verify")
    assert "OK: 6 records" in capsys.readouterr().out
    MessageLogRecord.objects.filter(seq=5).update(endpoint="/khac")
    with pytest.raises(SystemExit) as exc:
        call_command("message_log", "verify")
    assert exc.value.code == 1
    assert "record seq 5" in capsys.readouterr().err


def test_metadata_only_mode_keeps_just_the_digest(world, portal, portal_client, policy, monkeypatch) -> None:
    monkeypatch.setenv(message_log.MODE_ENV, "metadata")
    make_dossier(world)
    outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    rows = list(MessageLogRecord.objects.all())
    assert len(rows) == 2 and all(r.payload == "" and not r.payload_stored and len(r.payload_sha256) == 64
                                  for r in rows)
    assert message_log_verify().ok


def test_key_from_the_environment(tmp_path, monkeypatch) -> None:
    path = tmp_path / "province.pem"
    monkeypatch.setenv(message_log.KEY_ENV, str(path))
    with pytest.raises(FileNotFoundError):
        message_log.signing_key()
    message_log._generate_key_file(path)
    assert message_log.signing_key().public_key().public_bytes_raw() == message_log.load_public_key(
        public_key_pem()).public_bytes_raw()


# --- Archives -----------------------------------------------------------------------------------


def _rewrite(src: Path, dst: Path, name: str, content: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, content if item.filename == name else zin.read(item.filename))


def test_archive_round_trip_and_determinism(logged, tmp_path, capsys) -> None:
    today = timezone.localdate()
    first = message_log_export(start=today, end=today, out=tmp_path / "a.zip")
    assert (first.first_seq, first.last_seq, first.count) == (1, 6, 6)
    again = message_log_export(start=today, end=today, out=tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes() and again.sha256 == first.sha256
    report = verify_archive(tmp_path / "a.zip", public_key_pem_text=public_key_pem())
    assert report.ok and report.checked == 6 and not report.notes
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["previous_archive_sha256"] is None and manifest["public_key"] == public_key_pem()
    pem = tmp_path / "pub.pem"
    pem.write_text(public_key_pem())
    call_command("message_log", "verify-archive", str(tmp_path / "a.zip"), "--public-key", str(pem))
    assert "OK: 6 records" in capsys.readouterr().out


def test_next_archive_names_the_previous_one(logged, tmp_path, world, portal_client, policy) -> None:
    today = timezone.localdate()
    first = message_log_export(start=today, end=today, out=tmp_path / "a.zip")
    make_dossier(world)
    outbox_drain(worker_id="w1", client=portal_client, policy=policy)
    # Pretend the first archive covered seq 1..6 only and the next one starts at 7.
    MessageLogRecord.objects.filter(seq__lte=6).update(logged_at=timezone.now() - timedelta(days=2))
    second = message_log_export(start=today, end=today, out=tmp_path / "b.zip")
    assert (second.first_seq, second.last_seq) == (7, 8)
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        assert json.loads(z.read("manifest.json"))["previous_archive_sha256"] == first.sha256
    # logged_at is part of the hash: the rewrite above breaks seq 1..6, and the second archive is intact.
    assert verify_archive(tmp_path / "b.zip", public_key_pem_text=public_key_pem()).ok


def test_tampered_archive_is_found(logged, tmp_path, capsys) -> None:
    today = timezone.localdate()
    message_log_export(start=today, end=today, out=tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        lines = z.read("records.jsonl").decode().splitlines()
    row = json.loads(lines[2])
    row["payload"] = row["payload"].replace("MaHoSo", "MaHoSO")
    lines[2] = json.dumps(row, ensure_ascii=False)
    _rewrite(tmp_path / "a.zip", tmp_path / "bad.zip", "records.jsonl", ("\n".join(lines) + "\n").encode())
    report = verify_archive(tmp_path / "bad.zip")
    assert not report.ok and report.bad_seq == 3 and report.notes
    with pytest.raises(SystemExit):
        call_command("message_log", "verify-archive", str(tmp_path / "bad.zip"))
    assert "record seq 3" in capsys.readouterr().err

    # Dropping a line and fixing nothing else: the manifest digest and the chain both disagree.
    _rewrite(tmp_path / "a.zip", tmp_path / "short.zip", "records.jsonl",
             ("\n".join(lines[:1] + lines[3:]) + "\n").encode())
    assert not verify_archive(tmp_path / "short.zip").ok

    # Another province's key: the manifest signature fails.
    other = Ed25519PrivateKey.generate()
    assert "signature" in verify_archive(tmp_path / "a.zip",
                                         public_key_pem_text=public_key_pem(other)).reason

    # A manifest edited to point elsewhere: its signature fails.
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
    manifest["previous_archive_sha256"] = "0" * 64
    _rewrite(tmp_path / "a.zip", tmp_path / "m.zip", "manifest.json", json.dumps(manifest).encode())
    assert not verify_archive(tmp_path / "m.zip").ok
    assert not verify_archive(io.BytesIO(b"not a zip")).ok  # type: ignore[arg-type]

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chinhquyenso.files import storage
from chinhquyenso.files.models import StoredFile
from chinhquyenso.files.services import file_store

pytestmark = pytest.mark.django_db


def test_files_verify_reports_an_altered_blob(capsys, pdf_bytes, png_bytes):
    file_store(content=png_bytes, filename="a.png")
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    call_command("files_verify")
    assert "2" in capsys.readouterr().out
    path = storage.blob_path(stored.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(pdf_bytes + b"x")
    with pytest.raises(CommandError, match=f"#{stored.pk}"):
        call_command("files_verify")


def test_files_gc_command_deletes_old_orphans(django_capture_on_commit_callbacks, pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    StoredFile.objects.filter(pk=stored.pk).update(created_at=timezone.now() - timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("files_gc", "--days", "7")
    assert not StoredFile.objects.exists()
    assert not storage.blob_path(stored.sha256).exists()

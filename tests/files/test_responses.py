from __future__ import annotations

import pytest

from chinhquyenso.core.errors import NotFound
from chinhquyenso.files import storage
from chinhquyenso.files.responses import file_response
from chinhquyenso.files.services import file_store

pytestmark = pytest.mark.django_db


def test_download_headers_are_safe(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    response = file_response(stored, download_name="Giấy tiếp nhận <HS-01>.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(pdf_bytes))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Gi%E1%BA%A5y%20ti%E1%BA%BFp%20nh%E1%BA%ADn%20_HS-01_.pdf" in disposition
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes


def test_download_name_gets_the_real_extension_and_loses_its_path(png_bytes):
    stored = file_store(content=png_bytes, filename="scan.png")
    response = file_response(stored, download_name="../../etc/ho-so.pdf")
    assert response["Content-Type"] == "image/png"
    assert 'filename="ho-so.pdf.png"' in response["Content-Disposition"]
    response.close()


def test_missing_blob_is_a_clear_not_found(pdf_bytes):
    stored = file_store(content=pdf_bytes, filename="a.pdf")
    storage.blob_path(stored.sha256).unlink()
    with pytest.raises(NotFound):
        file_response(stored, download_name="a.pdf")

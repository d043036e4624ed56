"""Serving a stored file after the caller has authorized the request."""

from __future__ import annotations

from django.http import FileResponse

from chinhquyenso.files.models import StoredFile
from chinhquyenso.files.selectors import file_open
from chinhquyenso.files.validation import filename_extension, sanitize_filename


def file_response(f: StoredFile, *, download_name: str) -> FileResponse:
    """A download, never rendered in the page's origin: ``attachment``, the type we detected
    (not the uploader's), ``nosniff``, a sandboxing CSP and no shared caching (personal data)."""
    name = sanitize_filename(download_name)
    if filename_extension(name) != f.extension and not (f.kind == "jpeg" and filename_extension(name) == "jpeg"):
        name = f"{name}.{f.extension}"
    response = FileResponse(file_open(f), as_attachment=True, filename=name, content_type=f.content_type)
    response["Content-Length"] = str(f.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

"""Content-addressed file store (kho tệp theo mã băm SHA-256).

A row describes one blob; the blob lives at ``MEDIA_ROOT/<sha[0:2]>/<sha[2:4]>/<sha>``, is
written once and never modified, so a signed PDF stays byte-exact. The same content uploaded
twice is one row and one blob: whoever uses a file (a dossier attachment, a result document)
keeps its own row with the display name and points here.
"""

from __future__ import annotations

from django.db import models


class FileKind(models.TextChoices):
    """The types we accept, decided from the bytes (magic numbers), never from the name."""

    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


class StoredFile(models.Model):
    sha256 = models.CharField("mã băm SHA-256", max_length=64, unique=True)
    size = models.PositiveBigIntegerField("kích thước (byte)")
    kind = models.CharField("loại tệp", max_length=10, choices=FileKind.choices)
    content_type = models.CharField("kiểu MIME", max_length=100)
    extension = models.CharField("phần mở rộng", max_length=10, help_text="From the real type: pdf, jpg, png")
    original_name = models.CharField(
        "tên tệp lần đầu tải lên", max_length=255, blank=True,
        help_text="Sanitised name of the first upload; users of the file keep their own display name",
    )
    created_at = models.DateTimeField("thời điểm lưu", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "tệp lưu trữ"
        verbose_name_plural = "tệp lưu trữ"

    def __str__(self) -> str:
        return f"{self.sha256[:12]}….{self.extension} ({self.size} B)"

    @property
    def relative_path(self) -> str:
        """Where the blob lives under MEDIA_ROOT."""
        return f"{self.sha256[0:2]}/{self.sha256[2:4]}/{self.sha256}"

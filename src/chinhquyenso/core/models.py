"""Core tables shared by every app. Only what has no better home: the idempotency ledger."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an ``Idempotency-Key`` header.

    Written in the same transaction as the action itself: either both exist or neither does,
    so a client that retries after a timeout gets the first answer back instead of a second
    dossier. Keys are scoped to the caller (``identity``), so two clients cannot collide.
    """

    identity = models.CharField(max_length=80, help_text="Who sent it: 'user:<id>' or 'token:<id>'")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "key"], name="idempotency_identity_key_unique")]
        verbose_name = "khóa chống gửi trùng"
        verbose_name_plural = "khóa chống gửi trùng"

    def __str__(self) -> str:
        return f"{self.identity} {self.method} {self.path} [{self.key}]"

"""Outbox (hàng đợi gửi đi), delivery attempts and the shared circuit-breaker state.

An :class:`OutboxMessage` is written in the same transaction as the dossier change it reports,
so a change is never lost and never sent before it is committed. The worker delivers it
at-least-once; the receiver dedupes by ``idempotency_key``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

TOPIC_NATIONAL_PORTAL = "national_portal.dossier_sync"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    IN_FLIGHT = "in_flight", "Đang gửi"
    DELIVERED = "delivered", "Đã gửi"
    DEAD = "dead", "Gửi lỗi (thư chết)"
    CANCELLED = "cancelled", "Đã hủy"


UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)


class ErrorKind(models.TextChoices):
    TIMEOUT = "timeout", "Hết thời gian chờ"
    HTTP_5XX = "http_5xx", "Lỗi máy chủ (5xx)"
    HTTP_429 = "http_429", "Vượt giới hạn tần suất (429)"
    GARBLED = "garbled", "Phản hồi không đọc được"
    CONNECTION = "connection", "Lỗi kết nối"
    AUTH = "auth", "Lỗi xác thực"
    REJECTED = "rejected", "Bị từ chối (dữ liệu)"


class OutboxMessage(models.Model):
    """One state change to deliver. ``key`` is the ordering key (the dossier code): a message
    is never sent while an earlier one (lower ``seq``) of the same key is undelivered."""

    topic = models.CharField(max_length=60, default=TOPIC_NATIONAL_PORTAL)
    key = models.CharField(max_length=80, help_text="Ordering key: the dossier code (MaHoSo)")
    seq = models.PositiveIntegerField(help_text="The dossier event's per-dossier sequence number")
    idempotency_key = models.CharField(max_length=160, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    event_id = models.BigIntegerField(null=True, blank=True, help_text="dossiers.DossierEvent id, if any")
    reason = models.CharField(max_length=20, default="event", help_text="event | reconcile")
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    age_from = models.DateTimeField(default=timezone.now, help_text="Max-age clock start (reset by a manual retry)")
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["topic", "key", "seq"], name="outbox_key_seq_idx"),
            models.Index(fields=["status", "claimed_until"], name="outbox_claim_idx"),
            models.Index(fields=["delivered_at"], name="outbox_delivered_idx"),
        ]
        verbose_name = "thông điệp chờ gửi"
        verbose_name_plural = "thông điệp chờ gửi"

    def __str__(self) -> str:
        return f"{self.idempotency_key} [{self.status}]"


class DeliveryAttempt(models.Model):
    """Lần gửi: every try is kept (status, duration, excerpt) so failures can be explained."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempts_log")
    worker_id = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["started_at"], name="attempt_started_idx"),
            models.Index(fields=["message", "started_at"], name="attempt_message_idx"),
        ]
        verbose_name = "lần gửi"
        verbose_name_plural = "lần gửi"

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.started_at:%Y-%m-%d %H:%M:%S} ok={self.ok}"


class CircuitState(models.TextChoices):
    CLOSED = "closed", "Đóng (bình thường)"
    OPEN = "open", "Mở (tạm ngừng gửi)"
    HALF_OPEN = "half_open", "Nửa mở (đang thử)"


class CircuitBreaker(models.Model):
    """One row per endpoint, shared by every worker (the state lives in the database)."""

    name = models.CharField(max_length=60, primary_key=True)
    state = models.CharField(max_length=10, choices=CircuitState.choices, default=CircuitState.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    probe_by = models.CharField(max_length=120, blank=True)
    probe_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "cầu dao kết nối"
        verbose_name_plural = "cầu dao kết nối"

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"


# --- Signed message log (nhật ký thông điệp có ký số, như X-Road) ------------------------------------


class MessageDirection(models.TextChoices):
    REQUEST = "request", "Yêu cầu gửi đi"
    RESPONSE = "response", "Phản hồi nhận về"


class MessageLogRecord(models.Model):
    """One request sent or reply received by the outbox delivery. Rows are hash-chained and each
    ``record_hash`` is signed with the province's Ed25519 key, so a changed, removed or forged row is
    found by ``chinhquyenso message-log verify`` (and offline, from an exported archive)."""

    seq = models.PositiveBigIntegerField(unique=True, help_text="Gap-free position in the chain")
    direction = models.CharField(max_length=10, choices=MessageDirection.choices)
    message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_records"
    )
    dossier_code = models.CharField(max_length=80, blank=True, db_index=True)
    endpoint = models.CharField(max_length=300)
    occurred_at = models.DateTimeField(help_text="When the request left / the reply arrived")
    logged_at = models.DateTimeField(db_index=True, help_text="When the row was appended (monotonic with seq)")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_kind = models.CharField(max_length=12, blank=True)
    payload_sha256 = models.CharField(max_length=64)
    payload_stored = models.BooleanField(default=True, help_text="False in metadata-only mode (hash only)")
    payload = models.TextField(blank=True, help_text="Exact body text; empty in metadata-only mode")
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=100, help_text="Ed25519 over record_hash, base64")

    class Meta:
        ordering = ["seq"]
        verbose_name = "bản ghi nhật ký thông điệp"
        verbose_name_plural = "nhật ký thông điệp"

    def __str__(self) -> str:
        return f"#{self.seq} {self.direction} {self.dossier_code}"


class MessageLogHead(models.Model):
    """Single row locked by every append, so the chain has one gap-free order on every database."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"message log head #{self.last_seq}"


class MessageLogArchive(models.Model):
    """One exported archive; the next archive's manifest carries this one's digest (a chain of archives)."""

    first_seq = models.PositiveBigIntegerField()
    last_seq = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    date_from = models.DateField()
    date_to = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_seq"]
        verbose_name = "tệp lưu trữ nhật ký thông điệp"
        verbose_name_plural = "tệp lưu trữ nhật ký thông điệp"

    def __str__(self) -> str:
        return f"archive #{self.first_seq}-{self.last_seq}"


# --- Data-service registry (NDXP/LGSP) ------------------------------------------------------------


class DataService(models.Model):
    """Dịch vụ dữ liệu đã kết nối (CSDL quốc gia về dân cư, đăng ký doanh nghiệp, …). PAR criterion
    7.1.4 counts connected services that actually carry transactions, so calls are recorded."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, blank=True)
    endpoint = models.URLField(max_length=300, help_text="Base URL of the service")
    purpose = models.CharField(max_length=300, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "dịch vụ dữ liệu"
        verbose_name_plural = "dịch vụ dữ liệu"

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class DataServiceCall(models.Model):
    """Giao dịch với dịch vụ dữ liệu. Never stores the query (it may hold a personal ID number)."""

    service = models.ForeignKey(DataService, on_delete=models.CASCADE, related_name="calls")
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caller_label = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["service", "occurred_at"], name="dscall_service_at_idx")]
        verbose_name = "giao dịch dịch vụ dữ liệu"
        verbose_name_plural = "giao dịch dịch vụ dữ liệu"

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.occurred_at:%Y-%m-%d %H:%M:%S} ok={self.ok}"

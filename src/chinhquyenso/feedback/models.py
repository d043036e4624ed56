"""Phản ánh, kiến nghị (PAKN): current state on the row, history in append-only events.

A petition (PAKN) is about a regulation or procedure ("quy định hành chính, TTHC") or about an
officer's conduct ("hành vi của CBCCVC"). It is handled by one agency at a time; a transfer moves
it to another agency and restarts the clock there (766 §5.2: "từ khi được chuyển đến").

The deadlines (trả lời ≤ 15 NLV, từ chối ≤ 2 NLV, yêu cầu bổ sung thông tin lần đầu ≤ 5 NLV,
công khai ≤ 2 NLV) are not constants: they live in :class:`FeedbackRuleSet` rows with an
effective-date range, and each petition remembers the rule set in force when its clock started.
Every write goes through ``services.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chinhquyenso.core.text import fold


class FeedbackRuleSet(models.Model):
    """Time limits for handling PAKN, valid over ``[valid_from, valid_to]`` (both inclusive).

    Counted in working days (ngày làm việc) of the working calendar. A change of law is a new row
    (``rule_set_create`` closes the previous one), never an edit, so old petitions keep the limits
    they were received under.
    """

    code = models.CharField(_("mã bộ quy tắc"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=300)
    legal_basis = models.CharField(_("căn cứ"), max_length=300, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hiệu lực đến (gồm cả ngày này)"), null=True, blank=True)
    reply_days = models.PositiveSmallIntegerField(
        _("thời hạn trả lời (ngày làm việc)"), help_text="Từ khi tiếp nhận hoặc từ khi được chuyển đến"
    )
    refuse_days = models.PositiveSmallIntegerField(_("thời hạn từ chối tiếp nhận (ngày làm việc)"))
    first_info_request_days = models.PositiveSmallIntegerField(
        _("thời hạn yêu cầu bổ sung thông tin lần đầu (ngày làm việc)")
    )
    publish_days = models.PositiveSmallIntegerField(
        _("thời hạn công khai kết quả (ngày làm việc)"), help_text="Từ khi trả lời"
    )
    in_progress_days = models.PositiveSmallIntegerField(
        _("ngưỡng PAKN đang xử lý được tính đúng hạn (ngày làm việc)"),
        help_text="Đang xử lý cuối kỳ: đúng hạn nếu (cuối kỳ − ngày bắt đầu) ≤ ngưỡng này",
    )
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="feedback_ruleset_range_ok"
            ),
        ]
        verbose_name = _("quy tắc thời hạn xử lý PAKN")
        verbose_name_plural = _("quy tắc thời hạn xử lý PAKN")

    def __str__(self) -> str:
        end = f"{self.valid_to:%d/%m/%Y}" if self.valid_to else "nay"
        return f"{self.code} ({self.valid_from:%d/%m/%Y} – {end})"


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("Đã tiếp nhận")
    TRANSFERRED = "transferred", _("Được chuyển đến")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    INFO_REQUESTED = "info_requested", _("Yêu cầu bổ sung thông tin")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    ANSWERED = "answered", _("Đã trả lời")
    PUBLISHED = "published", _("Đã công khai kết quả")


#: Being handled: the reply clock runs.
OPEN_STATUSES = frozenset(
    {PetitionStatus.RECEIVED, PetitionStatus.TRANSFERRED, PetitionStatus.IN_PROGRESS, PetitionStatus.INFO_REQUESTED}
)
#: A reply (answer or refusal) exists.
CLOSED_STATUSES = frozenset({PetitionStatus.REFUSED, PetitionStatus.ANSWERED, PetitionStatus.PUBLISHED})


class Topic(models.TextChoices):
    """What the petition is about (766 indicator 5.1 counts the first two)."""

    REGULATION = "regulation", _("Quy định hành chính, thủ tục hành chính")
    STAFF_CONDUCT = "staff_conduct", _("Hành vi của cán bộ, công chức, viên chức")
    OTHER = "other", _("Nội dung khác")


class RatingValue(models.TextChoices):
    LIKE = "like", _("Hài lòng")
    DISLIKE = "dislike", _("Không hài lòng")


class AttachmentPurpose(models.TextChoices):
    QUESTION = "question", _("Kèm phản ánh")
    INFO = "info", _("Thông tin bổ sung")
    ANSWER = "answer", _("Kèm văn bản trả lời")


_SEARCHED_FIELDS = frozenset({"code", "title", "content", "contact_name", "public_question", "public_answer"})


class Petition(models.Model):
    """One PAKN. ``version`` is bumped by every service (optimistic concurrency)."""

    code = models.CharField(_("mã PAKN"), max_length=40, unique=True, help_text="Mã tra cứu công khai")
    status = models.CharField(_("trạng thái"), max_length=20, choices=PetitionStatus.choices,
                              default=PetitionStatus.RECEIVED)
    version = models.PositiveIntegerField(default=1)

    topic = models.CharField(_("nội dung phản ánh về"), max_length=20, choices=Topic.choices,
                             help_text="As the submitter chose it")
    classification = models.CharField(_("phân loại"), max_length=20, choices=Topic.choices, blank=True,
                                      help_text="Set by the handling officer; empty until classified")
    procedure = models.ForeignKey("procedures.Procedure", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="petitions")
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="petitions")
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="petitions",
                               help_text="Cơ quan đang xử lý")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="petitions",
                             help_text="The handling agency's unit when the clock started; kept after reorganizations")
    title = models.CharField(_("tiêu đề"), max_length=300)
    content = models.TextField(_("nội dung"))

    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="petitions", help_text="Empty: submitted without an account")
    contact_name = models.CharField(_("họ tên người phản ánh"), max_length=200, blank=True)
    contact_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    contact_email = models.EmailField(_("thư điện tử"), blank=True)
    contact_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    client_fingerprint = models.CharField(max_length=64, blank=True, editable=False,
                                          help_text="Keyed hash of the client address (rate limit); never the address")

    rule_set = models.ForeignKey(FeedbackRuleSet, on_delete=models.PROTECT, related_name="petitions")
    received_at = models.DateTimeField(_("ngày tiếp nhận"))
    transferred_at = models.DateTimeField(_("ngày được chuyển đến"), null=True, blank=True)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    clock_started_at = models.DateTimeField(help_text="Received, or transferred in: where the deadlines count from")
    first_info_request_at = models.DateTimeField(_("ngày yêu cầu bổ sung thông tin lần đầu"), null=True, blank=True)
    info_request_count = models.PositiveSmallIntegerField(default=0)
    info_request_message = models.TextField(_("nội dung yêu cầu bổ sung"), blank=True)
    info_supplied_at = models.DateTimeField(_("ngày bổ sung thông tin"), null=True, blank=True)
    refused_at = models.DateTimeField(_("ngày từ chối"), null=True, blank=True)
    refusal_reason = models.TextField(_("lý do từ chối"), blank=True)
    answered_at = models.DateTimeField(_("ngày trả lời"), null=True, blank=True)
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    publish_intended = models.BooleanField(_("sẽ công khai kết quả"), default=False)
    published_at = models.DateTimeField(_("ngày công khai"), null=True, blank=True)
    public_question = models.TextField(_("nội dung phản ánh công khai"), blank=True,
                                       help_text="Rewritten without personal data")
    public_answer = models.TextField(_("nội dung trả lời công khai"), blank=True)

    refuse_due_at = models.DateTimeField(_("hạn từ chối"), null=True, blank=True)
    info_request_due_at = models.DateTimeField(_("hạn yêu cầu bổ sung thông tin"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("hạn trả lời"), null=True, blank=True)
    publish_due_at = models.DateTimeField(_("hạn công khai"), null=True, blank=True)

    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_petitions")
    follow_up_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="follow_ups", help_text="The earlier petition raised again")
    raised_again_at = models.DateTimeField(_("ngày bị phản ánh lại"), null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    dislike_count = models.PositiveIntegerField(default=0)

    search_text = models.TextField(editable=False, default="")
    public_search_text = models.TextField(editable=False, default="", help_text="Folded public texts only")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reply_due_at", "id"]
        indexes = [
            models.Index(fields=["agency", "status", "reply_due_at"], name="petition_agency_status_due"),
            models.Index(fields=["clock_started_at"], name="petition_clock_started"),
            models.Index(fields=["received_at"], name="petition_received_at"),
            models.Index(fields=["status", "published_at"], name="petition_status_published"),
            models.Index(fields=["submitter", "received_at"], name="petition_submitter_received"),
            models.Index(fields=["client_fingerprint", "received_at"], name="petition_fingerprint_received"),
            models.Index(fields=["assignee", "status"], name="petition_assignee_status"),
        ]
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self._fill_search_texts()
        elif _SEARCHED_FIELDS.intersection(update_fields):
            self._fill_search_texts()
            kwargs["update_fields"] = [*update_fields, "search_text", "public_search_text"]
        super().save(*args, **kwargs)

    def _fill_search_texts(self) -> None:
        self.search_text = fold(f"{self.code} {self.title} {self.contact_name} {self.content[:500]}")
        self.public_search_text = (
            fold(f"{self.code} {self.public_question} {self.public_answer[:500]}") if self.public_question else ""
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def effective_topic(self) -> str:
        """The officer's classification when made, else what the submitter chose."""
        return self.classification or self.topic

    @property
    def anonymous(self) -> bool:
        return self.submitter_id is None


class PetitionAttachment(models.Model):
    """A file sent with the petition, with more information, or with the answer (files.file_store)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="attachments")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    purpose = models.CharField(max_length=10, choices=AttachmentPurpose.choices, default=AttachmentPurpose.QUESTION)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["petition", "id"]
        verbose_name = _("tệp đính kèm PAKN")
        verbose_name_plural = _("tệp đính kèm PAKN")

    def __str__(self) -> str:
        return self.name


class PetitionRating(models.Model):
    """Đánh giá kết quả trả lời: one vote per person and petition."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=10, choices=RatingValue.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["petition", "rater"], name="petition_rating_once")]
        verbose_name = _("đánh giá trả lời PAKN")
        verbose_name_plural = _("đánh giá trả lời PAKN")

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.value}"


class PetitionEvent(models.Model):
    """What happened to a petition, when, by whom. Append-only; ``payload`` never holds an ID number."""

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, choices=PetitionStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PetitionStatus.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+",
                               help_text="Handling agency when it happened")
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["petition", "seq"]
        constraints = [models.UniqueConstraint(fields=["petition", "seq"], name="petition_event_seq_unique")]
        indexes = [models.Index(fields=["kind", "occurred_at"], name="petition_event_kind_occurred")]
        verbose_name = _("sự kiện PAKN")
        verbose_name_plural = _("sự kiện PAKN")

    def __str__(self) -> str:
        return f"{self.petition_id}#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Petition events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Petition events are append-only")


class PetitionCodeCounter(models.Model):
    """Last sequence number used for petition codes of a day; locked to hand out the next one."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bộ đếm mã PAKN")
        verbose_name_plural = _("bộ đếm mã PAKN")

    def __str__(self) -> str:
        return f"{self.day:%y%m%d}: {self.last}"

"""The citizen side: linked e-IDs, the citizen document store, drafts, reuse consent, ratings.

Every write goes through ``services.py``. A citizen reaches only rows they own: the selectors
filter by owner first, so another citizen's id or code is simply "not found".
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CitizenIdentity(models.Model):
    """An account at an OpenID Connect identity provider (VNeID or another one the province
    configures) linked to a citizen account, keyed by the provider's ``sub``.

    ``national_eid`` records that the provider is the national e-ID: dossiers the citizen submits
    are then flagged ``vneid_verified`` (TaiKhoanDuocXacThucVoiVNeID, 766 indicator 4.5a).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField("nhà cung cấp định danh (issuer)", max_length=300)
    subject = models.CharField("mã định danh tại nhà cung cấp (sub)", max_length=255)
    national_eid = models.BooleanField("định danh điện tử quốc gia (VNeID)", default=True)
    display_name = models.CharField("họ tên theo nhà cung cấp", max_length=200, blank=True)
    created_account = models.BooleanField(
        default=False, help_text="The account was created by signing in with this identity (it cannot be unlinked)"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="citizen_identity_issuer_sub"),
            models.UniqueConstraint(fields=["user", "issuer"], name="citizen_identity_user_issuer"),
        ]
        verbose_name = "tài khoản định danh liên kết"
        verbose_name_plural = "tài khoản định danh liên kết"

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.issuer}"


class DocumentOrigin(models.TextChoices):
    RESULT = "result", "Kết quả giải quyết TTHC"
    DIGITIZED_COMPONENT = "digitized_component", "Thành phần hồ sơ đã số hóa"
    UPLOAD = "upload", "Công dân tự tải lên"
    RECEIPT = "receipt", "Biên lai thu phí, lệ phí"


class CitizenDocument(models.Model):
    """One document in the citizen's electronic store (kho dữ liệu điện tử của tổ chức, cá nhân).

    Results issued to the citizen and components digitized for them arrive here by themselves
    (projector on dossier events), with their source dossier and validity; the citizen may also
    upload documents. A component of a later dossier may reuse one instead of a new upload.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(
        "loại giấy tờ", max_length=60, blank=True, db_index=True,
        help_text="Matches ProcedureComponent.document_type / ProcedureResult.document_type (e.g. 'cccd')",
    )
    name = models.CharField("tên giấy tờ", max_length=500)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField("nguồn", max_length=25, choices=DocumentOrigin.choices)
    source_dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The dossier whose result or digitized component this is",
    )
    source_component = models.ForeignKey(
        "dossiers.DossierComponent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_result = models.ForeignKey(
        "dossiers.DossierResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField("ngày cấp / số hóa", null=True, blank=True)
    valid_until = models.DateField("có giá trị đến hết ngày", null=True, blank=True, help_text="Empty: no end")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "document_type"], name="citizen_doc_owner_type")]
        constraints = [
            # The projector may see the same result or component twice: one row each, ever.
            models.UniqueConstraint(fields=["owner", "source_result"], condition=Q(source_result__isnull=False),
                                    name="citizen_doc_unique_result"),
            models.UniqueConstraint(fields=["owner", "source_component"],
                                    condition=Q(source_component__isnull=False),
                                    name="citizen_doc_unique_component"),
        ]
        verbose_name = "giấy tờ trong kho dữ liệu công dân"
        verbose_name_plural = "kho dữ liệu điện tử của công dân"

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_until is None or self.valid_until >= day

    @property
    def is_valid_today(self) -> bool:
        return self.is_valid_on(timezone.localdate())


class ComponentSource(models.TextChoices):
    UPLOAD = "upload", "Tải tệp lên"
    STORE = "store", "Lấy từ kho giấy tờ"
    PAPER = "paper", "Nộp bản giấy khi nhận kết quả"


class SubmissionDraft(models.Model):
    """An online submission in progress (hồ sơ nháp): saved at every step, resumed later, submitted once."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submission_drafts")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("units.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applicant_name = models.CharField(max_length=255, blank=True)
    applicant_id_number = models.CharField(max_length=20, blank=True)
    applicant_phone = models.CharField(max_length=20, blank=True)
    applicant_email = models.CharField(max_length=254, blank=True)
    applicant_address = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_dossier = models.OneToOneField(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "hồ sơ nháp"
        verbose_name_plural = "hồ sơ nháp"

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.procedure_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_dossier_id is not None


class DraftComponent(models.Model):
    """What the citizen chose for one component of a draft: an uploaded file, a store document, or paper."""

    draft = models.ForeignKey(SubmissionDraft, on_delete=models.CASCADE, related_name="components")
    procedure_component = models.ForeignKey("procedures.ProcedureComponent", on_delete=models.CASCADE,
                                            related_name="+")
    source = models.CharField(max_length=10, choices=ComponentSource.choices)
    file = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    document = models.ForeignKey(CitizenDocument, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["draft", "procedure_component"], name="draft_component_unique"),
        ]
        verbose_name = "thành phần hồ sơ nháp"
        verbose_name_plural = "thành phần hồ sơ nháp"

    def __str__(self) -> str:
        return f"{self.draft_id} · {self.procedure_component_id} · {self.source}"


class ConsentMethod(models.TextChoices):
    SIGNED = "signed", "Ký xác nhận đồng ý"
    VERBAL = "verbal", "Đồng ý trực tiếp tại quầy"
    ONLINE = "online", "Đồng ý trên tài khoản trực tuyến"


#: A consent recorded at the counter is for this visit: the receipt must follow within these hours.
COUNTER_CONSENT_HOURS = 8


class DocumentReuseConsent(models.Model):
    """The citizen agreed that the counter reuses one document of their store (Nghị định 13/2023:
    purpose and consent). Recorded by the one-stop officer before the document is attached."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reuse_consents")
    document = models.ForeignKey(CitizenDocument, on_delete=models.CASCADE, related_name="consents")
    procedure_component = models.ForeignKey(
        "procedures.ProcedureComponent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+",
                               help_text="The receiving agency (counter)")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    purpose = models.CharField(max_length=500)
    consented_at = models.DateTimeField()

    class Meta:
        ordering = ["-consented_at", "-id"]
        verbose_name = "đồng ý tái sử dụng giấy tờ"
        verbose_name_plural = "đồng ý tái sử dụng giấy tờ"

    def __str__(self) -> str:
        return f"{self.citizen_id} → {self.document_id}"


class DossierRating(models.Model):
    """Đánh giá mức độ hài lòng (766 indicator 5.4): once per dossier, by its owner, after the result."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, related_name="rating")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                related_name="dossier_ratings")
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="+",
                               help_text="The handling agency when rated (kept if the dossier moves)")
    satisfied = models.BooleanField("hài lòng")
    comment = models.TextField("ý kiến", blank=True)
    rated_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-rated_at", "-id"]
        indexes = [models.Index(fields=["agency", "rated_at"], name="rating_agency_rated")]
        verbose_name = "đánh giá mức độ hài lòng"
        verbose_name_plural = "đánh giá mức độ hài lòng"

    def __str__(self) -> str:
        return f"{self.dossier_id}: {'hài lòng' if self.satisfied else 'không hài lòng'}"


class RateLimitCounter(models.Model):
    """One fixed window of a rate limit (``ratelimit.py``): hits of ``who`` in ``bucket`` during
    window number ``slot`` (Unix time // window length). In the database, so every web process
    (gunicorn workers, several hosts) counts against the same budget; incremented atomically.
    Rows of past windows are deleted by the ``citizens-ratelimit-prune`` job."""

    bucket = models.CharField(max_length=40)
    who = models.CharField(max_length=64)
    slot = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True, help_text="Unix time after which the row is useless")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "who", "slot"], name="ratelimit_bucket_who_slot"),
        ]
        verbose_name = "bộ đếm giới hạn truy cập"
        verbose_name_plural = "bộ đếm giới hạn truy cập"

    def __str__(self) -> str:
        return f"{self.bucket}:{self.who}@{self.slot}={self.count}"

"""One-stop dossiers (hồ sơ thủ tục hành chính): current state on the row, history in events.

Field names follow the national sync payload where one exists (reference vn-methodology
§4.4): the integration app reads them to build ``HoSoDongBoDVC``. Every write goes through
``services.py``; :class:`DossierEvent` rows are append-only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from chinhquyenso.core.text import fold, mask_id_number
from chinhquyenso.procedures.models import CopyType, FeeStage


def _where_set(field: str, name: str) -> models.Index:
    """An index on a nullable foreign key that holds only the rows where it is set.

    The column is empty for most rows (imported history, unassigned work), and every lookup through it, the
    deletion checks of the referenced row included, asks for one value, which implies ``IS NOT NULL``: so
    the rows where it is empty need no index entry (and cost nothing to insert). See decision 0005."""
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)


class Status(models.IntegerChoices):
    """TrangThaiHoSo of the national portal."""

    NEW = 1, "Mới đăng ký"
    RECEIVED = 2, "Được tiếp nhận"
    REFUSED = 3, "Không được tiếp nhận"
    PROCESSING = 4, "Đang xử lý"
    SUPPLEMENT_REQUESTED = 5, "Yêu cầu bổ sung giấy tờ"
    PAYMENT_REQUIRED = 6, "Yêu cầu thực hiện nghĩa vụ tài chính"
    WITHDRAWN = 7, "Công dân yêu cầu rút hồ sơ"
    STOPPED = 8, "Dừng xử lý"
    FINISHED = 9, "Đã xử lý xong"
    RETURNED = 10, "Đã trả kết quả"


#: Statuses in which the dossier is still being worked on (the deadline clock matters).
ACTIVE_STATUSES = frozenset(
    {Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUIRED}
)
#: Statuses after which processing has ended (766: NgayKetThucXuLy is set).
CLOSED_STATUSES = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.FINISHED, Status.RETURNED})


class Channel(models.IntegerChoices):
    """KenhThucHien."""

    DIRECT = 1, "Trực tiếp"
    ONLINE = 2, "Trực tuyến"
    POSTAL = 3, "Qua dịch vụ bưu chính công ích"


class ApplicantKind(models.IntegerChoices):
    """LoaiDoiTuong."""

    CITIZEN = 0, "Công dân"
    BUSINESS = 1, "Doanh nghiệp"
    HOUSEHOLD_BUSINESS = 2, "Hộ kinh doanh"


class OnlinePayment(models.IntegerChoices):
    """DuocThanhToanTrucTuyen."""

    NO = 0, "Không thanh toán trực tuyến"
    NATIONAL_PORTAL = 1, "Thanh toán trên Cổng DVCQG"
    LOCAL_GATEWAY = 2, "Thanh toán qua cổng thanh toán của bộ, địa phương"


_SEARCHED_FIELDS = frozenset({"code", "applicant_name", "procedure", "summary"})


class Dossier(models.Model):
    """A dossier (hồ sơ). ``version`` is bumped by every service: optimistic concurrency."""

    # Unique through Meta.constraints, not unique=True: on PostgreSQL that would add a second, unused
    # varchar_pattern_ops index for LIKE (decision 0005).
    code = models.CharField("mã hồ sơ", max_length=60)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    process_version = models.ForeignKey(
        "procedures.ProcessVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers",
        db_index=False,
    )
    current_step = models.ForeignKey(
        "procedures.ProcessStep", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # agency, receiving_agency, assignee: no single-column index, they lead the composite indexes in Meta.
    agency = models.ForeignKey(
        "units.Agency", on_delete=models.PROTECT, related_name="dossiers", help_text="Đơn vị xử lý (DonViXuLy)",
        db_index=False,
    )
    receiving_agency = models.ForeignKey(
        "units.Agency", on_delete=models.PROTECT, related_name="received_dossiers", help_text="Nơi tiếp nhận",
        db_index=False,
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="dossiers",
        help_text="The handling agency's unit at receipt; kept after reorganizations",
    )
    channel = models.PositiveSmallIntegerField("kênh thực hiện", choices=Channel.choices, default=Channel.DIRECT)
    status = models.PositiveSmallIntegerField("trạng thái", choices=Status.choices, default=Status.NEW)
    version = models.PositiveIntegerField(default=1)

    applicant_type = models.PositiveSmallIntegerField(
        "loại đối tượng", choices=ApplicantKind.choices, default=ApplicantKind.CITIZEN
    )
    applicant_name = models.CharField("chủ hồ sơ", max_length=255)
    applicant_id_number = models.CharField(
        "số giấy tờ chủ hồ sơ", max_length=20, blank=True,
        help_text="CCCD / mã số doanh nghiệp; masked everywhere except the dossier page, never logged",
    )
    applicant_phone = models.CharField("số điện thoại", max_length=20, blank=True)
    applicant_email = models.EmailField("thư điện tử", blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=500, blank=True)
    summary = models.TextField("trích yếu hồ sơ", blank=True)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="own_dossiers",
        help_text="Online owner account", db_index=False,
    )

    submitted_at = models.DateTimeField("ngày nộp hồ sơ", null=True, blank=True)
    received_at = models.DateTimeField("ngày tiếp nhận", null=True, blank=True)
    due_at = models.DateTimeField("ngày hẹn trả", null=True, blank=True)
    original_due_at = models.DateTimeField(
        "ngày hẹn trả ban đầu", null=True, blank=True, help_text="Due at receipt, before supplements and extensions"
    )
    finished_at = models.DateTimeField("ngày kết thúc xử lý", null=True, blank=True)
    returned_at = models.DateTimeField("ngày trả kết quả", null=True, blank=True)
    refused_at = models.DateTimeField("ngày từ chối", null=True, blank=True)
    stopped_at = models.DateTimeField("ngày dừng xử lý", null=True, blank=True)
    withdrawn_at = models.DateTimeField("ngày rút hồ sơ", null=True, blank=True)
    clock_paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while waiting for a supplement")
    supplement_count = models.PositiveSmallIntegerField(default=0)
    supplement_paused_seconds = models.PositiveBigIntegerField(
        default=0, help_text="Total working time paused for supplements, in seconds"
    )
    extension_count = models.PositiveSmallIntegerField(default=0)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True, help_text="Due moment of the current step")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_dossiers",
        db_index=False,
    )

    vneid_verified = models.BooleanField("tài khoản xác thực VNeID", default=False)
    paid_online = models.PositiveSmallIntegerField(
        "thanh toán trực tuyến", choices=OnlinePayment.choices, default=OnlinePayment.NO
    )
    has_digitized = models.BooleanField("có thành phần số hóa", default=False)
    has_reused = models.BooleanField("có tái sử dụng dữ liệu số hóa", default=False)
    used_population_data = models.BooleanField("dùng dữ liệu dân cư", default=False)
    national_synced_at = models.DateTimeField(
        "đồng bộ lên Cổng DVCQG lúc", null=True, blank=True,
        help_text="First time the national portal acknowledged this dossier (766 indicator 1.4); set by the "
                  "integration worker on its first delivery, or by the historical import",
    )

    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="dossier_agency_status_due"),
            models.Index(fields=["status", "due_at"], name="dossier_status_due"),
            models.Index(fields=["due_at", "id"], name="dossier_due_id"),
            # Open work ordered by due date: the overdue / due-soon lists and counts (1M rows: 3 s -> 20 ms).
            models.Index(fields=["due_at", "id"], condition=models.Q(status__in=[2, 4, 5, 6, 9]),
                         name="dossier_open_due_id"),
            models.Index(fields=["received_at"], name="dossier_received_at"),
            models.Index(fields=["receiving_agency", "status"], name="dossier_receiving_status"),
            models.Index(fields=["assignee", "status"], condition=Q(assignee__isnull=False),
                         name="dossier_assignee_status"),
            # The inbox reads one agency at a time in (due_at, id) order (selectors._keyset_page), as handling
            # and as receiving agency; open work and everything (bench.inbox, 1M rows: 190 ms -> 1 ms a page).
            models.Index(fields=["agency", "due_at", "id"], name="dossier_agency_due_id"),
            models.Index(fields=["receiving_agency", "due_at", "id"], name="dossier_receiving_due_id"),
            models.Index(fields=["agency", "due_at", "id"], condition=models.Q(status__in=[2, 4, 5, 6, 9]),
                         name="dossier_agency_open_due_id"),
            models.Index(fields=["receiving_agency", "due_at", "id"], condition=models.Q(status__in=[2, 4, 5, 6, 9]),
                         name="dossier_receiving_open_due_id"),
            _where_set("citizen", "dossier_citizen_set"),
            _where_set("current_step", "dossier_current_step_set"),
            _where_set("process_version", "dossier_process_version_set"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="dossier_code_unique"),
            models.CheckConstraint(condition=Q(status__gte=1, status__lte=10), name="dossier_status_valid"),
        ]
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.search_text = self.build_search_text()
        elif _SEARCHED_FIELDS.intersection(update_fields):
            self.search_text = self.build_search_text()
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        procedure_name = self.procedure.name if self.procedure_id else ""
        return fold(f"{self.code} {self.applicant_name} {procedure_name} {self.summary[:200]}")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.applicant_id_number)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def clock_paused(self) -> bool:
        return self.clock_paused_at is not None


class DossierComponent(models.Model):
    """Thành phần hồ sơ as submitted (TaiLieuNop)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    procedure_component = models.ForeignKey(
        "procedures.ProcedureComponent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=500)
    copy_type = models.CharField(max_length=10, choices=CopyType.choices, default=CopyType.ORIGINAL)
    count = models.PositiveSmallIntegerField(default=1)
    file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    file_url = models.CharField(
        "đường dẫn tệp (hệ thống cũ)", max_length=500, blank=True,
        help_text="Link to the file in the system a historical dossier was imported from (DuongDanTepTin)",
    )
    digitized = models.BooleanField("được số hóa", default=False, help_text="DuocSoHoa: scanned from paper")
    digitized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    digitized_at = models.DateTimeField(null=True, blank=True)
    reused = models.BooleanField("được tái sử dụng", default=False, help_text="DuocTaiSuDung")
    from_national_store = models.BooleanField(
        "lấy từ kho DVCQG", default=False, help_text="DuocLayTuKhoDMQG"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    supplement = models.ForeignKey(
        "DossierSupplement", null=True, blank=True, on_delete=models.SET_NULL, related_name="components",
        help_text="Set when the component came with a supplement", db_index=False,
    )

    class Meta:
        ordering = ["dossier", "id"]
        indexes = [
            _where_set("file", "component_file_set"),
            _where_set("digitized_by", "component_digitized_by_set"),
            _where_set("supplement", "component_supplement_set"),
        ]
        verbose_name = "thành phần hồ sơ đã nộp"
        verbose_name_plural = "thành phần hồ sơ đã nộp"

    def __str__(self) -> str:
        return self.name


class DossierResult(models.Model):
    """Giấy tờ kết quả (DanhSachGiayToKetQua)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="results")
    procedure_result = models.ForeignKey(
        "procedures.ProcedureResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=300)
    code = models.CharField("mã giấy tờ kết quả", max_length=100, blank=True)
    file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    file_url = models.CharField(
        "đường dẫn tệp kết quả (hệ thống cũ)", max_length=500, blank=True,
        help_text="DuongDanTepTinKetQua of a historical dossier imported from another system",
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    signed = models.BooleanField(default=False)

    class Meta:
        ordering = ["dossier", "id"]
        indexes = [_where_set("file", "result_file_set")]
        verbose_name = "kết quả giải quyết"
        verbose_name_plural = "kết quả giải quyết"

    def __str__(self) -> str:
        return self.name


class DossierFeeStage(models.TextChoices):
    AT_RECEIPT = FeeStage.AT_RECEIPT.value, FeeStage.AT_RECEIPT.label
    AT_SUPPLEMENT = FeeStage.AT_SUPPLEMENT.value, FeeStage.AT_SUPPLEMENT.label
    AT_RESULT = FeeStage.AT_RESULT.value, FeeStage.AT_RESULT.label
    OBLIGATION = "obligation", "Nghĩa vụ tài chính phát sinh khi xử lý"


class DossierFee(models.Model):
    """Fees snapshot taken at receipt (DanhSachLePhi), plus obligations required during processing."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(max_length=300)
    code = models.CharField(max_length=40, blank=True)
    amount = models.PositiveBigIntegerField(help_text="VND")
    stage = models.CharField(max_length=15, choices=DossierFeeStage.choices, default=DossierFeeStage.AT_RECEIPT)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier", "id"]
        verbose_name = "phí, lệ phí của hồ sơ"
        verbose_name_plural = "phí, lệ phí của hồ sơ"

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} đ"


class DossierSupplement(models.Model):
    """One supplement request (Mẫu 02) and its answer (DanhSachHoSoBoSung)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    requested_at = models.DateTimeField("ngày yêu cầu bổ sung")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reason = models.TextField()
    items = models.JSONField(default=list, help_text="Documents the citizen must add or complete")
    received_at = models.DateTimeField("ngày tiếp nhận bổ sung", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    due_before = models.DateTimeField("ngày hẹn trả trước", null=True, blank=True)
    due_after = models.DateTimeField("ngày hẹn trả mới", null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(default=0, help_text="Working time paused, in seconds")

    class Meta:
        ordering = ["dossier", "requested_at", "id"]
        indexes = [
            _where_set("requested_by", "supplement_requested_by_set"),
            _where_set("received_by", "supplement_received_by_set"),
        ]
        verbose_name = "yêu cầu bổ sung"
        verbose_name_plural = "yêu cầu bổ sung"

    def __str__(self) -> str:
        return f"{self.dossier_id} @ {self.requested_at:%d/%m/%Y}"


class DossierConsultation(models.Model):
    """Xin ý kiến cơ quan khác, in parallel with processing; the dossier cannot finish while one is open."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="consultations")
    agency = models.ForeignKey("units.Agency", on_delete=models.PROTECT, related_name="consultations")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    question = models.TextField()
    due_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "requested_at", "id"]
        indexes = [models.Index(fields=["agency", "answered_at"], name="consultation_agency_open")]
        verbose_name = "xin ý kiến"
        verbose_name_plural = "xin ý kiến"

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.agency_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class DossierEvent(models.Model):
    """What happened to a dossier, when, by whom. Append-only; ``payload`` never holds an ID number."""

    # No single-column index: the unique (dossier, seq) serves every lookup by dossier.
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    from_status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=200, blank=True)
    step = models.ForeignKey(
        "procedures.ProcessStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="dossier_event_seq_unique")]
        indexes = [
            models.Index(fields=["occurred_at"], name="dossier_event_occurred"),
            _where_set("actor", "dossier_event_actor_set"),
            _where_set("step", "dossier_event_step_set"),
        ]
        verbose_name = "sự kiện hồ sơ"
        verbose_name_plural = "sự kiện hồ sơ"

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Dossier events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Dossier events are append-only")


class DossierCodeCounter(models.Model):
    """Last sequence number (NNNN) used for a code prefix on a day; locked to hand out the next one."""

    prefix = models.CharField(max_length=40, help_text="Agency portal code")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="dossier_code_counter_unique")]
        verbose_name = "bộ đếm mã hồ sơ"
        verbose_name_plural = "bộ đếm mã hồ sơ"

    def __str__(self) -> str:
        return f"{self.prefix} {self.day:%y%m%d}: {self.last}"

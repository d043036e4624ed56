"""The TTHC catalog. Everything here is data with dates: next year's rules are a data change.

The 7 public components of NĐ 63/2010 Đ8 k2 (766 indicator 1.3) map to: ``name`` (tên),
``steps_text`` (trình tự), ``submission_methods_text`` (cách thức), ``components`` (thành phần,
số lượng hồ sơ), ``time_limit_*`` (thời hạn), ``applicants_text`` (đối tượng),
``agencies_text`` / ``handling_agencies`` (cơ quan thực hiện).
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from chinhquyenso.core.text import fold
from chinhquyenso.units.models import Agency


class AuthorityLevel(models.TextChoices):
    PROVINCE = "province", "Cấp tỉnh"
    COMMUNE = "commune", "Cấp xã"


class ServiceLevel(models.TextChoices):
    FULL_ONLINE = "full_online", "DVCTT toàn trình"
    PARTIAL_ONLINE = "partial_online", "DVCTT một phần"
    DIRECT_ONLY = "direct_only", "Chỉ trực tiếp"


class TimeUnit(models.TextChoices):
    HOUR = "hour", "Giờ làm việc"
    WORKING_DAY = "working_day", "Ngày làm việc"
    DAY = "day", "Ngày"
    MONTH = "month", "Tháng"


class ProcedureStatus(models.TextChoices):
    DRAFT = "draft", "Chưa công khai"
    PUBLIC = "public", "Đang công khai"
    ABOLISHED = "abolished", "Bãi bỏ"


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", "Công dân Việt Nam"
    OVERSEAS = "overseas", "Người Việt Nam định cư ở nước ngoài"
    FOREIGNER = "foreigner", "Người nước ngoài"
    BUSINESS = "business", "Doanh nghiệp"
    HOUSEHOLD_BUSINESS = "household_business", "Hộ kinh doanh"
    ORGANIZATION = "organization", "Tổ chức khác"


class ProcedureField(models.Model):
    """Lĩnh vực (e.g. Hộ tịch, Chứng thực, Đất đai)."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """A TTHC as published in the national database (CSDLQG về TTHC)."""

    code = models.CharField("mã TTHC", max_length=40, unique=True)
    name = models.CharField("tên thủ tục", max_length=500)
    search_text = models.TextField(editable=False, default="", db_index=False)
    field = models.ForeignKey(ProcedureField, on_delete=models.PROTECT, related_name="procedures")
    level = models.CharField(max_length=10, choices=AuthorityLevel.choices, db_index=True)
    handling_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="procedures",
        help_text="Empty for commune-level procedures: every commune People's Committee handles them",
    )
    service_level = models.CharField(max_length=20, choices=ServiceLevel.choices)
    full_online_eligible = models.BooleanField(default=False, help_text="Đủ điều kiện DVCTT toàn trình (CSDLQG)")
    time_limit_amount = models.DecimalField(max_digits=7, decimal_places=2)
    time_limit_unit = models.CharField(max_length=15, choices=TimeUnit.choices)
    time_limit_text = models.CharField(max_length=500, blank=True)
    result_on_paper = models.BooleanField(default=True, help_text="Kết quả là giấy tờ (bản giấy)")
    applicant_types = models.JSONField(default=list, help_text="List of ApplicantType values")
    steps_text = models.TextField("trình tự thực hiện", blank=True)
    submission_methods_text = models.TextField("cách thức thực hiện", blank=True)
    applicants_text = models.TextField("đối tượng thực hiện", blank=True)
    agencies_text = models.TextField("cơ quan thực hiện", blank=True)
    requirements_text = models.TextField("yêu cầu, điều kiện", blank=True)
    status = models.CharField(max_length=10, choices=ProcedureStatus.choices, default=ProcedureStatus.PUBLIC)
    published_decision = models.CharField("QĐ công bố", max_length=200, blank=True)
    published_decision_date = models.DateField(null=True, blank=True)
    made_public_at = models.DateField(null=True, blank=True, help_text="Ngày công khai trên CSDLQG")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(f"{self.code} {self.name}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class LegalBasis(models.Model):
    """Căn cứ pháp lý, with its effective date (766 indicator 1.1 compares against it)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="legal_bases")
    document = models.CharField(max_length=200, help_text="e.g. Luật Hộ tịch 2014; Nghị định 118/2025/NĐ-CP")
    title = models.CharField(max_length=500, blank=True)
    effective_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["procedure", "effective_from"]
        verbose_name = "căn cứ pháp lý"
        verbose_name_plural = "căn cứ pháp lý"

    def __str__(self) -> str:
        return self.document


class CopyType(models.TextChoices):
    ORIGINAL = "original", "Bản chính"
    COPY = "copy", "Bản sao"
    ELECTRONIC = "electronic", "Bản điện tử"


class ProcedureComponent(models.Model):
    """Thành phần hồ sơ."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components")
    code = models.CharField(max_length=40, help_text="Mã thành phần hồ sơ (MaThanhPhanHoSo)")
    name = models.CharField(max_length=500)
    copy_type = models.CharField(max_length=10, choices=CopyType.choices, default=CopyType.ORIGINAL)
    count = models.PositiveSmallIntegerField(default=1)
    required = models.BooleanField(default=True)
    reusable = models.BooleanField(default=False, help_text="May be taken from the citizen's document store")
    document_type = models.CharField(
        max_length=60, blank=True, help_text="Kind of document for reuse matching (e.g. 'cccd', 'giay_khai_sinh')"
    )
    template_name = models.CharField(max_length=200, blank=True, help_text="Mẫu đơn, tờ khai")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["procedure", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["procedure", "code"], name="component_code_unique")]
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"

    def __str__(self) -> str:
        return self.name


class FeeStage(models.TextChoices):
    AT_RECEIPT = "at_receipt", "Khi tiếp nhận"  # HinhThucThu 1
    AT_SUPPLEMENT = "at_supplement", "Khi bổ sung"  # 2
    AT_RESULT = "at_result", "Khi trả kết quả"  # 4


class ProcedureFee(models.Model):
    """Phí, lệ phí in VND (integer), valid over a date range."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fees")
    code = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=300)
    amount = models.PositiveBigIntegerField(help_text="VND")
    stage = models.CharField(max_length=15, choices=FeeStage.choices, default=FeeStage.AT_RECEIPT)
    exempt_applicant_types = models.JSONField(default=list, blank=True)
    exemption_text = models.CharField(max_length=500, blank=True, help_text="Đối tượng miễn, giảm (free text)")
    basis = models.CharField("căn cứ thu", max_length=300, blank=True, help_text="Văn bản quy định mức thu, ghi chú")
    valid_from = models.DateField(default=dt.date(1900, 1, 1))
    valid_to = models.DateField(null=True, blank=True, help_text="Exclusive: the first day the fee no longer applies")

    class Meta:
        ordering = ["procedure", "id"]
        verbose_name = "phí, lệ phí"
        verbose_name_plural = "phí, lệ phí"

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} đ"


class ProcedureResult(models.Model):
    """Kết quả thực hiện (giấy tờ kết quả)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="results")
    code = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=300)
    document_type = models.CharField(max_length=60, blank=True, help_text="Kind, for the citizen document store")
    validity_months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["procedure", "id"]
        verbose_name = "kết quả thực hiện"
        verbose_name_plural = "kết quả thực hiện"

    def __str__(self) -> str:
        return self.name


class ProcessVersion(models.Model):
    """Quy trình nội bộ, versioned: a dossier keeps the version it started with."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="process_versions")
    version = models.PositiveIntegerField()
    valid_from = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure", "-version"]
        constraints = [models.UniqueConstraint(fields=["procedure", "version"], name="process_version_unique")]
        verbose_name = "quy trình nội bộ"
        verbose_name_plural = "quy trình nội bộ"

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.version}"


class StepAction(models.TextChoices):
    FORWARD = "forward", "Chuyển bước tiếp"
    RETURN = "return", "Trả lại bước trước"
    CONSULT = "consult", "Xin ý kiến cơ quan khác"
    APPROVE = "approve", "Phê duyệt"
    SIGN = "sign", "Ký kết quả"
    REQUEST_SUPPLEMENT = "request_supplement", "Yêu cầu bổ sung"
    REQUIRE_PAYMENT = "require_payment", "Yêu cầu nghĩa vụ tài chính"
    STOP = "stop", "Dừng xử lý"
    FINISH = "finish", "Hoàn thành"


class ProcessStep(models.Model):
    """One step: who (role, at which agency), how long, what they may do."""

    process = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    role = models.CharField(max_length=30, help_text="accounts.Role value")
    agency_kind = models.CharField(
        max_length=10, blank=True,
        help_text="Which agency acts: blank = the dossier's handling agency; 'ttpvhcc' = the service centre",
    )
    duration_amount = models.DecimalField(max_digits=7, decimal_places=2)
    duration_unit = models.CharField(max_length=15, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAY)
    allowed_actions = models.JSONField(default=list, help_text="List of StepAction values")

    class Meta:
        ordering = ["process", "order"]
        constraints = [models.UniqueConstraint(fields=["process", "order"], name="process_step_order_unique")]
        verbose_name = "bước xử lý"
        verbose_name_plural = "bước xử lý"

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

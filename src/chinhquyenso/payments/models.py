"""Fee bills (thông báo phí, lệ phí), payments, gateway notifications, e-receipts, reconciliation.

Amounts are integer đồng (VND has no minor unit). Every write goes through ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from chinhquyenso.procedures.models import FeeStage


class BillStage(models.TextChoices):
    """When the fee falls due (HinhThucThu), plus obligations raised while processing (status 6)."""

    AT_RECEIPT = FeeStage.AT_RECEIPT.value, FeeStage.AT_RECEIPT.label
    AT_SUPPLEMENT = FeeStage.AT_SUPPLEMENT.value, FeeStage.AT_SUPPLEMENT.label
    AT_RESULT = FeeStage.AT_RESULT.value, FeeStage.AT_RESULT.label
    OBLIGATION = "obligation", "Nghĩa vụ tài chính phát sinh khi xử lý"


#: One letter per stage in the bill reference (nội dung chuyển khoản).
STAGE_LETTER = {
    BillStage.AT_RECEIPT: "T",
    BillStage.AT_SUPPLEMENT: "B",
    BillStage.AT_RESULT: "K",
    BillStage.OBLIGATION: "N",
}


class BillStatus(models.TextChoices):
    OPEN = "open", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    WAIVED = "waived", "Được miễn"
    CANCELLED = "cancelled", "Đã hủy"


#: Statuses that count for "one bill per dossier and stage".
ACTIVE_BILL_STATUSES = (BillStatus.OPEN, BillStatus.PAID, BillStatus.WAIVED)


class PaymentMethod(models.TextChoices):
    NATIONAL_PORTAL = "national_portal", "Thanh toán trên Cổng Dịch vụ công quốc gia"
    LOCAL_GATEWAY = "local_gateway", "Cổng thanh toán của tỉnh"
    CASH = "cash", "Nộp tiền mặt tại Bộ phận Một cửa"


class PaymentSource(models.TextChoices):
    CALLBACK = "callback", "Thông báo của cổng thanh toán"
    COUNTER = "counter", "Thu tại quầy"
    RECONCILIATION = "reconciliation", "Ghi nhận khi đối soát"


class Bill(models.Model):
    """Thông báo nộp phí, lệ phí of one dossier at one stage; its lines are a snapshot."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="bills")
    stage = models.CharField(max_length=15, choices=BillStage.choices)
    status = models.CharField(max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN)
    reference = models.CharField(
        "mã thanh toán", max_length=25, unique=True,
        help_text="Short ASCII reference: VietQR purpose (62/08) and the gateway's order id",
    )
    total = models.PositiveBigIntegerField("số tiền phải nộp (đồng)")
    payer_name = models.CharField("người nộp", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "stage"],
                condition=Q(status__in=["open", "paid", "waived"]) & ~Q(stage="obligation"),
                name="bill_one_active_per_dossier_stage",
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "paid", "waived", "cancelled"]),
                                   name="bill_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="bill_status_created")]
        verbose_name = "thông báo phí, lệ phí"
        verbose_name_plural = "thông báo phí, lệ phí"

    def __str__(self) -> str:
        return self.reference

    @property
    def is_payable(self) -> bool:
        return self.status == BillStatus.OPEN and self.total > 0

    @property
    def slug(self) -> str:
        """The reference in URLs: spaces become dashes (a reference never holds a dash)."""
        return slug_for(self.reference)


def slug_for(reference: str) -> str:
    return reference.replace(" ", "-")


def reference_for(slug: str) -> str:
    return slug.replace("-", " ")


class BillLine(models.Model):
    """One fee of the bill. An exempt fee stays on the bill at 0 đ, so the citizen sees why."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    name = models.CharField(max_length=300)
    code = models.CharField(max_length=40, blank=True)
    unit_amount = models.PositiveBigIntegerField("mức thu (đồng)")
    amount = models.PositiveBigIntegerField("phải nộp (đồng)")
    exempt = models.BooleanField("được miễn", default=False)
    exemption_note = models.CharField(max_length=500, blank=True)
    procedure_fee = models.ForeignKey(
        "procedures.ProcedureFee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dossier_fee = models.ForeignKey(
        "dossiers.DossierFee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The dossier's fee snapshot row this line settles (DanhSachLePhi)",
    )

    class Meta:
        ordering = ["bill", "id"]
        verbose_name = "khoản thu"
        verbose_name_plural = "khoản thu"

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} đ"


class Checkout(models.Model):
    """A payment started at a gateway (the citizen was sent to its page)."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="checkouts")
    gateway = models.CharField(max_length=20)
    transaction_id = models.CharField(max_length=80)
    redirect_url = models.URLField(max_length=500)
    amount = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "transaction_id"], name="checkout_gateway_tx_unique"),
        ]
        verbose_name = "giao dịch khởi tạo"
        verbose_name_plural = "giao dịch khởi tạo"

    def __str__(self) -> str:
        return f"{self.gateway}:{self.transaction_id}"


class Payment(models.Model):
    """Money received for a bill. One per gateway transaction: a repeated notification finds it."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    source = models.CharField(max_length=20, choices=PaymentSource.choices)
    gateway = models.CharField(max_length=20, blank=True)
    transaction_id = models.CharField(max_length=80, blank=True)
    channel = models.CharField(max_length=20, blank=True, help_text="card, vietqr, wallet… as the gateway says")
    counter_receipt_no = models.CharField("số biên lai thu tại quầy", max_length=40, blank=True)
    amount = models.PositiveBigIntegerField()
    paid_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "transaction_id"], condition=~Q(transaction_id=""),
                                    name="payment_gateway_tx_unique"),
        ]
        indexes = [models.Index(fields=["gateway", "paid_at"], name="payment_gateway_paid")]
        verbose_name = "khoản đã thanh toán"
        verbose_name_plural = "khoản đã thanh toán"

    def __str__(self) -> str:
        return f"{self.bill_id} {self.method} {self.amount} đ"


class NotificationOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Đã ghi nhận thanh toán"
    DUPLICATE = "duplicate", "Trùng lặp, đã ghi nhận trước đó"
    IGNORED = "ignored", "Không phải trạng thái thành công, bỏ qua"
    REJECTED = "rejected", "Từ chối"


class GatewayNotification(models.Model):
    """Every callback a gateway sent us, with what we did about it (the payment inbox).
    Rejections are kept here and in the audit log; the body is never trusted before the signature."""

    gateway = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=NotificationOutcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    signature_valid = models.BooleanField(default=False)
    transaction_id = models.CharField(max_length=80, blank=True)
    bill_reference = models.CharField(max_length=80, blank=True)
    amount = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, blank=True)
    body = models.TextField(blank=True, help_text="The raw body, cut at 4000 characters")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["gateway", "transaction_id"], name="notification_gateway_tx")]
        verbose_name = "thông báo từ cổng thanh toán"
        verbose_name_plural = "thông báo từ cổng thanh toán"

    def __str__(self) -> str:
        return f"{self.gateway}:{self.transaction_id} {self.outcome}"


class Receipt(models.Model):
    """Biên lai thu phí, lệ phí điện tử: the PDF in the file store.

    ``owner`` is the citizen account of the dossier, if any: the hook for the citizen document
    store (kho dữ liệu điện tử), which subscribes to the ``payment_receipt`` projector stream.
    """

    bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="receipt")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    series = models.CharField("ký hiệu", max_length=20)
    number = models.PositiveIntegerField("số")
    issued_at = models.DateTimeField()
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_receipts"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["series", "number"], name="receipt_series_number_unique")]
        verbose_name = "biên lai điện tử"
        verbose_name_plural = "biên lai điện tử"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.series}-{self.number:07d}"


class ReceiptCounter(models.Model):
    """Last receipt number used in a series; locked to hand out the next one."""

    series = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "bộ đếm biên lai"
        verbose_name_plural = "bộ đếm biên lai"

    def __str__(self) -> str:
        return f"{self.series}: {self.last}"


class ReconciliationRun(models.Model):
    """Đối soát one day of one gateway's transactions with our payments."""

    gateway = models.CharField(max_length=20)
    day = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gateway_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "lần đối soát"
        verbose_name_plural = "lần đối soát"

    def __str__(self) -> str:
        return f"{self.gateway} {self.day:%d/%m/%Y}"


class DiscrepancyKind(models.TextChoices):
    PAID_UNRECORDED = "paid_unrecorded", "Cổng đã thu, hệ thống chưa ghi nhận"
    RECORDED_UNPAID = "recorded_unpaid", "Hệ thống đã ghi nhận, cổng không có giao dịch"
    AMOUNT_MISMATCH = "amount_mismatch", "Số tiền không khớp"


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Chưa xử lý"
    RECORDED = "recorded", "Đã ghi nhận thanh toán"
    FLAGGED = "flagged", "Đã đánh dấu để xử lý (hoàn tiền, tra soát)"


class Discrepancy(models.Model):
    """One difference found by a reconciliation run, and how an officer resolved it."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=DiscrepancyKind.choices)
    status = models.CharField(max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN)
    transaction_id = models.CharField(max_length=80, blank=True)
    bill_reference = models.CharField(max_length=80, blank=True)
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies"
    )
    gateway_amount = models.BigIntegerField(null=True, blank=True)
    our_amount = models.BigIntegerField(null=True, blank=True)
    gateway_paid_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = "chênh lệch đối soát"
        verbose_name_plural = "chênh lệch đối soát"

    def __str__(self) -> str:
        return f"{self.kind} {self.transaction_id or self.bill_reference}"

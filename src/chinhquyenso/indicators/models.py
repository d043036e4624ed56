"""Decision 766 indicator definitions as dated data (Bộ chỉ số 766, QĐ 766/QĐ-TTg ngày 23/6/2022).

Weights, targets and zero-denominator rules change from year to year and several are known only
from reverse-engineering (reference §1.3), so none of them is a constant in code: every row has an
effective-date range ``[valid_from, valid_to)`` (``valid_to`` exclusive, as everywhere in the platform;
empty = still in force).
Next year's weights are a new set of rows written by
:func:`chinhquyenso.indicators.services.definitions_revise`, never an edit of this year's rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class GroupScoring(models.TextChoices):
    """How a group's points come about."""

    SUM = "sum", _("Tổng điểm các chỉ số thành phần")
    # CLGQ: the national portal returns only a composite ratio and scores ratio × max.
    COMPOSITE_RATIO = "composite_ratio", _("Tỷ lệ tổng hợp × điểm tối đa của nhóm")


class ScoringKind(models.TextChoices):
    LINEAR_CAPPED = "linear_capped", _("Tuyến tính, đạt điểm tối đa khi đạt chỉ tiêu")
    INFORMATIONAL = "informational", _("Chỉ theo dõi, không tính điểm")


class Measure(models.TextChoices):
    RATIO = "ratio", _("Tỷ lệ (tử số ≤ mẫu số)")
    AVERAGE = "average", _("Giá trị trung bình")


class ZeroDenominator(models.TextChoices):
    """What the portal gives when the denominator is 0 (nothing to count in the period)."""

    ZERO = "zero", _("0 điểm")
    FULL_POINTS = "full_points", _("Điểm tối đa")
    PRIOR_YEAR = "prior_year", _("Mẫu số thay thế từ số liệu năm trước; không có thì 0 điểm")


class Subject(models.TextChoices):
    """What the indicator counts: where its numerator and denominator will be computed from."""

    DOSSIER = "dossier", _("Hồ sơ TTHC")
    PROCEDURE = "procedure", _("Thủ tục hành chính / dịch vụ công")
    PETITION = "petition", _("Phản ánh, kiến nghị")


class IndicatorGroup(models.Model):
    """A criterion group as the national portal shows it (CKMB, TDGQ, CLGQ, TTTT, MDHL, MDSH)."""

    code = models.CharField(_("mã nhóm"), max_length=8)
    name = models.CharField(_("tên nhóm"), max_length=200)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    scoring = models.CharField(_("cách tính điểm nhóm"), max_length=16, choices=GroupScoring.choices,
                               default=GroupScoring.SUM)
    note = models.TextField(_("ghi chú, giả định"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True,
                                help_text=_("Ngày đầu tiên không còn áp dụng; để trống là đang áp dụng."))

    class Meta:
        ordering = ["valid_from", "order", "code"]
        verbose_name = _("nhóm chỉ số")
        verbose_name_plural = _("nhóm chỉ số")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="indicators_group_code_from_uniq"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="indicators_group_max_nonneg"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                                   name="indicators_group_range_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name} ({self.max_points} điểm, từ {self.valid_from:%d/%m/%Y})"


class IndicatorDefinition(models.Model):
    """One sub-indicator (chỉ số thành phần): formula text, weight, target and edge-case rules."""

    code = models.CharField(_("mã chỉ số (theo Cổng DVCQG)"), max_length=64)
    ref = models.CharField(_("số hiệu"), max_length=16, help_text=_("Ví dụ: 2.1"))
    name = models.CharField(_("tên chỉ số"), max_length=300)
    numerator_text = models.TextField(_("tử số"))
    denominator_text = models.TextField(_("mẫu số"))
    group = models.ForeignKey(IndicatorGroup, on_delete=models.PROTECT, related_name="definitions",
                              verbose_name=_("nhóm"))
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    target = models.DecimalField(
        _("chỉ tiêu"), max_digits=5, decimal_places=4, default=Decimal("1"),
        help_text=_("Tỷ lệ dạng thập phân, ví dụ 1.0 (100%), 0.8 (80%). Đạt chỉ tiêu là đạt điểm tối đa."),
    )
    scoring_kind = models.CharField(_("cách tính điểm"), max_length=16, choices=ScoringKind.choices,
                                    default=ScoringKind.LINEAR_CAPPED)
    measure = models.CharField(_("đại lượng"), max_length=8, choices=Measure.choices, default=Measure.RATIO)
    zero_denominator = models.CharField(_("khi mẫu số bằng 0"), max_length=16, choices=ZeroDenominator.choices,
                                        default=ZeroDenominator.ZERO)
    zero_denominator_note = models.TextField(_("ghi chú khi mẫu số bằng 0"), blank=True)
    weight_certain = models.BooleanField(
        _("trọng số đã chắc chắn"), default=True,
        help_text=_("Bỏ chọn khi trọng số hoặc chỉ tiêu chỉ là suy luận/ước lượng, chưa có văn bản gốc."),
    )
    certainty_note = models.TextField(_("ghi chú độ tin cậy"), blank=True)
    source = models.CharField(_("nguồn (nhãn)"), max_length=64, blank=True,
                              help_text=_("[T] văn bản, [D] dữ liệu Cổng DVCQG, [R] suy luận bên thứ ba, [I] giả định"))
    subject = models.CharField(_("đối tượng đếm"), max_length=16, choices=Subject.choices)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True,
                                help_text=_("Ngày đầu tiên không còn áp dụng; để trống là đang áp dụng."))

    class Meta:
        ordering = ["valid_from", "order", "code"]
        verbose_name = _("chỉ số thành phần")
        verbose_name_plural = _("chỉ số thành phần")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="indicators_definition_code_from_uniq"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="indicators_definition_max_nonneg"),
            models.CheckConstraint(condition=Q(target__gt=0) & Q(target__lte=1),
                                   name="indicators_definition_target_range"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                                   name="indicators_definition_range_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.code} ({self.max_points} điểm, từ {self.valid_from:%d/%m/%Y})"

    @property
    def group_code(self) -> str:
        return self.group.code


class ClassificationBand(models.Model):
    """Xếp loại by total score. No official thresholds exist (reference §1.5): the default bands are
    an analyst's choice, kept as dated, configurable data."""

    label = models.CharField(_("xếp loại"), max_length=64)
    min_total = models.DecimalField(_("tổng điểm tối thiểu"), max_digits=6, decimal_places=2)
    note = models.TextField(_("ghi chú"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True,
                                help_text=_("Ngày đầu tiên không còn áp dụng; để trống là đang áp dụng."))

    class Meta:
        ordering = ["valid_from", "-min_total"]
        verbose_name = _("mức xếp loại")
        verbose_name_plural = _("mức xếp loại")
        constraints = [
            models.UniqueConstraint(fields=["min_total", "valid_from"], name="indicators_band_min_from_uniq"),
            models.CheckConstraint(condition=Q(min_total__gte=0), name="indicators_band_min_nonneg"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                                   name="indicators_band_range_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.label} (≥ {self.min_total}, từ {self.valid_from:%d/%m/%Y})"


class Grain(models.TextChoices):
    """What ``IndicatorRollup.period_start`` means."""

    DAY = "D", _("Ngày")
    MONTH = "M", _("Tháng")
    # Open dossiers, keyed by the day their deadline falls (late from the next day on): read live.
    OPEN_DUE = "O", _("Hồ sơ đang xử lý, theo ngày hẹn trả")


class IndicatorRollup(models.Model):
    """Sums of one metric's numerator and denominator for one agency, unit, (procedure) and period.

    Written only by :mod:`chinhquyenso.indicators.rollups`, as deltas in the same transaction as the
    dossier change that caused them; ``indicators rebuild`` recomputes the whole table. Agency-level
    metrics (``procedure_id`` 0) have a day row and a month row per period; procedure-level metrics
    (for the indicators that count procedures, 3.2, 3.5, 3.7, 4.5b) have month rows only.
    Plain integer keys, no foreign keys: a roll-up row must never block deleting or merging units.
    """

    metric = models.CharField(max_length=24)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period_start = models.DateField()
    agency_id = models.IntegerField()
    unit_id = models.IntegerField()
    procedure_id = models.IntegerField(default=0)
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp chỉ số")
        verbose_name_plural = _("số liệu tổng hợp chỉ số")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "grain", "period_start", "agency_id", "unit_id", "procedure_id"],
                name="indicators_rollup_key",
            ),
        ]
        indexes = [models.Index(fields=["grain", "period_start"], name="indicators_rollup_period")]

    def __str__(self) -> str:
        return f"{self.metric} {self.grain}{self.period_start} a{self.agency_id}: {self.numerator}/{self.denominator}"


class DossierRollupState(models.Model):
    """What one dossier currently contributes to :class:`IndicatorRollup` (so a change applies a delta)."""

    dossier_id = models.BigIntegerField(primary_key=True)
    facts = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("đóng góp của hồ sơ vào chỉ số")
        verbose_name_plural = _("đóng góp của hồ sơ vào chỉ số")

    def __str__(self) -> str:
        return f"dossier {self.dossier_id}: {len(self.facts)} facts"

"""The calendar table: corrections to the ``holidays`` package, each with the decision that set it.

Government notices arrive late (the Tết schedule a few months ahead, a swapped working day a week
ahead) and some sectors get different days, so the library calendar is corrected here. Write
through :mod:`chinhquyenso.workdays.services` so each change is audited.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Ngày nghỉ")
    WORKING_DAY = "working_day", _("Ngày làm việc")


class CalendarOverride(models.Model):
    """One day whose status differs from the library calendar: an extra day off (nghỉ, hoán đổi)
    or an extra working day (làm bù). It wins over the ``holidays`` package for its day."""

    day = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=16, choices=OverrideKind.choices)
    name = models.CharField(_("tên ngày"), max_length=200, help_text=_("Ví dụ: Nghỉ Tết Dương lịch (hoán đổi)"))
    decision = models.CharField(
        _("văn bản quyết định"), max_length=200, help_text=_("Ví dụ: Thông báo 9441/TB-BNV ngày 16/10/2025")
    )
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("ngày điều chỉnh lịch làm việc")
        verbose_name_plural = _("ngày điều chỉnh lịch làm việc")

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} — {self.get_kind_display()}: {self.name}"

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q


class UnitLevel(models.TextChoices):
    PROVINCE = "province", "Tỉnh/Thành phố"
    DISTRICT = "district", "Huyện/Quận/Thị xã/Thành phố thuộc tỉnh"
    COMMUNE = "commune", "Xã/Phường/Thị trấn/Đặc khu"


class Unit(models.Model):
    """An administrative unit valid over ``[valid_from, valid_to)``.

    Codes are the GSO codes (mã đơn vị hành chính). A code may be reused by a different unit
    after a reorganization (new ward 30337 "Xã An Phú" reuses an old commune code), so the
    identity of a unit is its row, not its code. ``path`` is the materialized path of row ids
    (``/1/5/77/``): all descendants are one indexed prefix query on SQLite and PostgreSQL.
    """

    code = models.CharField(max_length=10, db_index=True)
    name = models.CharField(max_length=200)
    name_folded = models.CharField(
        max_length=200,
        db_index=True,
        blank=True,
        editable=False,
        help_text="fold(full_name): diacritics-insensitive search",
    )
    kind = models.CharField(max_length=50, help_text="Tỉnh, Thành phố, Huyện, Thị xã, Xã, Phường, Thị trấn, Đặc khu")
    level = models.CharField(max_length=10, choices=UnitLevel.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    valid_from = models.DateField(default=dt.date(1900, 1, 1))
    valid_to = models.DateField(null=True, blank=True, help_text="Exclusive; empty = still in force")

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "level", "valid_from"], name="unit_code_level_from_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="unit_valid_range",
            ),
        ]
        verbose_name = "đơn vị hành chính"
        verbose_name_plural = "đơn vị hành chính"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps ``path`` filled for rows created outside the services (fixtures, admin, tests).
        The services compute it themselves, with their cycle and validity checks."""
        super().save(*args, **kwargs)
        if not self.path:
            parent_path = self.parent.path if self.parent_id and self.parent and self.parent.path else "/"
            self.path = f"{parent_path}{self.pk}/"
            Unit.objects.filter(pk=self.pk).update(path=self.path)

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}" if self.kind and not self.name.startswith(self.kind) else self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class UnitChangeKind(models.TextChoices):
    MERGE = "merge", "Sáp nhập"
    RENAME = "rename", "Đổi tên"
    ABOLISH = "abolish", "Giải thể cấp"
    REPARENT = "reparent", "Chuyển đơn vị cấp trên"


class UnitChange(models.Model):
    """A reorganization event: ``predecessors`` became ``successor`` on ``effective_on``.

    Old records keep pointing at the predecessor row; roll-ups asked "as of" the new
    structure map each predecessor to its successor through these events. A unit is a (primary)
    predecessor in at most one change, so every old unit has exactly one successor; an old commune
    split between several new ones is a ``partial_predecessor`` of the others (kept for the record,
    not followed by roll-ups).
    """

    kind = models.CharField(max_length=10, choices=UnitChangeKind.choices)
    effective_on = models.DateField(db_index=True)
    successor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="formed_by")
    predecessors = models.ManyToManyField(Unit, related_name="succeeded_by")
    partial_predecessors = models.ManyToManyField(
        Unit,
        related_name="partly_succeeded_by",
        blank=True,
        help_text="Old units that gave only part of their territory; their records follow their primary successor",
    )
    legal_basis = models.CharField(max_length=300, blank=True, help_text="Nghị quyết / quyết định")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = "thay đổi đơn vị hành chính"
        verbose_name_plural = "thay đổi đơn vị hành chính"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.successor} ({self.effective_on:%d/%m/%Y})"


class AgencyKind(models.TextChoices):
    PEOPLES_COMMITTEE = "ubnd", "Ủy ban nhân dân"
    DEPARTMENT = "so", "Sở, ban, ngành"
    SERVICE_CENTRE = "ttpvhcc", "Trung tâm Phục vụ hành chính công"
    OTHER = "other", "Cơ quan khác"


class Agency(models.Model):
    """A body that receives or handles dossiers, attached to a unit. ``portal_code`` is the
    code the National Public Service Portal knows it by (``H01``, ``H01.12``...)."""

    code = models.CharField(max_length=40, unique=True, help_text="Mã định danh (TT 10/2016/TT-BTTTT)")
    portal_code = models.CharField(max_length=40, db_index=True, help_text="Mã trên Cổng DVCQG")
    name = models.CharField(max_length=255)
    short_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=AgencyKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="agencies")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    valid_from = models.DateField(default=dt.date(1900, 1, 1))
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["unit__level", "kind", "name"]
        verbose_name = "cơ quan"
        verbose_name_plural = "cơ quan"

    def __str__(self) -> str:
        return self.name

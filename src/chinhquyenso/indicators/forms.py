"""The what-if calculator form (tính thử điểm), plain GET so it works without JavaScript."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chinhquyenso.indicators.models import IndicatorDefinition

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
NUMBER_ERRORS = {"min_value": _("Không được âm."), "invalid": _("Hãy nhập một số.")}


class WhatIfForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Chỉ số"))
    numerator = forms.DecimalField(label=_("Tử số"), min_value=Decimal("0"), max_digits=18, decimal_places=4,
                                   localize=True, error_messages=NUMBER_ERRORS)
    denominator = forms.DecimalField(label=_("Mẫu số"), min_value=Decimal("0"), max_digits=18, decimal_places=4,
                                     localize=True, error_messages=NUMBER_ERRORS)
    fallback_denominator = forms.DecimalField(
        label=_("Mẫu số thay thế từ năm trước (chỉ số 1.4, không bắt buộc)"), required=False,
        min_value=Decimal("0"), max_digits=18, decimal_places=4, localize=True, error_messages=NUMBER_ERRORS,
    )
    on = forms.DateField(label=_("Ngày áp dụng (dd/mm/yyyy, để trống là hôm nay)"), required=False,
                         input_formats=DATE_FORMATS,
                         widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}))

    def __init__(self, *args: Any, definitions: list[IndicatorDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicator = self.fields["indicator"]
        assert isinstance(indicator, forms.ChoiceField)
        indicator.choices = [
            (d.code, f"{d.ref} — {d.name} ({d.code})") for d in definitions
        ]


def parse_on(text: str | None) -> date | None:
    """The ``on`` parameter, leniently: a bad value is left for the form to report."""
    from datetime import datetime

    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), fmt).date()
        except ValueError:
            continue
    return None

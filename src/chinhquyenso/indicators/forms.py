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


# --- scorecard period (bảng điểm theo kỳ) --------------------------------------------------------------

PERIOD_CHOICES = [
    ("month", _("Tháng")),
    ("quarter", _("Quý")),
    ("year", _("Năm")),
    ("custom", _("Khoảng ngày tùy chọn")),
]


class PeriodForm(forms.Form):
    """Which period a scorecard covers: a month, a quarter, a year or any day range (GET, no JavaScript)."""

    period = forms.ChoiceField(label=_("Kỳ"), choices=PERIOD_CHOICES, required=False)
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100, required=False,
                              error_messages={"invalid": _("Hãy nhập một năm."), "min_value": _("Năm không hợp lệ."),
                                              "max_value": _("Năm không hợp lệ.")})
    month = forms.TypedChoiceField(label=_("Tháng"), coerce=int, required=False, empty_value=None,
                                   choices=[(m, str(m)) for m in range(1, 13)])
    quarter = forms.TypedChoiceField(label=_("Quý"), coerce=int, required=False, empty_value=None,
                                     choices=[(q, str(q)) for q in range(1, 5)])
    start = forms.DateField(label=_("Từ ngày"), required=False, input_formats=DATE_FORMATS,
                            widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}))
    end = forms.DateField(label=_("Đến ngày"), required=False, input_formats=DATE_FORMATS,
                          widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        from chinhquyenso.indicators.scorecards import month_range, quarter_range, year_range

        data = super().clean() or {}
        period = data.get("period") or "year"
        year = data.get("year") or self.today.year
        if period == "month":
            first, last = month_range(year, data.get("month") or self.today.month)
        elif period == "quarter":
            first, last = quarter_range(year, data.get("quarter") or (self.today.month - 1) // 3 + 1)
        elif period == "custom":
            given_start, given_end = data.get("start"), data.get("end")
            if given_start is None or given_end is None:
                raise forms.ValidationError(_("Hãy nhập cả ngày đầu và ngày cuối kỳ (dd/mm/yyyy)."))
            first, last = given_start, given_end
            if last < first:
                raise forms.ValidationError(_("Ngày cuối kỳ phải sau ngày đầu kỳ."))
            if (last - first).days > 3 * 366:
                raise forms.ValidationError(_("Khoảng ngày tối đa 3 năm."))
        else:
            first, last = year_range(year)
        data.update(period=period, year=year, range=(first, last))
        return data


def period_form(params: Any, *, today: date) -> PeriodForm:
    """The period form bound to the query string (defaults: this year)."""
    keys = ("period", "year", "month", "quarter", "start", "end")
    if any(params.get(k) for k in keys):
        return PeriodForm(params, today=today)
    return PeriodForm({"period": "year", "year": today.year, "month": today.month,
                       "quarter": (today.month - 1) // 3 + 1}, today=today)

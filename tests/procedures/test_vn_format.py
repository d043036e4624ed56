from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from chinhquyenso.procedures.schemas import parse_vnd
from chinhquyenso.procedures.templatetags.vn_format import format_vn_date, format_vn_number, format_vnd


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1250000, "1.250.000 đ"), (0, "0 đ"), (999, "999 đ"), (Decimal("1000.4"), "1.000 đ"), ("8000", "8.000 đ"),
     (-5000, "-5.000 đ"), (None, ""), ("abc", ""), (True, "")],
)
def test_vnd(value, expected):
    assert format_vnd(value) == expected


def test_vn_date_and_number():
    assert format_vn_date(dt.date(2025, 7, 1)) == "01/07/2025"
    utc_evening = dt.datetime(2025, 6, 30, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert format_vn_date(utc_evening) == "01/07/2025"  # already 1 July in Việt Nam
    assert format_vn_date("2025-07-01") == ""
    assert format_vn_number(Decimal("0.50")) == "0,5"
    assert format_vn_number(Decimal("15.00")) == "15"
    assert format_vn_number(1234567) == "1.234.567"


def test_filters_in_a_template():
    html = Template("{% load vn_format %}{{ a|vnd }} {{ d|vn_date }}").render(
        Context({"a": 1250000, "d": dt.date(2026, 2, 17)}))
    assert html == "1.250.000 đ 17/02/2026"


@given(st.integers(min_value=0, max_value=10**15))
def test_formatted_money_parses_back(amount):
    """What the page shows is what an official may type back into a spreadsheet."""
    assert parse_vnd(format_vnd(amount)) == amount

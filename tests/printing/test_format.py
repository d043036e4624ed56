from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinhquyenso.printing.format import (
    format_date_vn,
    format_date_words,
    format_datetime_vn,
    format_datetime_words,
    format_place_date,
    format_vnd,
    nfc,
    timeliness_label,
)

from .conftest import TZ


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(0, "0 đ"), (999, "999 đ"), (1000, "1.000 đ"), (1_250_000, "1.250.000 đ"), (-50_000, "-50.000 đ"),
     (Decimal("1250000.5"), "1.250.001 đ"), (Decimal("1250000.49"), "1.250.000 đ"), (10**12, "1.000.000.000.000 đ")],
)
def test_format_vnd(amount, shown):
    assert format_vnd(amount) == shown


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_vnd_round_trips_and_groups_by_three(amount):
    shown = format_vnd(amount)
    assert shown.endswith(" đ")
    digits = shown[:-2].lstrip("-")
    groups = digits.split(".")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    assert int(shown[:-2].replace(".", "")) == amount


def test_dates_are_day_month_year_in_vietnam_time():
    assert format_date_vn(date(2026, 3, 5)) == "05/03/2026"
    # 18:30 UTC on 24/11 is already 01:30 on 25/11 in Vietnam (UTC+7).
    late_utc = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    assert format_date_vn(late_utc) == "25/11/2026"
    assert format_datetime_vn(late_utc) == "01:30 25/11/2026"
    assert format_date_vn(None) == "" and format_datetime_vn(None) == ""


@pytest.mark.parametrize(
    ("day", "words"),
    [(date(2026, 11, 25), "ngày 25 tháng 11 năm 2026"),
     (date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
     (date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
     (date(2026, 3, 9), "ngày 09 tháng 3 năm 2026")],
)
def test_administrative_date_words(day, words):
    # Nghị định 30/2020: a zero before days under 10 and before months 1 and 2 only.
    assert format_date_words(day) == words


def test_place_date_and_time_words():
    assert format_place_date("An Giang", date(2026, 11, 25)) == "An Giang, ngày 25 tháng 11 năm 2026"
    received = datetime(2026, 11, 25, 2, 5, tzinfo=UTC)
    assert format_datetime_words(received) == "09 giờ 05 phút, ngày 25 tháng 11 năm 2026"
    assert format_datetime_words(datetime(2026, 2, 3, 14, 0)) == "14 giờ 00 phút, ngày 03 tháng 02 năm 2026"


def test_nfc():
    decomposed = "Nguye\u0302\u0303n"
    assert nfc(decomposed) == "Nguyễn" and len(nfc(decomposed)) == 6
    assert nfc(None) == ""


def test_timeliness_label():
    due = datetime(2026, 11, 28, 17, 0, tzinfo=TZ)
    assert timeliness_label(datetime(2026, 11, 27, 16, 0, tzinfo=TZ), due) == "Trước hạn"
    assert timeliness_label(datetime(2026, 11, 28, 9, 0, tzinfo=TZ), due) == "Đúng hạn"
    assert timeliness_label(datetime(2026, 11, 28, 17, 1, tzinfo=TZ), due) == "Quá hạn"
    assert timeliness_label(datetime(2026, 11, 28, 10, 0, tzinfo=UTC), due) == "Đúng hạn"  # = 17:00 in Vietnam
    assert timeliness_label(datetime(2026, 11, 28, 10, 1, tzinfo=UTC), due) == "Quá hạn"
    assert timeliness_label(None, due) == "" and timeliness_label(due, None) == ""

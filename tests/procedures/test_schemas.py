"""Input parsing: aliases an official types, units that add up, Vietnamese errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from chinhquyenso.procedures.models import AuthorityLevel, TimeUnit
from chinhquyenso.procedures.schemas import (
    FeeIn,
    ProcedureIn,
    StepIn,
    check_steps_fit,
    choice_value,
    errors_vi,
    parse_date,
    parse_vnd,
)


@pytest.mark.parametrize(("raw", "expected"), [("Cấp tỉnh", "province"), ("tinh", "province"), ("CAP XA", "commune"),
                                               ("commune", "commune"), ("Xã, phường", "commune")])
def test_level_aliases(raw, expected):
    assert choice_value(AuthorityLevel, raw) == expected


def test_unknown_choice_lists_what_is_accepted():
    with pytest.raises(ValueError, match="Ngày làm việc"):
        choice_value(TimeUnit, "tuần")


@pytest.mark.parametrize(("raw", "expected"), [("1.250.000", 1250000), ("1250000 đ", 1250000), (8000, 8000),
                                               ("8,000 VND", 8000), (75000.0, 75000)])
def test_money_parsing(raw, expected):
    assert parse_vnd(raw) == expected


def test_money_rejects_fractions_and_words():
    for raw in ("12,5đ x", "mười nghìn", 12.5):
        with pytest.raises(ValueError):
            parse_vnd(raw)


def test_dates_in_vietnamese_order():
    assert str(parse_date("05/09/2025")) == "2025-09-05"
    assert str(parse_date("2025-09-05")) == "2025-09-05"
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        parse_date("31/02/2025")


def step(code: str, amount: str, unit: str = "working_day", actions: tuple[str, ...] = ("forward",)) -> StepIn:
    return StepIn(code=code, name=code, role="processing_officer", duration_amount=Decimal(amount),
                  duration_unit=unit, allowed_actions=list(actions))


def test_hours_and_working_days_add_up_together():
    steps = [step("a", "4", "hour"), step("b", "0.5"), step("c", "1", actions=("finish",))]
    check_steps_fit(steps, time_amount=Decimal("2"), time_unit="working_day")  # 4 h + 4 h + 8 h = 2 days


def test_calendar_days_do_not_mix_with_working_days():
    steps = [step("a", "1", "day"), step("b", "14", "working_day", actions=("finish",))]
    with pytest.raises(ValueError, match="không cộng được"):
        check_steps_fit(steps, time_amount=Decimal("15"), time_unit="day")


def test_citizen_cannot_be_a_step_role():
    with pytest.raises(ValidationError) as info:
        StepIn(code="x", name="x", role="citizen", duration_amount=Decimal(1), allowed_actions=["finish"])
    assert "cán bộ" in errors_vi(info.value)[0][1]


def test_fee_end_must_follow_start():
    with pytest.raises(ValidationError) as info:
        FeeIn(name="Lệ phí", amount=1000, valid_from="01/01/2026", valid_to="01/01/2026")
    assert "hết hiệu lực" in errors_vi(info.value)[0][1]


def test_full_online_implies_eligible():
    data = ProcedureIn(code="1.000001", name="x", field_code="F", level="xa", service_level="toàn trình",
                       time_limit_amount=Decimal(1))
    assert data.full_online_eligible is True


def test_errors_are_in_vietnamese():
    with pytest.raises(ValidationError) as info:
        ProcedureIn.model_validate({"code": "1.000001", "level": "xa", "time_limit_amount": "0"})
    messages = dict((".".join(map(str, loc)), msg) for loc, msg in errors_vi(info.value))
    assert messages["name"] == "Thiếu thông tin bắt buộc."
    assert messages["time_limit_amount"] == "Phải lớn hơn 0."

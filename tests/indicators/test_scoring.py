"""The pure scorer: rounding, caps, zero denominators, totals and ranking. No database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.indicators import scoring
from chinhquyenso.indicators.scoring import SimpleRule, competition_rank, points, score, score_ratio, total

from .portal_data import CLGQ, PAYMENT, PROVINCE_RANKS, PROVINCE_TOTALS

D = Decimal
ON_TIME = SimpleRule(code="DOSSIER_ON_TIME", group_code="TDGQ", max_points=D(20))
PETITION = SimpleRule(code="PETITION_PROCESSING_ON_TIME", group_code="MDHL", max_points=D(6),
                      zero_denominator=scoring.ZD_FULL_POINTS)
SYNC = SimpleRule(code="DOSSIER_SYNC", group_code="CKMB", max_points=D(6), zero_denominator=scoring.ZD_PRIOR_YEAR)
PAYMENT_RULES = (
    SimpleRule(code="PAYMENT_DOSSIER_RATE", group_code="TTTT", max_points=D(6)),
    SimpleRule(code="PAYMENT_PROCEDURE_TRANSACTION", group_code="TTTT", max_points=D(2), target=D("0.8")),
    SimpleRule(code="PAYMENT_FEE_PROCEDURE_WITH_DOSSIER", group_code="TTTT", max_points=D(2), target=D("0.8")),
)


def test_points_is_linear_and_capped_at_the_target() -> None:
    assert points(D(20), D("0.8862"), D(1)) == D("17.72")
    assert points(D(2), D("0.1863"), D("0.8")) == D("0.47")
    assert points(D(6), D("0.8857"), D("0.9")) == D("5.90")
    assert points(D(2), D("0.80"), D("0.8")) == D("2.00")
    assert points(D(2), D("0.95"), D("0.8")) == D("2.00")  # above target: capped
    assert points(D(6), None, D(1)) == D("0.00")


@pytest.mark.parametrize(
    ("max_points", "rate", "target", "expected"),
    [
        (D(2), D("0.3125"), D(1), D("0.63")),  # 0.625 exactly: HALF-UP, not banker's 0.62
        (D(2), D("0.0925"), D(1), D("0.19")),  # portal 36/389 → 9.25% → 0.185 → 0.19
        (D(4), D("0.0011"), D(1), D("0.00")),  # 0.0044
        (D(4), D("0.0013"), D(1), D("0.01")),  # 0.0052
        (D(20), D("0.99975"), D(1), D("20.00")),  # 19.995 rounds up to the maximum, never above
        (D(6), D("0.00005"), D(1), D("0.00")),
    ],
)
def test_rounding_edges(max_points: Decimal, rate: Decimal, target: Decimal, expected: Decimal) -> None:
    assert points(max_points, rate, target) == expected


def test_rate_is_rounded_to_two_decimals_of_a_percent_half_up() -> None:
    # 1/8 = 0.125 exactly; 1/16 = 0.0625; 5/16 = 0.3125 → 4 decimals are kept, HALF-UP beyond
    assert score(ON_TIME, 1, 8).rate == D("0.1250")
    assert score(ON_TIME, 1, 3).rate == D("0.3333")
    assert score(ON_TIME, 2, 3).rate == D("0.6667")
    assert score(ON_TIME, 1, 20000).rate == D("0.0001")  # 0.00005 → 0.0001 (HALF-UP)
    assert score(ON_TIME, 393087, 443565).percent == D("88.62")


def test_points_use_the_rounded_rate() -> None:
    # 36/389 = 0.092545… → shown 9.25% → 2 × 0.0925 = 0.185 → 0.19 (the portal's figure)
    rule = SimpleRule(code="CITIZEN_DATA_CONNECTED_FORMALITY", group_code="MDSH", max_points=D(2))
    assert score(rule, 36, 389).points == D("0.19")


@pytest.mark.parametrize(("r1", "r2", "r3", "expected", "unit"), PAYMENT)
def test_payment_group_fit_reproduces_the_portal(r1, r2, r3, expected, unit) -> None:
    results = [score(rule, *pair) for rule, pair in zip(PAYMENT_RULES, (r1, r2, r3), strict=True)]
    assert total(results).groups["TTTT"].points == D(expected), unit


def test_payment_group_needs_per_component_rounding() -> None:
    """Summing unrounded components gives 6.34 for H15.16 where the portal shows 6.33."""
    rates = [D(568) / D(633), D(6) / D(21), D(2) / D(21)]
    unrounded = sum(r.max_points * min(D(1), rate / r.target) for r, rate in zip(PAYMENT_RULES, rates, strict=True))
    assert scoring.round_points(unrounded) == D("6.34")
    results = [score(r, n, d) for r, (n, d) in zip(PAYMENT_RULES, [(568, 633), (6, 21), (2, 21)], strict=True)]
    assert total(results).points == D("6.33")


@pytest.mark.parametrize(("ratio", "expected", "unit"), CLGQ)
def test_clgq_composite_ratio_times_twelve(ratio: str, expected: str, unit: str) -> None:
    assert score_ratio("CLGQ", "CLGQ", 12, ratio).points == D(expected), unit


def test_composite_ratio_from_sub_indicators() -> None:
    subs = [
        score(SimpleRule(code="ONLINE_SERVICE_PROVIDED", group_code="CLGQ", max_points=D(2), target=D("0.8")), 8, 10),
        score(SimpleRule(code="ONLINE_SERVICE_WITH_DOSSIERS", group_code="CLGQ", max_points=D(4)), 1, 2),
        score(SimpleRule(code="ONLINE_DOSSIER", group_code="CLGQ", max_points=D(6), target=D("0.5")), 1, 4),
    ]
    assert [r.points for r in subs] == [D("2.00"), D("2.00"), D("3.00")]
    assert scoring.composite_ratio(subs) == D("0.5833")
    assert total(subs).groups["CLGQ"].points == D("7.00")


def test_zero_denominator_policies() -> None:
    full = score(PETITION, 0, 0)
    assert (full.points, full.rate, full.zero_denominator_applied) == (D("6.00"), None, True)
    none = score(ON_TIME, 0, 0)
    assert (none.points, none.rate, none.zero_denominator_applied) == (D("0.00"), None, True)
    assert score(SYNC, 0, 0).points == D("0.00")  # no prior-year figure
    prior = score(SYNC, 0, 0, fallback_denominator=120)
    assert (prior.points, prior.rate, prior.denominator) == (D("0.00"), D("0.0000"), D(120))
    assert score(SYNC, 60, 0, fallback_denominator=120).points == D("3.00")
    assert score(SYNC, 10, 10, fallback_denominator=120).zero_denominator_applied is False


@pytest.mark.parametrize(
    ("numerator", "denominator", "message"),
    [(5, 2, "lớn hơn mẫu số"), (-1, 2, "không được âm"), (1, -2, "không được âm"), (3, 0, "tử số cũng phải"),
     ("abc", 2, "phải là số"), ("NaN", 2, "hữu hạn"), (True, 2, "phải là số"), (D("1e16"), D("1e16"), "quá lớn")],
)
def test_bad_counts_are_rejected(numerator, denominator, message) -> None:
    with pytest.raises(ValidationFailed, match=message):
        score(ON_TIME, numerator, denominator)


def test_text_counts_accept_a_decimal_comma() -> None:
    assert score(ON_TIME, "1,5", "3").rate == D("0.5000")


def test_informational_indicator_scores_nothing() -> None:
    average = SimpleRule(code="AVERAGE_PROCESSING_TIME", group_code="TDGQ", max_points=D(0),
                         scoring_kind=scoring.INFORMATIONAL, measure=scoring.AVERAGE)
    result = score(average, D("3840"), 1000)  # 3.84 days on average: not a ratio, may exceed 1
    assert (result.rate, result.points, result.max_points, result.informational) == (D("3.8400"), 0, 0, True)


def test_total_sums_groups_and_rejects_ambiguity() -> None:
    a = score(ON_TIME, 393087, 443565)
    b = score(PETITION, 241, 485)
    c = score_ratio("CLGQ", "CLGQ", 12, "0.7475")
    totals = total([a, b, c])
    assert {k: g.points for k, g in totals.groups.items()} == {"TDGQ": D("17.72"), "MDHL": D("2.98"),
                                                               "CLGQ": D("8.97")}
    assert totals.points == D("29.67") and totals.max_points == D(38)
    with pytest.raises(ValidationFailed, match="hơn một lần"):
        total([a, a])
    sub = score(SimpleRule(code="ONLINE_DOSSIER", group_code="CLGQ", max_points=D(6), target=D("0.5")), 1, 4)
    with pytest.raises(ValidationFailed, match="vừa có điểm tổng hợp"):
        total([c, sub])


def test_points_at_stake() -> None:
    result = score(ON_TIME, 393087, 443565)
    assert result.points_at_stake == D("2.28")


def test_competition_ranking_matches_the_portal() -> None:
    assert competition_rank([D(v) for v in PROVINCE_TOTALS]) == PROVINCE_RANKS
    assert competition_rank([3, 5, 5, 1]) == [3, 1, 1, 4]
    assert competition_rank([]) == []


def test_classify_with_bands() -> None:
    bands = [(D(90), "Xuất sắc"), (D(80), "Tốt"), (D(70), "Khá"), (D(50), "Trung bình"), (D(0), "Yếu")]
    assert scoring.classify_with(D("76.37"), bands) == "Khá"
    assert scoring.classify_with(D("90"), bands) == "Xuất sắc"
    assert scoring.classify_with(D("89.99"), bands) == "Tốt"
    assert scoring.classify_with(D("0"), bands) == "Yếu"
    assert scoring.classify_with(D("10"), [(D(50), "Đạt")]) is None


# --- properties ----------------------------------------------------------------------------------

maxima = st.sampled_from([D(0), D(2), D(4), D(6), D(12), D(20), D("2.5"), D("1.5")])
targets = st.sampled_from([D(1), D("0.9"), D("0.8"), D("0.6"), D("0.5")])
rates = st.decimals(min_value=0, max_value=1, places=4)


@given(maxima, targets, rates, rates)
def test_points_are_monotonic_in_rate(max_points: Decimal, target: Decimal, r1: Decimal, r2: Decimal) -> None:
    low, high = sorted((r1, r2))
    assert points(max_points, low, target) <= points(max_points, high, target)


@given(maxima, targets, rates)
def test_points_stay_within_zero_and_max(max_points: Decimal, target: Decimal, rate: Decimal) -> None:
    value = points(max_points, rate, target)
    assert D(0) <= value <= max_points
    assert value == value.quantize(D("0.01"))
    if rate >= target:
        assert value == max_points


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9), maxima, targets)
def test_score_from_counts_never_exceeds_max(num: int, den: int, max_points: Decimal, target: Decimal) -> None:
    num = min(num, den)
    result = score(SimpleRule(code="X", group_code="G", max_points=max_points, target=target), num, den)
    assert D(0) <= result.points <= max_points
    assert D(0) <= result.rate <= D(1)  # type: ignore[operator]

"""The Decision 766 scorer: pure arithmetic on :class:`decimal.Decimal`, no database needed.

Rule (reference §1.2), checked against the national portal's own figures to the cent:

1. ``rate = numerator / denominator`` rounded HALF-UP to 4 decimals, i.e. the percentage the portal
   shows with 2 decimals (393087/443565 → 0.8862 = 88.62 %).
2. ``points = max × min(1, rate / target)`` rounded HALF-UP to 2 decimals (→ 17.72).
3. A group is the sum of its sub-indicators' rounded points; the total is the sum of the groups.

Why this rounding: every portal pair we have reproduces with it. Two pairs rule the others out:
``36/389`` (rate 0.0925, max 2) must give 0.19, which HALF-EVEN on the shown rate gets wrong (0.18);
and the payment group (TTTT) of a unit with ``r1 = 6119/7017, r2 = 20/40, r3 = 10/40`` scores 7.11
only if every component is rounded HALF-UP from the 4-decimal rate before summing (10/40 → 0.625 →
0.63). Summing unrounded components, or using exact rates, misses other units by 0.01.

The database is only touched by :func:`score_code` and :func:`classify`, which look the definition
or band up for a date and then call the pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol

from chinhquyenso.core.errors import NotFound, ValidationFailed

RATE_QUANTUM = Decimal("0.0001")  # 2 decimals of a percentage
POINTS_QUANTUM = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")
MAX_INPUT = Decimal("1e15")  # far beyond any count; keeps Decimal arithmetic exact

Number = int | Decimal | str

# The string values match the model choices (models.py); kept here so this module imports no Django.
LINEAR_CAPPED = "linear_capped"
INFORMATIONAL = "informational"
RATIO = "ratio"
AVERAGE = "average"
ZD_ZERO = "zero"
ZD_FULL_POINTS = "full_points"
ZD_PRIOR_YEAR = "prior_year"


class Rule(Protocol):
    """What the scorer needs from a definition; :class:`~.models.IndicatorDefinition` fits."""

    @property
    def code(self) -> str: ...
    @property
    def group_code(self) -> str: ...
    @property
    def max_points(self) -> Decimal: ...
    @property
    def target(self) -> Decimal: ...
    @property
    def scoring_kind(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def zero_denominator(self) -> str: ...


@dataclass(frozen=True)
class SimpleRule:
    """A definition held in memory (tests, what-if tools, imports)."""

    code: str
    group_code: str
    max_points: Decimal
    target: Decimal = ONE
    scoring_kind: str = LINEAR_CAPPED
    measure: str = RATIO
    zero_denominator: str = ZD_ZERO


@dataclass(frozen=True)
class ScoreResult:
    """One indicator scored for one unit and period.

    ``rate`` is None when no rate exists (zero denominator without a substitute). ``points_at_stake``
    is what the unit still loses on this indicator (max − points).
    """

    code: str
    group_code: str
    numerator: Decimal | None
    denominator: Decimal | None
    rate: Decimal | None
    points: Decimal
    max_points: Decimal
    zero_denominator_applied: bool = False
    informational: bool = False

    @property
    def points_at_stake(self) -> Decimal:
        return self.max_points - self.points

    @property
    def percent(self) -> Decimal | None:
        """The rate as the portal shows it: a percentage with 2 decimals."""
        return None if self.rate is None else (self.rate * 100).quantize(POINTS_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class GroupTotal:
    code: str
    points: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class Totals:
    """Group totals (in first-seen order) and the grand total."""

    groups: dict[str, GroupTotal] = field(default_factory=dict)
    points: Decimal = ZERO
    max_points: Decimal = ZERO


# --- rounding ----------------------------------------------------------------------------------


def round_rate(value: Decimal) -> Decimal:
    """A rate as the portal keeps it: 4 decimals (a percentage with 2), HALF-UP."""
    return value.quantize(RATE_QUANTUM, ROUND_HALF_UP)


def round_points(value: Decimal) -> Decimal:
    return value.quantize(POINTS_QUANTUM, ROUND_HALF_UP)


def to_decimal(value: Number, what: str) -> Decimal:
    """A finite, non-negative number from an int, a Decimal or text ("1.5" or "1,5")."""
    if isinstance(value, bool):
        raise ValidationFailed(f"{what} phải là số.")
    try:
        number = Decimal(value.strip().replace(",", ".")) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(f"{what} phải là số: {value!r}.") from None
    if not number.is_finite():
        raise ValidationFailed(f"{what} phải là số hữu hạn.")
    if number < 0:
        raise ValidationFailed(f"{what} không được âm.")
    if number > MAX_INPUT:
        raise ValidationFailed(f"{what} quá lớn.")
    return number


# --- scoring -----------------------------------------------------------------------------------


def points(max_points: Decimal, rate: Decimal | None, target: Decimal) -> Decimal:
    """``max × min(1, rate / target)`` rounded HALF-UP to 2 decimals; no rate earns 0.

    ``rate`` is used as given: :func:`score` passes the 4-decimal rate the portal shows.
    """
    if max_points < 0:
        raise ValidationFailed("Điểm tối đa không được âm.")
    if target <= 0:
        raise ValidationFailed("Chỉ tiêu phải lớn hơn 0.")
    if rate is None:
        return round_points(ZERO)
    if rate < 0:
        raise ValidationFailed("Tỷ lệ không được âm.")
    return round_points(max_points * min(ONE, rate / target))


def score(
    definition: Rule,
    numerator: Number,
    denominator: Number,
    *,
    fallback_denominator: Number | None = None,
) -> ScoreResult:
    """Score one indicator, applying the definition's zero-denominator policy.

    ``fallback_denominator`` serves ``prior_year`` indicators (1.4 DOSSIER_SYNC): when the period's
    denominator is 0, the prior year's total scaled to the period (÷12 for a month, ÷4 for a quarter)
    stands in; without it the indicator scores 0.
    """
    num = to_decimal(numerator, "Tử số")
    den = to_decimal(denominator, "Mẫu số")
    informational = definition.scoring_kind == INFORMATIONAL
    max_points = ZERO if informational else Decimal(definition.max_points)
    target = Decimal(definition.target)
    is_ratio = definition.measure == RATIO

    def result(rate: Decimal | None, pts: Decimal, zero_applied: bool, used_den: Decimal) -> ScoreResult:
        return ScoreResult(
            code=definition.code, group_code=definition.group_code, numerator=num, denominator=used_den,
            rate=rate, points=pts, max_points=max_points, zero_denominator_applied=zero_applied,
            informational=informational,
        )

    if den == 0:
        policy = definition.zero_denominator
        if policy == ZD_PRIOR_YEAR and fallback_denominator is not None:
            substitute = to_decimal(fallback_denominator, "Mẫu số thay thế (năm trước)")
            if substitute > 0:
                rate = round_rate(num / substitute)
                pts = ZERO if informational else points(max_points, rate, target)
                return result(rate, round_points(pts), True, substitute)
        if num != 0:
            raise ValidationFailed("Mẫu số bằng 0 thì tử số cũng phải bằng 0.")
        if policy == ZD_FULL_POINTS:
            return result(None, round_points(max_points), True, den)
        return result(None, round_points(ZERO), True, den)

    if is_ratio and num > den:
        raise ValidationFailed("Tử số không được lớn hơn mẫu số.")
    rate = round_rate(num / den)
    if informational:
        return result(rate, round_points(ZERO), False, den)
    return result(rate, points(max_points, rate, target), False, den)


def score_ratio(code: str, group_code: str, max_points: Number, ratio: Number) -> ScoreResult:
    """A composite group the portal reports only as a ratio (CLGQ: ``ratio × 12``; 0.7475 → 8.97)."""
    maximum = to_decimal(max_points, "Điểm tối đa")
    value = to_decimal(ratio, "Tỷ lệ")
    if value > 1:
        raise ValidationFailed("Tỷ lệ phải nằm trong khoảng 0–1 (0–100%).")
    rate = round_rate(value)
    return ScoreResult(code=code, group_code=group_code, numerator=None, denominator=None, rate=rate,
                       points=points(maximum, rate, ONE), max_points=maximum)


def composite_ratio(results: Iterable[ScoreResult]) -> Decimal | None:
    """The ratio a composite group reports when computed from its sub-indicators: Σ points / Σ max."""
    scored = [r for r in results if not r.informational]
    total_max = sum((r.max_points for r in scored), ZERO)
    if total_max == 0:
        return None
    return round_rate(sum((r.points for r in scored), ZERO) / total_max)


def total(results: Iterable[ScoreResult]) -> Totals:
    """Sum rounded points per group, then the groups into the grand total.

    A group may be given either as its sub-indicators or as one composite result whose code is the
    group code (see :func:`score_ratio`), not both; an indicator may appear once.
    """
    seen: set[str] = set()
    composite_groups: set[str] = set()
    detailed_groups: set[str] = set()
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for r in results:
        if r.code in seen:
            raise ValidationFailed(f"Chỉ số {r.code} xuất hiện hơn một lần.")
        seen.add(r.code)
        (composite_groups if r.code == r.group_code else detailed_groups).add(r.group_code)
        pts, mx = sums.get(r.group_code, (ZERO, ZERO))
        sums[r.group_code] = (pts + r.points, mx + r.max_points)
    both = composite_groups & detailed_groups
    if both:
        raise ValidationFailed(f"Nhóm {', '.join(sorted(both))} vừa có điểm tổng hợp vừa có chỉ số thành phần.")
    groups = {code: GroupTotal(code=code, points=pts, max_points=mx) for code, (pts, mx) in sums.items()}
    return Totals(
        groups=groups,
        points=sum((g.points for g in groups.values()), ZERO),
        max_points=sum((g.max_points for g in groups.values()), ZERO),
    )


def classify_with(total_points: Decimal, bands: Iterable[tuple[Decimal, str]]) -> str | None:
    """The label of the highest band whose minimum the total reaches; None below every band."""
    best: tuple[Decimal, str] | None = None
    for minimum, label in bands:
        if total_points >= minimum and (best is None or minimum > best[0]):
            best = (Decimal(minimum), label)
    return None if best is None else best[1]


def competition_rank(values: Sequence[Decimal | int | float]) -> list[int]:
    """Standard competition ranking ("1224"), higher is better: equal values share a rank and the
    next rank skips (65.47, 65.47 → 5, 5, then 7), as the portal ranks provinces and units."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    ranks = [0] * len(values)
    for position, index in enumerate(order):
        if position and values[index] == values[order[position - 1]]:
            ranks[index] = ranks[order[position - 1]]
        else:
            ranks[index] = position + 1
    return ranks


# --- database look-ups ---------------------------------------------------------------------------


def score_code(
    code: str,
    numerator: Number,
    denominator: Number,
    on: date | None = None,
    *,
    fallback_denominator: Number | None = None,
) -> ScoreResult:
    """Score with the definition of ``code`` in force on ``on`` (today by default)."""
    from chinhquyenso.indicators.selectors import definition_get

    return score(definition_get(code=code, on=on), numerator, denominator,
                 fallback_denominator=fallback_denominator)


def classify(total_points: Number, on: date | None = None) -> str:
    """Xếp loại of a total with the bands in force on ``on`` (today by default)."""
    from chinhquyenso.indicators.selectors import bands_on

    value = to_decimal(total_points, "Tổng điểm")
    label = classify_with(value, ((b.min_total, b.label) for b in bands_on(on=on)))
    if label is None:
        raise NotFound("Chưa có thang xếp loại áp dụng cho ngày này.")
    return label


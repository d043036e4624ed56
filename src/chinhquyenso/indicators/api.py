"""Public REST endpoints: the definitions in force and a what-if calculator.

Decimals are JSON strings ("17.72") so no point is lost to binary floating point.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from chinhquyenso.indicators import scoring, selectors
from chinhquyenso.indicators.models import IndicatorDefinition

router = Router(tags=["Chỉ số"])


class DefinitionOut(Schema):
    code: str
    ref: str
    name: str
    group: str
    group_name: str
    max_points: Decimal
    target: Decimal
    scoring_kind: str
    measure: str
    zero_denominator: str
    zero_denominator_note: str
    weight_certain: bool
    certainty_note: str
    subject: str
    source: str
    numerator: str
    denominator: str
    valid_from: date
    valid_to: date | None


class ScoreOut(Schema):
    code: str
    group: str
    numerator: Decimal | None
    denominator: Decimal | None
    rate: Decimal | None
    percent: Decimal | None
    points: Decimal
    max_points: Decimal
    points_at_stake: Decimal
    zero_denominator_applied: bool
    informational: bool
    on: date


def _definition_out(d: IndicatorDefinition) -> DefinitionOut:
    return DefinitionOut(
        code=d.code, ref=d.ref, name=d.name, group=d.group.code, group_name=d.group.name, max_points=d.max_points,
        target=d.target, scoring_kind=d.scoring_kind, measure=d.measure, zero_denominator=d.zero_denominator,
        zero_denominator_note=d.zero_denominator_note, weight_certain=d.weight_certain,
        certainty_note=d.certainty_note, subject=d.subject, source=d.source, numerator=d.numerator_text,
        denominator=d.denominator_text, valid_from=d.valid_from, valid_to=d.valid_to,
    )


@router.get("/indicators/definitions", response=list[DefinitionOut], summary="Định nghĩa chỉ số 766 áp dụng một ngày")
def definitions(request: HttpRequest, on: date | None = None) -> list[DefinitionOut]:
    """Các chỉ số thành phần áp dụng ngày `on` (mặc định hôm nay), theo thứ tự nhóm."""
    return [_definition_out(d) for d in selectors.definitions_on(on=on)]


@router.get("/indicators/score", response=ScoreOut, summary="Tính thử điểm một chỉ số")
def score(
    request: HttpRequest,
    code: str,
    numerator: Decimal,
    denominator: Decimal,
    on: date | None = None,
    fallback_denominator: Decimal | None = None,
) -> ScoreOut:
    """Điểm = tối đa × min(1, tỷ lệ / chỉ tiêu), làm tròn nửa lên 2 chữ số; áp dụng quy tắc mẫu số 0 của chỉ số."""
    definition = selectors.definition_get(code=code, on=on)
    result = scoring.score(definition, numerator, denominator, fallback_denominator=fallback_denominator)
    return ScoreOut(
        code=result.code, group=result.group_code, numerator=result.numerator, denominator=result.denominator,
        rate=result.rate, percent=result.percent, points=result.points, max_points=result.max_points,
        points_at_stake=result.points_at_stake, zero_denominator_applied=result.zero_denominator_applied,
        informational=result.informational, on=on or selectors.today(),
    )

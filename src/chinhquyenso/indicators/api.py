"""REST endpoints: the definitions in force and a what-if calculator (public); the scorecard of a
target and period, and the ranking (officers, same scope rules as the pages); the public province
scorecard (aggregates only).

Decimals are JSON strings ("17.72") so no point is lost to binary floating point.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from chinhquyenso.accounts.auth import officer_session_or_token
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.indicators import drilldown, scoring, selectors
from chinhquyenso.indicators.models import IndicatorDefinition
from chinhquyenso.indicators.scorecards import (
    Window,
    agency_targets,
    month_range,
    province_target,
    quarter_range,
    ranking,
    scorecard_as_dict,
    scorecards,
    window_for,
    year_range,
)
from chinhquyenso.units.selectors import province_current

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


# --- scorecards ---------------------------------------------------------------------------------------------


def _window(start: date | None, end: date | None, year: int | None, month: int | None,
            quarter: int | None) -> Window:
    """``from``/``to``, or ``year`` with ``month`` or ``quarter``, or this year."""
    day = selectors.today()
    if start is not None or end is not None:
        return window_for(start or date(day.year, 1, 1), end or day, on=day)
    if month is not None and not 1 <= month <= 12:
        raise ValidationFailed("Tháng phải từ 1 đến 12.", code="period_invalid")
    if quarter is not None and not 1 <= quarter <= 4:
        raise ValidationFailed("Quý phải từ 1 đến 4.", code="period_invalid")
    y = year or day.year
    if not 2000 <= y <= 2100:
        raise ValidationFailed("Năm không hợp lệ.", code="period_invalid")
    first, last = month_range(y, month) if month else quarter_range(y, quarter) if quarter else year_range(y)
    return window_for(first, last, on=day)


@router.get("/indicators/scorecard", auth=officer_session_or_token, summary="Bảng điểm 766 của một đơn vị")
def scorecard(request: HttpRequest, unit: str | None = None, unit_id: int | None = None, agency: str | None = None,
              start: date | None = None, end: date | None = None, year: int | None = None,
              month: int | None = None, quarter: int | None = None) -> dict[str, Any]:
    """Đơn vị: `agency` (mã cơ quan), `unit` (mã đơn vị hành chính) hoặc `unit_id`; không có → mặc định của
    người dùng (toàn tỉnh với vai trò cấp tỉnh). Kỳ: `start`/`end`, hoặc `year` + `month`/`quarter`.
    Ngoài phạm vi → 403."""
    window = _window(start, end, year, month, quarter)
    info = drilldown.target_for_user(request.user, unit_id=unit_id, unit_code=unit, agency_code=agency,
                                     on=window.today)
    card = scorecards(window, [info])[0]
    body = scorecard_as_dict(card)
    body["points_at_stake_by_indicator"] = [
        {"code": s.code, "kind": s.kind, "points_at_stake": format(s.at_stake, "f"),
         "missing": format(s.missing, "f"), "points_per_item": format(s.worth, "f")}
        for s in drilldown.points_at_stake(card)
    ]
    return body


@router.get("/indicators/ranking", auth=officer_session_or_token, summary="Xếp hạng 766 các cơ quan")
def ranking_list(request: HttpRequest, level: str | None = None, start: date | None = None,
                 end: date | None = None, year: int | None = None, month: int | None = None,
                 quarter: int | None = None) -> list[dict[str, Any]]:
    """Mọi cơ quan (hoặc một cấp: `tinh` / `xa`), xếp hạng đồng hạng theo tổng điểm trong từng cấp."""
    if level not in (None, "", "tinh", "xa"):
        raise ValidationFailed("Cấp phải là tinh hoặc xa.", code="level_invalid")
    window = _window(start, end, year, month, quarter)
    return [
        {"rank": r.rank, "of": r.of, "level": r.card.level, "target": r.card.key, "label": r.card.label,
         "total": format(r.card.total, "f"), "classification": r.card.classification,
         "groups": {g.code: format(g.points, "f") for g in r.card.groups},
         "weakest": [{"code": w.code, "points_at_stake": format(w.result.points_at_stake, "f")} for w in r.weakest]}
        for r in ranking(window, agency_targets(on=window.judged_on, level=level or None))
    ]


@router.get("/indicators/public-scorecard", auth=None, summary="Bảng điểm 766 công khai của tỉnh")
def public_scorecard(request: HttpRequest, year: int | None = None, month: int | None = None,
                     quarter: int | None = None) -> dict[str, Any]:
    """Chỉ số liệu tổng hợp của toàn tỉnh (không có hồ sơ, không có thông tin cá nhân)."""
    window = _window(None, None, year, month, quarter)
    return scorecard_as_dict(scorecards(window, [province_target(province_current(on=window.judged_on))])[0])

"""Indicator pages: the what-if calculator and definitions (public), the scorecard of a province,
unit or agency with drill-down, the ranking and exports (officers, scope-checked), and the public
province scorecard (công khai: aggregates only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from chinhquyenso.accounts.decorators import forbidden, officer_required
from chinhquyenso.accounts.scope import scope_for
from chinhquyenso.core.errors import DomainError, NotFound, PermissionDenied
from chinhquyenso.indicators import drilldown, exports, scoring, selectors
from chinhquyenso.indicators.computations import Target, Window
from chinhquyenso.indicators.forms import PeriodForm, WhatIfForm, parse_on, period_form
from chinhquyenso.indicators.models import Measure
from chinhquyenso.indicators.rollups import latest_change
from chinhquyenso.indicators.scorecards import (
    Scorecard,
    TargetInfo,
    agency_targets,
    month_range,
    province_target,
    ranking,
    scorecards,
    unit_target,
    window_for,
)
from chinhquyenso.units.models import Agency, Unit
from chinhquyenso.units.selectors import province_current, valid_on_q


def what_if(request: HttpRequest) -> HttpResponse:
    """Tính thử: which points an indicator gives for given counts, and how many are still at stake."""
    on = parse_on(request.GET.get("on")) or selectors.today()
    definitions = list(selectors.definitions_on(on=on))
    context: dict[str, Any] = {"on": on}
    if "indicator" in request.GET:
        form = WhatIfForm(request.GET, definitions=definitions)
        if form.is_valid():
            definition = next(d for d in definitions if d.code == form.cleaned_data["indicator"])
            try:
                result = scoring.score(
                    definition, form.cleaned_data["numerator"], form.cleaned_data["denominator"],
                    fallback_denominator=form.cleaned_data["fallback_denominator"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                context.update(result=result, definition=definition)
    else:
        form = WhatIfForm(definitions=definitions, initial={"on": on})
    context["form"] = form
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "indicators/what_if.html", context, status=status)


def definitions(request: HttpRequest) -> HttpResponse:
    """Bộ chỉ số áp dụng một ngày: nhóm, chỉ số thành phần, trọng số và độ chắc chắn."""
    on = parse_on(request.GET.get("on")) or selectors.today()
    rows = list(selectors.definitions_on(on=on))
    group_rows = list(selectors.groups_on(on=on))
    groups = []
    for group in group_rows:
        members = [d for d in rows if d.group_id == group.pk]
        groups.append({"group": group, "definitions": members,
                       "uncertain": any(not d.weight_certain for d in members)})
    context = {"on": on, "groups": groups, "bands": list(selectors.bands_on(on=on)),
               "total_max": sum((g.max_points for g in group_rows), start=scoring.ZERO)}
    return render(request, "indicators/definitions.html", context)


# --- scorecards (officers) ---------------------------------------------------------------------------------

PUBLIC_PARAMS = ("period", "year", "month", "quarter", "start", "end")
TARGET_PARAMS = ("unit", "agency")
LEVEL_LABELS = {"tinh": _("Cơ quan cấp tỉnh"), "xa": _("UBND cấp xã")}


def _query(request: HttpRequest, keys: tuple[str, ...], **extra: Any) -> str:
    """The query string of ``keys`` taken from the request (plus ``extra``), for links that keep the selection."""
    params = {k: request.GET[k] for k in keys if request.GET.get(k)}
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def _window_or_error(request: HttpRequest) -> tuple[PeriodForm, Window | None]:
    day = selectors.today()
    form = period_form(request.GET, today=day)
    if not form.is_valid():
        return form, None
    start, end = form.cleaned_data["range"]
    return form, window_for(start, end, on=day)


def _requested_target(request: HttpRequest) -> TargetInfo:
    unit = request.GET.get("unit", "").strip()
    if unit and not unit.isdigit():
        raise NotFound("Không có đơn vị hành chính này.", code="unit_not_found")
    return drilldown.target_for_user(request.user, unit_id=int(unit) if unit else None,
                                     agency_code=request.GET.get("agency", "").strip() or None,
                                     on=selectors.today())


def _domain_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        return forbidden(request, exc.message)
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    return render(request, "indicators/error.html", {"message": exc.message}, status=exc.status)


def _line_rows(card: Scorecard) -> list[dict[str, Any]]:
    rows = []
    for group in card.groups:
        lines = []
        for line in group.lines:
            lines.append({"line": line, "d": line.definition, "r": line.result, "kind": drilldown.kind_of(line),
                          "average": line.definition.measure == Measure.AVERAGE,
                          "worth": drilldown.worth_per_item(line)})
        rows.append({"group": group, "lines": lines, "lost": group.max_points - group.points})
    return rows


def _trend(info: TargetInfo, window: Window) -> list[dict[str, Any]]:
    """Total by month of the window's year, up to the current month (one scorecard call per month)."""
    year = window.end.year
    out = []
    for month in range(1, 13):
        start, end = month_range(year, month)
        if start > window.today:
            break
        card = scorecards(window_for(start, end, on=window.today), [info])[0]
        out.append({"label": f"{month:02d}/{year}", "month": month, "total": card.total,
                    "classification": card.classification or ""})
    return out


def _rank(info: TargetInfo, window: Window) -> dict[str, Any] | None:
    """Rank among peers at the same level: agencies of the same level, or units of the same level."""
    key = info.target.key
    if key.startswith("agency:"):
        peers = agency_targets(on=window.judged_on, level=info.level)
        if not any(p.target.key == key for p in peers):
            peers.append(info)
    else:
        unit = Unit.objects.filter(pk=int(key.split(":", 1)[1])).first()
        if unit is None or unit.parent_id is None:
            return None  # the province: the national portal ranks provinces, we hold only one
        units = list(Unit.objects.filter(valid_on_q(window.judged_on), level=unit.level)[:500])
        if unit not in units:
            units.append(unit)
        peers = [unit_target(u) for u in units]
    ranked = ranking(window, peers)
    for r in ranked:
        if r.card.key == key:
            return {"rank": r.rank, "of": r.of, "level": info.level}
    return None


def _level_kpis(window: Window) -> list[dict[str, Any]]:
    """The seeds' KPIs split by level: province agencies beside commune agencies."""
    infos = []
    for level in ("tinh", "xa"):
        peers = agency_targets(on=window.judged_on, level=level)
        ids = frozenset(i for t in peers for i in (t.target.agency_ids or ()))
        infos.append(TargetInfo(Target(key=f"level:{level}", agency_ids=ids, unit_ids=None),
                                str(LEVEL_LABELS[level]), level))
    return [{"label": c.label, "kpis": {k.code: k for k in c.kpis}} for c in scorecards(window, infos)]


def _scorecard_context(request: HttpRequest, info: TargetInfo, window: Window, *, public: bool) -> dict[str, Any]:
    card = scorecards(window, [info])[0]
    trend = _trend(info, window)
    context: dict[str, Any] = {
        "card": card, "rows": _line_rows(card), "public": public, "trend": trend,
        "trend_data": {"labels": [t["label"] for t in trend], "totals": [float(t["total"]) for t in trend],
                       "max": float(card.max_total)},
        "is_province": info.target.agency_ids is None and info.target.unit_ids is None,
        "as_of": latest_change(), "today": window.today,
        "period_query": _query(request, PUBLIC_PARAMS),
        "uncertain": any(not line.definition.weight_certain for line in card.lines),
    }
    if context["is_province"]:
        context["level_kpis"] = _level_kpis(window)
    if not public:
        context["rank"] = _rank(info, window)
        context["stakes"] = drilldown.points_at_stake(card)
        context["target_query"] = _query(request, TARGET_PARAMS)
        context["full_query"] = _query(request, PUBLIC_PARAMS + TARGET_PARAMS)
        context["agencies"] = drilldown.visible_agencies(request.user, on=window.judged_on)
        context["sees_province"] = scope_for(request.user).everything
        context["period_hidden"] = [(k, request.GET[k]) for k in PUBLIC_PARAMS if request.GET.get(k)]
        context["selected_agency"] = next(
            (a.code for a in context["agencies"] if info.target.key == f"agency:{a.pk}"), None)
    return context


@officer_required
def scorecard(request: HttpRequest) -> HttpResponse:
    """Bảng điểm 766 of one target and period: groups, sub-indicators, KPIs, trend, rank, points at stake."""
    form, window = _window_or_error(request)
    try:
        info = _requested_target(request)
    except DomainError as exc:
        return _domain_response(request, exc)
    if window is None:
        return render(request, "indicators/scorecard.html", {"form": form, "card": None}, status=400)
    context = _scorecard_context(request, info, window, public=False)
    context["form"] = form
    return render(request, "indicators/scorecard.html", context)


def _target_card(request: HttpRequest) -> tuple[TargetInfo, Window, Scorecard] | HttpResponse:
    """The requested target's scorecard for the requested period, or the error page to answer with
    (a target out of the user's scope, an invalid period)."""
    form, window = _window_or_error(request)
    try:
        info = _requested_target(request)
    except DomainError as exc:
        return _domain_response(request, exc)
    if window is None:
        return render(request, "indicators/error.html", {"message": form.errors.as_text()}, status=400)
    return info, window, scorecards(window, [info])[0]


@officer_required
def scorecard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The scorecard as XLSX or CSV (same scope rules as the page)."""
    found = _target_card(request)
    if isinstance(found, HttpResponse):
        return found
    info, window, card = found
    name = f"bang-diem-766-{info.target.key.replace(':', '-')}-{window.start:%Y%m%d}-{window.end:%Y%m%d}"
    return _download(exports.scorecard_rows(card), fmt, name, sheet="Bảng điểm 766")


def _download(rows: list[exports.Row], fmt: str, name: str, *, sheet: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(rows, sheet=sheet),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif fmt == "csv":
        response = HttpResponse(exports.to_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("Định dạng không hỗ trợ.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@officer_required
def drill(request: HttpRequest, code: str) -> HttpResponse:
    """Chi tiết một chỉ số: the dossiers (or procedures) in the denominator but not the numerator."""
    found = _target_card(request)
    if isinstance(found, HttpResponse):
        return found
    info, window, card = found
    try:
        line = card.line(code.upper())
    except KeyError as exc:
        raise Http404("Không có chỉ số này trong bộ chỉ số áp dụng.") from exc
    kind = drilldown.kind_of(line)
    context: dict[str, Any] = {
        "card": card, "line": line, "d": line.definition, "r": line.result, "kind": kind,
        "worth": drilldown.worth_per_item(line), "average": line.definition.measure == Measure.AVERAGE,
        "full_query": _query(request, PUBLIC_PARAMS + TARGET_PARAMS),
    }
    if kind == "dossier":
        page_number = request.GET.get("page", "1")
        page = drilldown.dossier_gaps(line, info, window, user=request.user,
                                      page=int(page_number) if page_number.isdigit() else 1)
        context["page"] = page
    elif kind == "procedure":
        context["procedures"] = drilldown.procedure_gaps(line, info, window)
    return render(request, "indicators/drilldown.html", context)


@officer_required
def ranking_page(request: HttpRequest) -> HttpResponse:
    """Xếp hạng: every agency of a level (tỉnh / xã), competition rank, groups, weakest indicators."""
    form, window = _window_or_error(request)
    level = request.GET.get("level", "")
    if level not in ("", "tinh", "xa"):
        level = ""
    if window is None:
        return render(request, "indicators/ranking.html", {"form": form, "ranked": None, "level": level}, status=400)
    ranked = ranking(window, agency_targets(on=window.judged_on, level=level or None))
    visible = {a.pk for a in drilldown.visible_agencies(request.user, on=window.judged_on)}
    codes = dict(Agency.objects.filter(pk__in=[int(r.card.key.split(":")[1]) for r in ranked])
                 .values_list("pk", "code"))
    rows = []
    for r in ranked:
        pk = int(r.card.key.split(":")[1])
        rows.append({"r": r, "code": codes.get(pk), "visible": pk in visible,
                     "weak_groups": {g.code for g in r.card.groups
                                     if g.max_points and g.points / g.max_points < Decimal("0.5")}})
    context = {
        "form": form, "ranked": rows, "level": level, "levels": LEVEL_LABELS, "window": window,
        "period_query": _query(request, PUBLIC_PARAMS),
        "full_query": _query(request, (*PUBLIC_PARAMS, "level")),
        "group_codes": [g.code for g in ranked[0].card.groups] if ranked else [],
    }
    return render(request, "indicators/ranking.html", context)


@officer_required
def ranking_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form, window = _window_or_error(request)
    if window is None:
        return render(request, "indicators/error.html", {"message": form.errors.as_text()}, status=400)
    level = request.GET.get("level", "")
    ranked = ranking(window, agency_targets(on=window.judged_on, level=level if level in ("tinh", "xa") else None))
    name = f"xep-hang-766-{level or 'tat-ca'}-{window.start:%Y%m%d}-{window.end:%Y%m%d}"
    return _download(exports.ranking_rows(ranked), fmt, name, sheet="Xếp hạng 766")


# --- public (công khai) --------------------------------------------------------------------------------------


def public_scorecard(request: HttpRequest) -> HttpResponse:
    """Bảng điểm công khai của tỉnh: totals, groups, sub-indicator counts and KPIs; no dossier, no person."""
    form, window = _window_or_error(request)
    if window is None:
        return render(request, "indicators/public.html", {"form": form, "card": None}, status=400)
    try:
        info = province_target(province_current(on=window.judged_on))
    except DomainError as exc:
        return _domain_response(request, exc)
    context = _scorecard_context(request, info, window, public=True)
    context["form"] = form
    return render(request, "indicators/public.html", context)

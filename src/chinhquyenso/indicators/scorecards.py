"""Scorecards: the 766 index per agency, unit or the whole province, from the roll-ups.

Reads only :class:`IndicatorRollup` (O(targets × periods) rows), the catalog and the registered
computations (petitions). A period is any day range: whole months are read from month rows, the
days at either edge from day rows. Procedure-level indicators (3.2, 3.5, 3.7, 4.5b) use the month
rows of every month the range touches.

Dossiers still in progress count towards 2.1 in the period that contains today only, judged on
``min(today, period end)``: a dossier is late from the day after its due day. Past periods count the
dossiers whose processing ended in them (see docs/indicators.md for this deviation from the portal,
which also counts, for a past period, dossiers that were open at its end).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.indicators import computations, scoring
from chinhquyenso.indicators.computations import Counts, Target, Window
from chinhquyenso.indicators.computations_catalog import CatalogSets, catalog_sets
from chinhquyenso.indicators.models import Grain, IndicatorDefinition, IndicatorRollup
from chinhquyenso.indicators.rollups import AGENCY_METRICS, OPEN_METRIC, PROCEDURE_METRICS
from chinhquyenso.indicators.selectors import bands_on, definitions_on, groups_on, today
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitLevel
from chinhquyenso.units.selectors import agency_get, province_current, unit_rollup_ids, valid_on_q

ZERO = Decimal(0)
WORKING_MINUTES_PER_DAY = Decimal(480)  # 8 office hours

# Dossier indicators read straight from one agency metric (numerator / denominator).
DIRECT_METRICS = {
    "DOSSIER_SYNC": "sync",
    "PAYMENT_DOSSIER_RATE": "payment",
    "ORIGINAL_RESULT_AVAILABLE": "e_result",
    "SO_HOA_GIAY_TO_GIAI_QUYET": "digitized",
    "REUSED_DIGITIZED_DATA": "reused",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "storage",
    "CITIZEN_DATA_CONNECTED_DOSSIER": "population",
    "ELECTRONIC_CERTIFIED_COPY": "cert_copy",
}


# --- periods ---------------------------------------------------------------------------------------


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, stdlib_calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[date, date]:
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), month_range(year, first + 2)[1]


def year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _months(start: date, end: date) -> list[date]:
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def _split(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Whole months inside [start, end], and the day ranges left over at the edges."""
    full, edges = [], []
    for first in _months(start, end):
        last = month_range(first.year, first.month)[1]
        lo, hi = max(first, start), min(last, end)
        if lo == first and hi == last:
            full.append(first)
        else:
            edges.append((lo, hi))
    return full, edges


# --- reading the roll-ups ----------------------------------------------------------------------------


@dataclass
class Sums:
    """Metric sums of one target and window."""

    metrics: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # procedure metric → procedure id → [num, den]
    procedures: dict[str, dict[int, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    open_total: int = 0
    open_late: int = 0

    def get(self, metric: str) -> tuple[int, int]:
        num, den = self.metrics.get(metric, (0, 0))
        return num, den

    def procedures_with(self, metric: str, *, numerator: bool) -> set[int]:
        index = 0 if numerator else 1
        return {pid for pid, cell in self.procedures.get(metric, {}).items() if cell[index] > 0}


def _matcher(target: Target) -> tuple[str, frozenset[int] | None]:
    if target.unit_ids is not None:
        return "unit", target.unit_ids
    if target.agency_ids is not None:
        return "agency", target.agency_ids
    return "all", None


def _spread(rows: Iterable[tuple[int, int, tuple[object, ...]]], targets: Sequence[Target]
            ) -> Iterable[tuple[str, tuple[object, ...]]]:
    """For each (agency, unit, payload) row, the targets it counts for."""
    matchers = [(t.key, *_matcher(t)) for t in targets]
    for agency_id, unit_id, payload in rows:
        for key, axis, ids in matchers:
            if axis == "all" or (ids is not None and (unit_id if axis == "unit" else agency_id) in ids):
                yield key, payload


def _narrow(targets: Sequence[Target]) -> Q:
    """A filter that keeps every row any target needs (no filter when one target is the province)."""
    units: set[int] = set()
    agencies: set[int] = set()
    for t in targets:
        axis, ids = _matcher(t)
        if axis == "all" or ids is None:
            return Q()
        (units if axis == "unit" else agencies).update(ids)
    q = Q(pk__in=[])
    if units:
        q |= Q(unit_id__in=units)
    if agencies:
        q |= Q(agency_id__in=agencies)
    return q


def metric_sums(window: Window, targets: Sequence[Target]) -> dict[str, Sums]:
    """Every target's metric sums in ``window``: three grouped queries over the roll-ups."""
    out = {t.key: Sums() for t in targets}
    narrow = _narrow(targets)
    full, edges = _split(window.start, window.end)
    period_q = Q(grain=Grain.MONTH, period_start__in=full)
    for lo, hi in edges:
        period_q |= Q(grain=Grain.DAY, period_start__gte=lo, period_start__lte=hi)
    rows = (
        IndicatorRollup.objects.filter(narrow).filter(procedure_id=0, metric__in=AGENCY_METRICS).filter(period_q)
        .values_list("agency_id", "unit_id", "metric").annotate(n=Sum("numerator"), d=Sum("denominator"))
    )
    for key, (metric, num, den) in _spread(((a, u, (m, n, d)) for a, u, m, n, d in rows), targets):
        cell = out[key].metrics[str(metric)]
        cell[0] += int(num)  # type: ignore[call-overload]
        cell[1] += int(den)  # type: ignore[call-overload]

    proc_rows = (
        IndicatorRollup.objects.filter(narrow).filter(
            grain=Grain.MONTH, metric__in=PROCEDURE_METRICS, period_start__in=_months(window.start, window.end))
        .values_list("agency_id", "unit_id", "metric", "procedure_id")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
    )
    for key, (metric, pid, num, den) in _spread(((a, u, (m, p, n, d)) for a, u, m, p, n, d in proc_rows), targets):
        cell = out[key].procedures[str(metric)].setdefault(int(pid), [0, 0])  # type: ignore[call-overload]
        cell[0] += int(num)  # type: ignore[call-overload]
        cell[1] += int(den)  # type: ignore[call-overload]

    if window.live:
        judged = window.judged_on
        open_rows = (
            IndicatorRollup.objects.filter(narrow).filter(grain=Grain.OPEN_DUE, metric=OPEN_METRIC)
            .values_list("agency_id", "unit_id").annotate(
                d=Sum("denominator"), late=Sum("denominator", filter=Q(period_start__lt=judged)))
        )
        for key, (den, late) in _spread(((a, u, (d, late)) for a, u, d, late in open_rows), targets):
            out[key].open_total += int(den)  # type: ignore[call-overload]
            out[key].open_late += int(late or 0)  # type: ignore[call-overload]
    return out


# --- scoring ---------------------------------------------------------------------------------------------


def _ratio(num: int | Decimal, den: int | Decimal) -> Decimal:
    return Decimal(num) / Decimal(den) if den else ZERO


def dossier_counts(code: str, sums: Sums, catalog: CatalogSets, fallback: Decimal | None) -> Counts | None:
    """Counts of a dossier- or procedure-based indicator from roll-up sums; None if not one of them."""
    if code in DIRECT_METRICS:
        num, den = sums.get(DIRECT_METRICS[code])
        return Counts(Decimal(num), Decimal(den), fallback if code == "DOSSIER_SYNC" else None)
    if code == "DOSSIER_ON_TIME":
        num, den = sums.get("ontime")
        return Counts(Decimal(num + sums.open_total - sums.open_late), Decimal(den + sums.open_total))
    if code == "AVERAGE_PROCESSING_TIME":
        minutes, finished = sums.get("proc_minutes")
        return Counts(Decimal(minutes) / WORKING_MINUTES_PER_DAY, Decimal(finished))
    if code == "ONLINE_DOSSIER":
        online, received = sums.get("online")
        synced, _ = sums.get("sync")
        # 3.3: online ÷ received, then × the sync ratio (reference §1.3)
        return Counts(Decimal(online) * _ratio(synced, received), Decimal(received))
    if code == "DOSSIER_RECEIVING_SATISFACTION":
        judged_ok, judged = sums.get("ontime")
        judged_ok += sums.open_total - sums.open_late
        judged += sums.open_total
        unhappy, received = sums.get("unsatisfied")
        if not judged and not received:
            return Counts(ZERO, ZERO)
        rate = max(ZERO, 1 - _ratio(judged - judged_ok, judged) - _ratio(unhappy, received))
        base = Decimal(max(received, judged))
        return Counts(rate * base, base)
    if code == "ONLINE_SERVICE_WITH_DOSSIERS":
        used = sums.procedures_with("p_online", numerator=True)
        return Counts(Decimal(len(catalog.online & used)), Decimal(len(catalog.online)))
    if code == "PAYMENT_PROCEDURE_TRANSACTION":
        with_fee_dossiers = sums.procedures_with("p_fee", numerator=False)
        paid = sums.procedures_with("p_fee", numerator=True)
        return Counts(Decimal(len(paid & with_fee_dossiers)), Decimal(len(with_fee_dossiers)))
    if code == "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER":
        with_fee_dossiers = sums.procedures_with("p_fee", numerator=False)
        return Counts(Decimal(len(catalog.with_fee & with_fee_dossiers)), Decimal(len(catalog.with_fee)))
    if code == "CITIZEN_DATA_CONNECTED_FORMALITY":
        used = sums.procedures_with("p_population", numerator=True)
        return Counts(Decimal(len(catalog.for_citizens & used)), Decimal(len(catalog.for_citizens)))
    return None


@dataclass(frozen=True)
class Line:
    """One sub-indicator of a scorecard."""

    definition: IndicatorDefinition
    result: scoring.ScoreResult
    source: str  # "rollup", "catalog", "petitions", or "none" when nothing computes it yet

    @property
    def code(self) -> str:
        return self.definition.code


@dataclass(frozen=True)
class GroupLine:
    code: str
    name: str
    points: Decimal
    max_points: Decimal
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    numerator: Decimal
    denominator: Decimal
    unit: str = "%"

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        ratio = self.numerator / self.denominator
        scale = Decimal(100) if self.unit == "%" else Decimal(1)
        return (ratio * scale).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Scorecard:
    key: str
    label: str
    level: str
    window: Window
    groups: tuple[GroupLine, ...]
    total: Decimal
    max_total: Decimal
    classification: str | None
    kpis: tuple[Kpi, ...]
    counts: dict[str, tuple[int, int]]

    @property
    def lines(self) -> list[Line]:
        return [line for group in self.groups for line in group.lines]

    def line(self, code: str) -> Line:
        for candidate in self.lines:
            if candidate.code == code:
                return candidate
        raise KeyError(code)

    @property
    def points_at_stake(self) -> Decimal:
        return self.max_total - self.total


def _kpis(sums: Sums, catalog: CatalogSets) -> tuple[Kpi, ...]:
    received = Decimal(sums.get("received")[1])

    def share(code: str, label: str, metric: str) -> Kpi:
        num, den = sums.get(metric)
        return Kpi(code, label, Decimal(num), Decimal(den))

    ontime_num, ontime_den = sums.get("ontime")
    minutes, finished = sums.get("proc_minutes")
    return (
        Kpi("received", "Hồ sơ tiếp nhận", received, Decimal(1), unit="hồ sơ"),
        share("online_share", "Tỷ lệ hồ sơ nộp trực tuyến", "online"),
        Kpi("full_online_procedures", "Tỷ lệ TTHC cung cấp DVCTT toàn trình", Decimal(len(catalog.full_online)),
            Decimal(len(catalog.public))),
        share("full_online_dossiers", "Tỷ lệ hồ sơ trực tuyến toàn trình", "full_online"),
        share("online_payment", "Tỷ lệ hồ sơ thanh toán trực tuyến (trên hồ sơ có phí)", "payment"),
        share("digitized_dossiers", "Tỷ lệ hồ sơ được số hóa thành phần", "scanned"),
        share("digitized_results", "Tỷ lệ kết quả giải quyết được số hóa", "results_e"),
        Kpi("on_time", "Tỷ lệ hồ sơ đúng hạn (gồm hồ sơ đang xử lý)",
            Decimal(ontime_num + sums.open_total - sums.open_late), Decimal(ontime_den + sums.open_total)),
        share("synced", "Tỷ lệ hồ sơ đồng bộ Cổng DVCQG", "sync"),
        share("reused", "Tỷ lệ hồ sơ tái sử dụng dữ liệu số hóa", "reused"),
        Kpi("avg_days", "Thời gian giải quyết trung bình", Decimal(minutes) / WORKING_MINUTES_PER_DAY,
            Decimal(finished), unit="ngày làm việc"),
    )


def _prior_year_fallbacks(window: Window, targets: Sequence[Target], sums: dict[str, Sums]) -> dict[str, Decimal]:
    """1.4 when nothing was received: last year's receipts scaled to the period (÷12 month, ÷4 quarter)."""
    empty = [t for t in targets if sums[t.key].get("sync")[1] == 0]
    if not empty:
        return {}
    prior = Window(date(window.start.year - 1, 1, 1), date(window.start.year - 1, 12, 31), window.today)
    prior_sums = metric_sums(prior, empty)
    days = Decimal((window.end - window.start).days + 1)
    months = len(_months(window.start, window.end))
    factor = Decimal(1) if days >= 365 else (Decimal(months) / 12 if _split(window.start, window.end)[1] == []
                                             else days / 365)
    return {t.key: (Decimal(prior_sums[t.key].get("received")[1]) * factor) for t in empty}


@dataclass(frozen=True)
class TargetInfo:
    target: Target
    label: str
    level: str


def scorecards(window: Window, infos: Sequence[TargetInfo]) -> list[Scorecard]:
    """Score every target over ``window`` with the definitions in force on the window's last day."""
    targets = [i.target for i in infos]
    on = window.end
    definitions = list(definitions_on(on=on))
    group_rows = list(groups_on(on=on))
    bands = [(b.min_total, b.label) for b in bands_on(on=on)]
    sums = metric_sums(window, targets)
    catalog = catalog_sets(targets, today=window.today)
    fallbacks = _prior_year_fallbacks(window, targets, sums)
    computed: dict[str, dict[str, Counts]] = {}
    for definition in definitions:
        fn = computations.get(definition.code)
        if fn is not None:
            computed[definition.code] = fn(window, targets)

    cards = []
    for info in infos:
        key = info.target.key
        lines: list[Line] = []
        for definition in definitions:
            counts = dossier_counts(definition.code, sums[key], catalog[key], fallbacks.get(key))
            source = "rollup"
            if counts is None and definition.code in computed:
                counts = computed[definition.code].get(key, Counts(ZERO, ZERO))
                source = "petitions" if definition.subject == "petition" else "catalog"
            if counts is None:
                counts, source = Counts(ZERO, ZERO), "none"
            result = scoring.score(definition, counts.numerator, counts.denominator,
                                   fallback_denominator=counts.fallback_denominator)
            lines.append(Line(definition, result, source))
        totals = scoring.total(line.result for line in lines)
        groups = tuple(
            GroupLine(code=g.code, name=g.name,
                      points=totals.groups[g.code].points if g.code in totals.groups else ZERO,
                      max_points=g.max_points,
                      lines=tuple(line for line in lines if line.definition.group_id == g.pk))
            for g in group_rows
        )
        total_points = sum((g.points for g in groups), ZERO)
        cards.append(Scorecard(
            key=key, label=info.label, level=info.level, window=window, groups=groups, total=total_points,
            max_total=sum((g.max_points for g in groups), ZERO),
            classification=scoring.classify_with(total_points, bands),
            kpis=_kpis(sums[key], catalog[key]),
            counts={m: (c[0], c[1]) for m, c in sums[key].metrics.items()},
        ))
    return cards


# --- targets -------------------------------------------------------------------------------------------


def window_for(start: date, end: date, *, on: date | None = None) -> Window:
    if end < start:
        raise ValidationFailed("Ngày cuối kỳ phải sau ngày đầu kỳ.", code="period_invalid")
    return Window(start=start, end=end, today=on or today())


def province_target(unit: Unit) -> TargetInfo:
    return TargetInfo(Target(key=f"unit:{unit.pk}", agency_ids=None, unit_ids=None), unit.name, UnitLevel.PROVINCE)


def unit_target(unit: Unit) -> TargetInfo:
    """A unit of either structure: its own records, its descendants' and (new structure) their predecessors'."""
    if unit.level == UnitLevel.PROVINCE and unit.parent_id is None and _is_current_province(unit):
        return province_target(unit)
    ids = frozenset(unit_rollup_ids(unit))
    agencies = frozenset(Agency.objects.filter(unit_id__in=ids).values_list("pk", flat=True))
    return TargetInfo(Target(key=f"unit:{unit.pk}", agency_ids=agencies, unit_ids=ids), unit.name, unit.level)


def _is_current_province(unit: Unit) -> bool:
    try:
        return province_current().pk == unit.pk
    except NotFound:  # no province loaded: treat it as an ordinary unit
        return False


def agency_level(agency: Agency) -> str:
    """"xa" for a commune People's Committee, "tinh" for province-level agencies (the portal ranks them apart)."""
    return "xa" if agency.unit.level == UnitLevel.COMMUNE else "tinh"


def agency_target(agency: Agency) -> TargetInfo:
    return TargetInfo(Target(key=f"agency:{agency.pk}", agency_ids=frozenset({agency.pk}), unit_ids=None),
                      agency.name, agency_level(agency))


def agency_targets(*, on: date | None = None, level: str | None = None) -> list[TargetInfo]:
    """Every agency in force (optionally of one level: "tinh" or "xa"), for rankings."""
    day = on or today()
    agencies = Agency.objects.filter(valid_on_q(day)).select_related("unit").exclude(kind=AgencyKind.OTHER).order_by(
        "unit__level", "name")
    infos = [agency_target(a) for a in agencies]
    return [i for i in infos if level is None or i.level == level]


@dataclass(frozen=True)
class RankedCard:
    card: Scorecard
    rank: int
    of: int
    weakest: tuple[Line, ...]  # the indicators losing the most points


def ranking(window: Window, infos: Sequence[TargetInfo]) -> list[RankedCard]:
    """Competition ranking ("1224") by total within each level, best first."""
    cards = scorecards(window, infos)
    by_level: dict[str, list[Scorecard]] = defaultdict(list)
    for card in cards:
        by_level[card.level].append(card)
    out: list[RankedCard] = []
    for level in sorted(by_level):
        peers = by_level[level]
        ranks = scoring.competition_rank([c.total for c in peers])
        for card, rank in sorted(zip(peers, ranks, strict=True), key=lambda pair: (pair[1], pair[0].label)):
            weakest = tuple(sorted((line for line in card.lines if line.result.points_at_stake > 0),
                                   key=lambda line: line.result.points_at_stake, reverse=True)[:3])
            out.append(RankedCard(card=card, rank=rank, of=len(peers), weakest=weakest))
    return out


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def scorecard_as_dict(card: Scorecard) -> dict[str, object]:
    """The scorecard as plain JSON-ready data (API, ``--json``, exports)."""
    return {
        "target": card.key, "label": card.label, "level": card.level,
        "from": card.window.start.isoformat(), "to": card.window.end.isoformat(),
        "total": _plain(card.total), "max_total": _plain(card.max_total), "classification": card.classification,
        "points_at_stake": _plain(card.points_at_stake),
        "groups": [
            {
                "code": g.code, "name": g.name, "points": _plain(g.points), "max_points": _plain(g.max_points),
                "indicators": [
                    {
                        "code": line.code, "ref": line.definition.ref, "name": line.definition.name,
                        "numerator": _plain(line.result.numerator), "denominator": _plain(line.result.denominator),
                        "rate_percent": _plain(line.result.percent), "points": _plain(line.result.points),
                        "max_points": _plain(line.result.max_points), "target_percent": _plain(
                            (line.definition.target * 100).quantize(Decimal("0.01"))),
                        "zero_denominator_applied": line.result.zero_denominator_applied,
                        "weight_certain": line.definition.weight_certain, "source": line.source,
                    }
                    for line in g.lines
                ],
            }
            for g in card.groups
        ],
        "kpis": [{"code": k.code, "label": k.label, "value": _plain(k.value), "unit": k.unit,
                  "numerator": _plain(k.numerator), "denominator": _plain(k.denominator)} for k in card.kpis],
    }


def resolve_target(*, unit_code: str | None = None, agency_code: str | None = None,
                   on: date | None = None) -> TargetInfo:
    """``--unit`` (a unit code; the unit in force on ``on`` first), ``--agency``, or the province."""
    day = on or today()
    if agency_code:
        return agency_target(agency_get(code=agency_code))
    if unit_code:
        units = list(Unit.objects.filter(code=unit_code).order_by("-valid_from"))
        if not units:
            raise NotFound(f"Không có đơn vị hành chính mã {unit_code}.", code="unit_not_found")
        current = [u for u in units if Unit.objects.filter(pk=u.pk).filter(valid_on_q(day)).exists()]
        return unit_target((current or units)[0])
    return province_target(province_current(on=day))

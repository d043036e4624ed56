"""Drill-down: which dossiers (or procedures, or petitions) cost a target its points, and who may look.

For a dossier-based sub-indicator the list is read from :class:`DossierRollupState` — the very facts
the roll-ups were summed from — so the list and the scorecard cannot disagree: a dossier is listed
when it has a fact of the indicator's metric, of the target, dated inside the window, with
``numerator < denominator`` (for ``unsatisfied``, where the numerator is the bad case: ``numerator >
0``). For 2.1 and 5.4 the dossiers still in progress past their due day count too, in the period that
contains today only (as in :mod:`.scorecards`). A cheap necessary condition on dossier columns (not
synced, not online, …) narrows the candidates in SQL first; the facts decide.

Fixing one listed item is worth ``max ÷ (denominator × target)`` points (never more than the points
still at stake): :func:`points_at_stake` orders a target's sub-indicators by that worth, and each list
is oldest first.

Access (:func:`target_for_user`): the whole province only for users whose scope covers everything
(province-level roles); an agency when the scope covers it; a unit when the scope covers every agency
the unit's scorecard counts. Lists show only dossiers the user may open
(:func:`dossiers.selectors.dossier_visible_queryset`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet

from chinhquyenso.accounts.scope import scope_for
from chinhquyenso.core.errors import NotFound, PermissionDenied
from chinhquyenso.dossiers.models import Channel, Dossier, OnlinePayment, Status
from chinhquyenso.dossiers.selectors import dossier_visible_queryset
from chinhquyenso.indicators.computations import Target, Window
from chinhquyenso.indicators.computations_catalog import (
    MAKE_PUBLIC_WORKING_DAYS,
    PUBLISH_LEAD_WORKING_DAYS,
    catalog_sets,
)
from chinhquyenso.indicators.models import DossierRollupState, Grain, ScoringKind
from chinhquyenso.indicators.rollups import LOCAL_TZ, OPEN_METRIC
from chinhquyenso.indicators.scorecards import (
    DIRECT_METRICS,
    Line,
    Scorecard,
    TargetInfo,
    agency_target,
    metric_sums,
    province_target,
    unit_target,
)
from chinhquyenso.procedures.models import LegalBasis, Procedure, ProcedureStatus
from chinhquyenso.procedures.selectors import procedure_missing_components
from chinhquyenso.units.models import Agency, Unit
from chinhquyenso.units.selectors import agency_get, province_current, valid_on_q
from chinhquyenso.workdays import calendar as workdays

ZERO = Decimal(0)
PAGE_SIZE = 50
CHUNK = 2000

#: Why a dossier fails a metric (shown in the list).
REASONS = {
    "sync": "Chưa đồng bộ lên Cổng DVCQG",
    "online": "Không nộp trực tuyến",
    "payment": "Có phí nhưng không thanh toán trực tuyến",
    "e_result": "Không có kết quả điện tử",
    "digitized": "Chưa số hóa đủ thành phần hồ sơ và kết quả",
    "reused": "Không tái sử dụng dữ liệu đã số hóa",
    "storage": "Chưa đồng bộ kho dữ liệu cá nhân trên Cổng DVCQG",
    "population": "Không khai thác dữ liệu dân cư (VNeID/CSDLQG về dân cư)",
    "cert_copy": "Chứng thực không có bản sao điện tử",
    "ontime": "Giải quyết trễ hạn",
    "unsatisfied": "Không hài lòng hoặc bị phản ánh",
    OPEN_METRIC: "Đang xử lý, đã quá hạn",
}

#: Metrics dated by the day of receipt (the others by the day processing ended).
RECEIPT_DAY_METRICS = frozenset({"sync", "online", "payment", "reused", "storage", "population", "digitized",
                                 "cert_copy", "unsatisfied"})

#: A necessary condition (on dossier columns) for failing a metric: narrows the scan, never decides.
_PAID = (OnlinePayment.NATIONAL_PORTAL, OnlinePayment.LOCAL_GATEWAY)
_ENDED = (Q(finished_at__isnull=False) | Q(returned_at__isnull=False) | Q(stopped_at__isnull=False)
          | Q(refused_at__isnull=False) | Q(withdrawn_at__isnull=False))
PREFILTERS: dict[str, Q] = {
    "sync": Q(national_synced_at__isnull=True),
    "online": ~Q(channel=Channel.ONLINE),
    "payment": ~Q(paid_online__in=_PAID),
    "reused": Q(has_reused=False),
    "population": Q(vneid_verified=False, used_population_data=False),
    "ontime": _ENDED,
    "e_result": Q(status__in=(Status.FINISHED, Status.RETURNED)),
}

#: Dossier-based indicators: the metrics whose failing facts put a dossier on the list.
DOSSIER_CHECKS: dict[str, tuple[str, ...]] = {
    **{code: (metric,) for code, metric in DIRECT_METRICS.items()},
    "DOSSIER_ON_TIME": ("ontime", OPEN_METRIC),
    "ONLINE_DOSSIER": ("online", "sync"),  # 3.3 = online share × sync share
    "DOSSIER_RECEIVING_SATISFACTION": ("ontime", OPEN_METRIC, "unsatisfied"),
}

#: Procedure-based indicators and what a listed procedure lacks.
PROCEDURE_REASONS = {
    "PUBLISH_ON_TIME": "Quyết định công bố ban hành sau hạn (ít nhất 5 ngày làm việc trước ngày văn bản có hiệu lực)",
    "PUBLIC_UPDATE_ON_TIME": "Chưa công khai trên CSDL quốc gia trong 5 ngày làm việc kể từ ngày quyết định",
    "PUBLIC_CONTENT_FULL": "Thiếu bộ phận công khai",
    "ONLINE_SERVICE_PROVIDED": "Chưa cung cấp dịch vụ công trực tuyến",
    "ONLINE_SERVICE_WITH_DOSSIERS": "DVCTT chưa phát sinh hồ sơ trực tuyến trong kỳ",
    "PAYMENT_PROCEDURE_TRANSACTION": "Có hồ sơ phải nộp phí nhưng chưa có giao dịch thanh toán trực tuyến",
    "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER": "Thủ tục có phí, lệ phí nhưng chưa phát sinh hồ sơ có phí trong kỳ",
    "CITIZEN_DATA_CONNECTED_FORMALITY": "Chưa có hồ sơ khai thác dữ liệu dân cư trong kỳ",
}


def kind_of(line: Line) -> str:
    """"dossier", "procedure", "petition" or "none" (nothing to list, e.g. 2.2 an average)."""
    code = line.code
    if code in DOSSIER_CHECKS:
        return "dossier"
    if code in PROCEDURE_REASONS:
        return "procedure"
    if line.definition.subject == "petition":
        return "petition"
    return "none"


def worth_per_item(line: Line) -> Decimal:
    """Points one more item in the numerator would add: max ÷ (denominator × target), capped."""
    result, definition = line.result, line.definition
    if definition.scoring_kind == ScoringKind.INFORMATIONAL or not result.denominator or result.points_at_stake <= 0:
        return ZERO
    worth = result.max_points / (Decimal(result.denominator) * definition.target)
    return min(worth, result.points_at_stake).quantize(Decimal("0.0001"))


# --- access ----------------------------------------------------------------------------------------------


def _agency_ids(info: TargetInfo) -> frozenset[int] | None:
    return info.target.agency_ids


def can_view(user: Any, info: TargetInfo) -> bool:
    """The province: scope covers everything; an agency or unit: scope covers every agency it counts."""
    scope = scope_for(user)
    if scope.everything:
        return True
    if scope.empty:
        return False
    wanted = _agency_ids(info)
    if wanted is None:
        return False
    if not wanted:
        # A unit without agencies: decided by the unit itself.
        pk = int(info.target.key.split(":", 1)[1])
        return scope.covers(unit=pk)
    visible = scope.agency_ids_qs()
    assert visible is not None
    return Agency.objects.filter(pk__in=wanted).filter(pk__in=visible).count() == len(wanted)


def ensure_can_view(user: Any, info: TargetInfo) -> None:
    if not can_view(user, info):
        raise PermissionDenied("Bạn không có quyền xem bảng điểm của đơn vị này.", code="out_of_scope")


def target_for_user(user: Any, *, unit_id: int | None = None, agency_code: str | None = None,
                    unit_code: str | None = None, on: dt.date | None = None) -> TargetInfo:
    """The scorecard target asked for (unit by id or code, agency by code), or the user's default: the
    province for province-level roles, otherwise the first agency in scope. Out of scope → PermissionDenied."""
    day = on or dt.date.today()
    info: TargetInfo
    if agency_code:
        info = agency_target(agency_get(code=agency_code))
    elif unit_id is not None:
        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise NotFound("Không có đơn vị hành chính này.", code="unit_not_found")
        info = unit_target(unit)
    elif unit_code:
        units = list(Unit.objects.filter(code=unit_code).order_by("-valid_from"))
        if not units:
            raise NotFound(f"Không có đơn vị hành chính mã {unit_code}.", code="unit_not_found")
        current = [u for u in units if Unit.objects.filter(pk=u.pk).filter(valid_on_q(day)).exists()]
        info = unit_target((current or units)[0])
    else:
        scope = scope_for(user)
        if scope.everything:
            return province_target(province_current(on=day))
        choices = visible_agencies(user, on=day)
        if not choices:
            raise PermissionDenied("Bạn không có quyền xem bảng điểm của đơn vị nào.", code="out_of_scope")
        return agency_target(choices[0])
    ensure_can_view(user, info)
    return info


def visible_agencies(user: Any, *, on: dt.date | None = None) -> list[Agency]:
    """Agencies in force whose scorecard the user may open (for the chooser)."""
    day = on or dt.date.today()
    qs = Agency.objects.filter(valid_on_q(day)).select_related("unit").order_by("unit__level", "name")
    scope = scope_for(user)
    if scope.everything:
        return list(qs)
    ids = scope.agency_ids_qs()
    return [] if ids is None else list(qs.filter(pk__in=ids))


# --- dossier lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierGap:
    dossier_id: int
    code: str
    procedure: str
    agency: str
    status: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    reasons: tuple[str, ...]
    worth: Decimal


@dataclass(frozen=True)
class GapPage:
    items: tuple[DossierGap, ...]
    total: int
    page: int
    pages: int
    per_page: int
    hidden: int  # failing dossiers the user may not open (counted in the scorecard, not listed)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)


def _target_q(target: Target) -> Q:
    if target.unit_ids is not None:
        return Q(unit_id__in=target.unit_ids)
    if target.agency_ids is not None:
        return Q(agency_id__in=target.agency_ids)
    return Q()


def _fact_in_target(target: Target, agency: int, unit: int) -> bool:
    if target.unit_ids is not None:
        return unit in target.unit_ids
    if target.agency_ids is not None:
        return agency in target.agency_ids
    return True


def failing_metrics(facts: Iterable[Sequence[Any]], metrics: Sequence[str], target: Target, window: Window
                    ) -> list[str]:
    """Which of ``metrics`` this dossier's facts fail inside the target and window (pure; tested)."""
    start, end = window.start.isoformat(), window.end.isoformat()
    judged = window.judged_on.isoformat()
    failed: list[str] = []
    for metric, grain, day, agency, unit, _procedure, num, den in facts:
        if metric not in metrics or metric in failed or not _fact_in_target(target, agency, unit):
            continue
        if metric == OPEN_METRIC:
            if grain == Grain.OPEN_DUE and window.live and day < judged:
                failed.append(metric)
            continue
        if grain != Grain.DAY or not (start <= day <= end):
            continue
        if (num > 0) if metric == "unsatisfied" else (num < den):
            failed.append(metric)
    return [m for m in metrics if m in failed]


def _candidates(target: Target, window: Window, metrics: Sequence[str], user: Any) -> QuerySet[Dossier]:
    qs = Dossier.objects.filter(_target_q(target), received_at__lt=_local_midnight(window.end + dt.timedelta(days=1)))
    if user is not None:
        qs = qs.filter(pk__in=dossier_visible_queryset(user).values("pk"))
    if all(m in RECEIPT_DAY_METRICS for m in metrics):
        qs = qs.filter(received_at__gte=_local_midnight(window.start))
    narrowing = Q(pk__in=[])
    for metric in metrics:
        if metric == OPEN_METRIC:
            narrowing |= ~_ENDED if window.live else Q(pk__in=[])
        else:
            prefilter = PREFILTERS.get(metric)
            if prefilter is None:
                return qs
            narrowing |= prefilter
    return qs.filter(narrowing)


def _scan(qs: QuerySet[Dossier], metrics: Sequence[str], target: Target, window: Window
          ) -> list[tuple[int, list[str]]]:
    """(dossier id, failed metrics) in receipt order, oldest first."""
    ids = list(qs.order_by("received_at", "pk").values_list("pk", flat=True))
    found: list[tuple[int, list[str]]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        states = dict(DossierRollupState.objects.filter(dossier_id__in=chunk).values_list("dossier_id", "facts"))
        for pk in chunk:
            failed = failing_metrics(states.get(pk) or [], metrics, target, window)
            if failed:
                found.append((pk, failed))
    return found


def dossier_gaps(line: Line, info: TargetInfo, window: Window, *, user: Any, page: int = 1,
                 per_page: int = PAGE_SIZE) -> GapPage:
    """The dossiers of ``info`` in the denominator of ``line`` but not its numerator, oldest first, one page.

    ``user=None`` lists every dossier (CLI, benchmarks); a user sees only dossiers in their scope, and
    ``hidden`` says how many more fail the indicator outside it."""
    metrics = DOSSIER_CHECKS.get(line.code)
    if metrics is None:
        raise NotFound("Chỉ số này không tính theo hồ sơ.", code="not_dossier_indicator")
    found = _scan(_candidates(info.target, window, metrics, user), metrics, info.target, window)
    hidden = 0
    if user is not None and not scope_for(user).everything:
        hidden = len(_scan(_candidates(info.target, window, metrics, None), metrics, info.target, window)) - len(found)
    worth = worth_per_item(line)
    total = len(found)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    chosen = found[(page - 1) * per_page: page * per_page]
    rows = {
        d.pk: d for d in Dossier.objects.filter(pk__in=[pk for pk, _ in chosen]).select_related("procedure", "agency")
    }
    items = []
    for pk, failed in chosen:
        d = rows.get(pk)
        if d is None:
            continue
        items.append(DossierGap(
            dossier_id=pk, code=d.code, procedure=d.procedure.name, agency=d.agency.name,
            status=d.get_status_display(), received_at=d.received_at, due_at=d.due_at,
            reasons=tuple(REASONS[m] for m in failed), worth=worth,
        ))
    return GapPage(items=tuple(items), total=total, page=page, pages=pages, per_page=per_page, hidden=max(0, hidden))


# --- procedure lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureGap:
    procedure_id: int
    code: str
    name: str
    reason: str


def _target_procedures(target: Target) -> set[int]:
    qs = Procedure.objects.all()
    if target.agency_ids is not None:
        qs = qs.filter(handling_agencies__in=target.agency_ids)
    return set(qs.values_list("pk", flat=True))


def _publication_gaps(code: str, target: Target, window: Window) -> dict[int, str]:
    mine = _target_procedures(target)
    latest = dict(LegalBasis.objects.filter(effective_from__isnull=False, procedure_id__in=mine)
                  .values("procedure_id").annotate(m=Max("effective_from")).values_list("procedure_id", "m"))
    out: dict[int, str] = {}
    for pk, decided, public in Procedure.objects.filter(
            pk__in=mine, published_decision_date__gte=window.start, published_decision_date__lte=window.end
    ).values_list("pk", "published_decision_date", "made_public_at"):
        if decided is None:
            continue
        if code == "PUBLISH_ON_TIME":
            basis = latest.get(pk)
            if basis is not None and decided > workdays.add_working_days(basis, -PUBLISH_LEAD_WORKING_DAYS):
                out[pk] = PROCEDURE_REASONS[code]
        elif public is None or public > workdays.add_working_days(decided, MAKE_PUBLIC_WORKING_DAYS):
            out[pk] = PROCEDURE_REASONS[code]
    return out


def procedure_gaps(line: Line, info: TargetInfo, window: Window) -> list[ProcedureGap]:
    """Procedures in the denominator of ``line`` but not in its numerator, by code."""
    code = line.code
    if code not in PROCEDURE_REASONS:
        raise NotFound("Chỉ số này không tính theo thủ tục.", code="not_procedure_indicator")
    target = info.target
    reasons: dict[int, str]
    if code in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME"):
        reasons = _publication_gaps(code, target, window)
    elif code == "PUBLIC_CONTENT_FULL":
        public = Procedure.objects.filter(status=ProcedureStatus.PUBLIC, pk__in=_target_procedures(target)
                                          ).prefetch_related("components", "handling_agencies")
        reasons = {}
        for p in public:
            missing = procedure_missing_components(p)
            if missing:
                reasons[p.pk] = f"{PROCEDURE_REASONS[code]}: {', '.join(missing)}"
    else:
        catalog = catalog_sets([target], today=window.today)[target.key]
        sums = metric_sums(window, [target])[target.key]
        if code == "ONLINE_SERVICE_PROVIDED":
            missing_ids = catalog.public - catalog.online
        elif code == "ONLINE_SERVICE_WITH_DOSSIERS":
            missing_ids = catalog.online - sums.procedures_with("p_online", numerator=True)
        elif code == "PAYMENT_PROCEDURE_TRANSACTION":
            missing_ids = sums.procedures_with("p_fee", numerator=False) - sums.procedures_with("p_fee", numerator=True)
        elif code == "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER":
            missing_ids = catalog.with_fee - sums.procedures_with("p_fee", numerator=False)
        else:  # CITIZEN_DATA_CONNECTED_FORMALITY
            missing_ids = catalog.for_citizens - sums.procedures_with("p_population", numerator=True)
        reasons = dict.fromkeys(missing_ids, PROCEDURE_REASONS[code])
    rows = Procedure.objects.filter(pk__in=reasons).order_by("code").values_list("pk", "code", "name")
    return [ProcedureGap(pk, c, name, reasons[pk]) for pk, c, name in rows]


# --- points at stake ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stake:
    line: Line
    kind: str
    missing: Decimal  # denominator − numerator (items not counted)
    worth: Decimal  # points per item fixed

    @property
    def code(self) -> str:
        return self.line.code

    @property
    def at_stake(self) -> Decimal:
        return self.line.result.points_at_stake


def points_at_stake(card: Scorecard) -> list[Stake]:
    """Every sub-indicator still losing points, most valuable per fixed item first, then most points."""
    out = []
    for line in card.lines:
        result = line.result
        if result.points_at_stake <= 0:
            continue
        num = Decimal(result.numerator or 0)
        den = Decimal(result.denominator or 0)
        out.append(Stake(line=line, kind=kind_of(line), missing=max(ZERO, den - num), worth=worth_per_item(line)))
    return sorted(out, key=lambda s: (-s.worth, -s.at_stake, s.line.definition.order))

"""Reads of the integration app: outbox health for the integration page, and the synced ratio that
Decision 766 indicator 1.4 (đồng bộ hồ sơ lên Cổng DVCQG) uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from chinhquyenso.integration.models import (
    TOPIC_NATIONAL_PORTAL,
    UNDELIVERED,
    CircuitBreaker,
    CircuitState,
    DeliveryAttempt,
    OutboxMessage,
    OutboxStatus,
)


@dataclass(frozen=True)
class AgencySyncRatio:
    """Hồ sơ đã đồng bộ / hồ sơ đã tiếp nhận, for one handling agency."""

    agency_id: int
    agency_name: str
    portal_code: str
    received: int
    synced: int

    @property
    def ratio(self) -> float | None:
        return None if self.received == 0 else self.synced / self.received

    @property
    def percent(self) -> float | None:
        return None if self.received == 0 else round(100.0 * self.synced / self.received, 1)


def _latest_event_seq() -> Subquery:
    from chinhquyenso.dossiers.models import DossierEvent

    return Subquery(
        DossierEvent.objects.filter(dossier=OuterRef("pk")).order_by("-seq").values("seq")[:1],
        output_field=IntegerField(),
    )


def synced_dossiers() -> QuerySet[Any]:
    """Dossiers whose latest event has reached the portal: a delivered message carries that seq (or
    a later snapshot). Annotated with ``synced`` (bool) for reuse."""
    from chinhquyenso.dossiers.models import Dossier

    delivered = OutboxMessage.objects.filter(
        dossier=OuterRef("pk"), topic=TOPIC_NATIONAL_PORTAL, status=OutboxStatus.DELIVERED,
        seq__gte=OuterRef("last_seq"),
    )
    return Dossier.objects.annotate(last_seq=_latest_event_seq()).annotate(synced=Exists(delivered))


def synced_ratio_by_agency(
    start: datetime, end: datetime, *, agency_ids: Any = None
) -> list[AgencySyncRatio]:
    """Per handling agency: dossiers received in ``[start, end)`` and how many of them are synced.

    ``agency_ids`` (ids or an id queryset) narrows the agencies; ``None`` means all. Agencies with no
    received dossier in the period are not listed. One grouped query.
    """
    qs = synced_dossiers().filter(received_at__gte=start, received_at__lt=end)
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    rows = (
        qs.values("agency_id", "agency__name", "agency__portal_code")
        .annotate(received=Count("pk"), synced_count=Count("pk", filter=Q(synced=True)))
        .order_by("agency__name", "agency_id")
    )
    return [
        AgencySyncRatio(
            agency_id=r["agency_id"], agency_name=r["agency__name"], portal_code=r["agency__portal_code"],
            received=r["received"], synced=r["synced_count"],
        )
        for r in rows
    ]


@dataclass
class OutboxOverview:
    """What the integration page shows at a glance."""

    now: datetime
    pending: int = 0
    in_flight: int = 0
    dead: int = 0
    oldest_undelivered_at: datetime | None = None
    delivered_last_hour: int = 0
    attempts_last_hour: int = 0
    failed_attempts_last_hour: int = 0
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    circuit_state: str = CircuitState.CLOSED
    circuit_failures: int = 0
    circuit_open_until: datetime | None = None

    @property
    def backlog(self) -> int:
        return self.pending + self.in_flight

    @property
    def oldest_age_seconds(self) -> float | None:
        if self.oldest_undelivered_at is None:
            return None
        return max(0.0, (self.now - self.oldest_undelivered_at).total_seconds())

    @property
    def delivery_rate_per_minute(self) -> float:
        return self.delivered_last_hour / 60.0


def outbox_overview(*, now: datetime | None = None, failures_window: timedelta = timedelta(hours=24)) -> OutboxOverview:
    now = now or timezone.now()
    overview = OutboxOverview(now=now)
    counts = dict(
        OutboxMessage.objects.filter(topic=TOPIC_NATIONAL_PORTAL, status__in=[*UNDELIVERED, OutboxStatus.DEAD])
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    overview.pending = counts.get(OutboxStatus.PENDING, 0)
    overview.in_flight = counts.get(OutboxStatus.IN_FLIGHT, 0)
    overview.dead = counts.get(OutboxStatus.DEAD, 0)
    overview.oldest_undelivered_at = OutboxMessage.objects.filter(
        topic=TOPIC_NATIONAL_PORTAL, status__in=UNDELIVERED
    ).aggregate(oldest=Min("created_at"))["oldest"]
    hour_ago = now - timedelta(hours=1)
    overview.delivered_last_hour = OutboxMessage.objects.filter(
        topic=TOPIC_NATIONAL_PORTAL, status=OutboxStatus.DELIVERED, delivered_at__gte=hour_ago
    ).count()
    attempts = DeliveryAttempt.objects.filter(started_at__gte=hour_ago).aggregate(
        total=Count("pk"), failed=Count("pk", filter=Q(ok=False))
    )
    overview.attempts_last_hour = attempts["total"]
    overview.failed_attempts_last_hour = attempts["failed"]
    overview.failures_by_kind = dict(
        DeliveryAttempt.objects.filter(started_at__gte=now - failures_window, ok=False)
        .values_list("error_kind")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("error_kind", "n")
    )
    breaker = CircuitBreaker.objects.filter(name="national_portal").first()
    if breaker is not None:
        overview.circuit_state = breaker.state
        overview.circuit_failures = breaker.consecutive_failures
        overview.circuit_open_until = breaker.open_until
    return overview


def dead_letters(*, agency_ids: Any = None, limit: int = 100) -> list[OutboxMessage]:
    """Thư chết, newest first. ``agency_ids`` narrows to messages of dossiers of those agencies."""
    qs = OutboxMessage.objects.filter(topic=TOPIC_NATIONAL_PORTAL, status=OutboxStatus.DEAD).select_related(
        "dossier__agency"
    )
    if agency_ids is not None:
        qs = qs.filter(dossier__agency_id__in=agency_ids)
    return list(qs.order_by("-id").defer("payload")[:limit])


def messages_for_dossier(dossier: Any) -> QuerySet[OutboxMessage]:
    """The dossier's sync history (for a dossier page): messages with their attempts."""
    return (
        OutboxMessage.objects.filter(dossier=dossier, topic=TOPIC_NATIONAL_PORTAL)
        .order_by("seq", "id")
        .prefetch_related("attempts_log")
    )

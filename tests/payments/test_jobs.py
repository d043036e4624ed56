"""The daily payment reconciliation is a worker job (``reconcile-payments``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from chinhquyenso.core import jobs
from chinhquyenso.payments import services
from chinhquyenso.payments.mock_gateway import MockGateway
from chinhquyenso.payments.models import ReconciliationRun


def test_reconcile_payments_is_scheduled_with_the_worker() -> None:
    registered = {job.name: job for job in jobs.registered()}
    assert "reconcile-payments" in registered
    job = registered["reconcile-payments"]
    assert job.func is services.reconciliation_daily_job
    # Checked hourly, so a day is reconciled soon after midnight whenever the worker runs.
    assert job.every_seconds == services.RECONCILE_JOB_EVERY_SECONDS <= 3600


@pytest.mark.django_db
def test_the_job_reconciles_yesterday_once_per_gateway(gateway: MockGateway) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    runs = services.reconciliation_daily_job()
    assert sorted(r.gateway for r in runs) == ["local", "national"]
    assert {r.day for r in runs} == {yesterday}
    # Run again (next hour, or a restarted worker): nothing is repeated.
    assert services.reconciliation_daily_job() == []
    assert ReconciliationRun.objects.filter(day=yesterday).count() == 2


@pytest.mark.django_db
def test_an_unreachable_gateway_is_logged_and_retried_later(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_LOCAL_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_NATIONAL_ENABLED", "0")
    day = date(2026, 2, 12)
    with caplog.at_level("WARNING", logger="chinhquyenso.payments"):
        assert services.reconciliation_daily_job(day=day) == []
    assert "local 2026-02-12" in caplog.text
    assert not ReconciliationRun.objects.exists()

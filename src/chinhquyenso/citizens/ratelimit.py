"""A fixed-window rate limit per client address, counted in the database.

The public dossier lookup uses it so codes cannot be enumerated (default 20 lookups a minute per
address, ``CHINHQUYENSO_LOOKUP_PER_MINUTE``). The counters are rows of
:class:`~chinhquyenso.citizens.models.RateLimitCounter`, so every web process (several gunicorn
workers, several hosts) counts against one budget — a per-process cache would multiply the limit by
the number of workers. The table comes with the ``citizens`` migrations (``chinhquyenso migrate``,
``make run``): nothing to configure, SQLite and PostgreSQL alike.

One hit is one short transaction: ``UPDATE … SET count = count + 1`` on the window's row (the row
lock orders concurrent hits on PostgreSQL; SQLite runs one writer at a time), an ``INSERT`` for the
first hit of a window (a concurrent first hit loses on the unique constraint and updates instead),
then the count as this transaction left it. Rows of past windows are deleted by the
``citizens-ratelimit-prune`` job (:func:`prune`).
"""

from __future__ import annotations

import os
import time

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

WINDOW_SECONDS = 60


def lookup_limit() -> int:
    try:
        return max(1, int(os.environ.get("CHINHQUYENSO_LOOKUP_PER_MINUTE", "20")))
    except ValueError:
        return 20


def client_address(request: HttpRequest) -> str:
    """``REMOTE_ADDR`` as the server sees it; behind a reverse proxy, the proxy must set it
    (e.g. gunicorn's ``--forwarded-allow-ips``), never a header the client controls."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def hit(bucket: str, who: str, *, window: int = WINDOW_SECONDS) -> int:
    """Count one hit for ``who`` in ``bucket`` in the current window; the window's total so far."""
    from chinhquyenso.citizens.models import RateLimitCounter

    slot = int(time.time() // window)
    key = {"bucket": bucket[:40], "who": who[:64], "slot": slot}
    rows = RateLimitCounter.objects.filter(**key)
    with transaction.atomic():
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(**key, count=1, expires_at=(slot + 1) * window)
            except IntegrityError:  # another process created it first: count on its row
                rows.update(count=F("count") + 1)
        return int(rows.values_list("count", flat=True).get())


def allow(bucket: str, who: str, *, limit: int, window: int = WINDOW_SECONDS) -> bool:
    """Count one hit for ``who`` in ``bucket``; False once more than ``limit`` hits fell in this window."""
    return hit(bucket, who, window=window) <= limit


def lookup_allowed(request: HttpRequest) -> bool:
    """One public lookup (page or API) by this client address."""
    return allow("lookup", client_address(request), limit=lookup_limit())


def prune() -> int:
    """Delete the counters of windows that are over (the worker runs this every few minutes)."""
    from chinhquyenso.citizens.models import RateLimitCounter

    deleted, _ = RateLimitCounter.objects.filter(expires_at__lte=int(time.time())).delete()
    return deleted

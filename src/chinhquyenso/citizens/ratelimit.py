"""A fixed-window rate limit per client address, kept in Django's cache.

The public dossier lookup uses it so codes cannot be enumerated (default 20 lookups a minute per
address, ``CHINHQUYENSO_LOOKUP_PER_MINUTE``). With several web processes, configure a shared cache
(``CACHES``, e.g. Redis or the database cache); the default local-memory cache counts per process.
"""

from __future__ import annotations

import os
import time

from django.core.cache import cache
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


def allow(bucket: str, who: str, *, limit: int, window: int = WINDOW_SECONDS) -> bool:
    """Count one hit for ``who`` in ``bucket``; False once more than ``limit`` hits fell in this window."""
    slot = int(time.time() // window)
    key = f"citizens:rl:{bucket}:{who}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= limit


def lookup_allowed(request: HttpRequest) -> bool:
    """One public lookup (page or API) by this client address."""
    return allow("lookup", client_address(request), limit=lookup_limit())

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

import chinhquyenso
from chinhquyenso.core.api import database_ok


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Load-balancer probe: 200 when the database answers, 503 otherwise."""
    ok = database_ok()
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": connection.vendor if ok else "unreachable",
         "version": chinhquyenso.__version__},
        status=200 if ok else 503,
    )

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

import chinhquyenso

router = Router(tags=["Hệ thống"])


class Health(Schema):
    status: str
    database: str
    version: str


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


@router.get("/health", response={200: Health, 503: Health}, auth=None, summary="Tình trạng hệ thống")
def health(request: HttpRequest) -> tuple[int, Health]:
    ok = database_ok()
    body = Health(status="ok" if ok else "error", database=connection.vendor if ok else "unreachable",
                  version=chinhquyenso.__version__)
    return (200 if ok else 503), body

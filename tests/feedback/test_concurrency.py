"""Races on PostgreSQL (SQLite serialises writers, so there is nothing to race there): petition codes
are never shared, and a submitter's answer is rated once however many requests arrive at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from chinhquyenso.core.errors import Conflict
from chinhquyenso.feedback import services
from chinhquyenso.feedback.models import Petition, PetitionRating, RatingValue
from tests.feedback.conftest import build_world, submit, vn

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers (IMMEDIATE)"),
    pytest.mark.django_db(transaction=True),
]


def race(threads: int, work: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(threads)
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(i)
            with lock:
                results.append(result)
        except BaseException as exc:  # collected for the assertions
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    return results, errors


def test_concurrent_submissions_never_share_a_code() -> None:
    world = build_world()
    results, errors = race(6, lambda i: submit(world, actor="citizen" if i % 2 else "citizen2",
                                               at=vn(2026, 3, 2, 9, i)).code)
    assert not errors, errors
    assert sorted(str(r) for r in results) == [f"PAKN-260302-{n:04d}" for n in range(1, 7)]


def test_concurrent_ratings_count_once() -> None:
    world = build_world()
    petition = submit(world)
    services.petition_answer(petition=petition, actor=world.processor_a, answer="Đã xử lý")
    results, errors = race(4, lambda i: services.petition_rate(petition=petition, actor=world.citizen,
                                                               value=RatingValue.DISLIKE))
    assert len(results) == 1 and len(errors) == 3
    assert all(isinstance(e, Conflict) for e in errors), errors
    petition = Petition.objects.get(pk=petition.pk)
    assert (petition.dislike_count, PetitionRating.objects.count()) == (1, 1)

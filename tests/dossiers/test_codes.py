"""Dossier codes: ``<agency portal code>-YYMMDD-NNNN``, NNNN per agency per day, never shared."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections

from chinhquyenso.dossiers.models import Dossier
from tests.dossiers.conftest import receive, vn
from tests.dossiers.factories import Province, build_province

CODE = re.compile(r"^H01\.1[23]-(\d{6})-(\d{4})$")


@pytest.mark.django_db
def test_many_receipts_the_same_day_are_numbered_in_order(world: Province) -> None:
    codes = [receive(world, at=vn(2026, 2, 12, 8, i)).code for i in range(25)]
    assert codes == [f"H01.12-260212-{n:04d}" for n in range(1, 26)]
    assert all(CODE.match(c) for c in codes)


@pytest.mark.django_db
def test_numbering_restarts_each_day_and_is_per_agency(world: Province) -> None:
    from chinhquyenso.dossiers import services
    from tests.dossiers.conftest import applicant, components_for

    assert receive(world, at=vn(2026, 2, 12, 16)).code == "H01.12-260212-0001"
    # 23:30 on the 12th in Vietnam is 16:30 UTC: the local date decides.
    assert receive(world, at=vn(2026, 2, 12, 23, 30)).code == "H01.12-260212-0002"
    assert receive(world, at=vn(2026, 2, 13, 0, 10)).code == "H01.12-260213-0001"
    other = services.dossier_receive(actor=world.counter_b, procedure=world.procedure, agency=world.ubnd_b,
                                     applicant=applicant(), components=components_for(world), at=vn(2026, 2, 12, 9))
    assert other.code == "H01.13-260212-0001"


@pytest.mark.django_db
def test_online_codes_share_the_agency_sequence(world: Province) -> None:
    from chinhquyenso.dossiers import services
    from tests.dossiers.conftest import applicant, components_for

    first = receive(world, at=vn(2026, 2, 12, 9))
    online = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                            applicant=applicant(), components=components_for(world),
                                            at=vn(2026, 2, 12, 20))
    assert (first.code, online.code) == ("H01.12-260212-0001", "H01.12-260212-0002")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers with IMMEDIATE transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_never_share_a_code() -> None:
    world = build_province()
    per_thread, threads = 5, 6
    barrier = threading.Barrier(threads)
    made: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                code = receive(world, at=vn(2026, 2, 12, 9, i)).code
                with lock:
                    made.append(code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not errors, errors
    expected = {f"H01.12-260212-{n:04d}" for n in range(1, threads * per_thread + 1)}
    assert sorted(made) == sorted(expected)
    assert set(Dossier.objects.values_list("code", flat=True)) == expected

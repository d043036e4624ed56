"""Home page per role: visitors, officers (their real work, scope-filtered), citizens (their own dossiers)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Status
from chinhquyenso.dossiers.views import WORK_COUNT_CAP, officer_work_summary
from tests.dossiers.conftest import applicant, components_for, receive, to_processing
from tests.dossiers.factories import Province, UserFactory, build_province

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> Province:
    return build_province()


def counts(body: str) -> dict[str, tuple[str, str]]:
    """{card key: (shown number, link)} from the officer's home page."""
    found = re.findall(r'<li class="work-card (\w+)"><a href="([^"]+)"><span class="work-count[^"]*">([^<]+)</span>',
                       body)
    return {key: (shown, url.replace("&amp;", "&")) for key, url, shown in found}


def online(world: Province, citizen: Any) -> Any:
    return services.dossier_submit_online(actor=citizen, procedure=world.procedure, agency=world.ubnd_a,
                                          applicant=applicant(), components=components_for(world))


def test_visitor_sees_the_catalog_and_login(client: Any) -> None:
    body = client.get("/").content.decode()
    assert 'href="/thu-tuc/"' in body and 'href="/tai-khoan/dang-nhap/"' in body
    assert "Công việc của bạn" not in body and "Hồ sơ của tôi" not in body and "Một cửa" not in body


def test_one_stop_officer_sees_counts_of_real_work(client: Any, world: Province) -> None:
    receive(world)  # February 2026: overdue, waiting at the counter's step
    receive(world, at=timezone.now())  # on time, also at the counter's step
    online(world, world.citizen)
    login_verified(client, world.counter_a)
    body = client.get("/").content.decode()
    cards = counts(body)
    assert cards["waiting"] == ("2", "/ho-so/?viec=cho-toi")
    assert cards["late"] == ("1", "/ho-so/?viec=&han=overdue")
    assert cards["soon"][1] == "/ho-so/?viec=&han=soon"
    assert cards["online"] == ("1", "/ho-so/truc-tuyen/")
    assert "Hồ sơ của tôi" in body and 'href="/ho-so/tiep-nhan/"' in body  # menu entries


def test_counts_follow_role_and_scope(client: Any, world: Province) -> None:
    late = receive(world)
    to_processing(world, late)  # now at the processing step, assigned to processor_a
    login_verified(client, world.processor_a)
    cards = counts(client.get("/").content.decode())
    assert cards["waiting"][0] == "1" and cards["late"][0] == "1"
    assert "online" not in cards  # not a one-stop officer
    login_verified(client, world.processor_a2)  # same role, but assigned to someone else
    assert counts(client.get("/").content.decode())["waiting"][0] == "0"
    login_verified(client, world.counter_b)  # the other commune sees none of it
    cards = counts(client.get("/").content.decode())
    assert cards["waiting"][0] == "0" and cards["late"][0] == "0" and cards["online"][0] == "0"
    body = client.get("/").content.decode()
    assert "Một cửa" in body
    login_verified(client, world.processor_b)
    assert "Một cửa" not in client.get("/").content.decode()


def test_officer_must_pass_the_second_factor_before_seeing_work(client: Any, world: Province) -> None:
    receive(world)
    client.force_login(world.counter_a)
    body = client.get("/").content.decode()
    assert "/tai-khoan/xac-thuc/" in body and "work-card" not in body


def test_counts_are_capped(world: Province, monkeypatch: Any) -> None:
    from chinhquyenso.dossiers import views

    monkeypatch.setattr(views, "WORK_COUNT_CAP", 2)
    for _ in range(3):
        receive(world)
    late = next(w for w in officer_work_summary(world.counter_a) if w.key == "late")
    assert late.capped and late.count == 2 and late.shown == "1+"
    assert WORK_COUNT_CAP == 1000


def test_citizen_sees_own_dossiers_only(client: Any, world: Province) -> None:
    mine = online(world, world.citizen)
    other_citizen = UserFactory(username="congdan_khac", is_citizen=True)
    theirs = online(world, other_citizen)
    services.dossier_accept_online(dossier=mine, actor=world.counter_a)
    client.force_login(world.citizen)
    body = client.get("/").content.decode()
    assert mine.code in body and theirs.code not in body
    assert Status.RECEIVED.label in body
    assert 'href="/ho-so/"' not in body and "Một cửa" not in body  # officer menus stay hidden
    assert 'href="/cong-dan/"' in body  # the citizen's own "Hồ sơ của tôi"


def test_citizen_without_dossiers_gets_an_empty_state(client: Any, world: Province) -> None:
    client.force_login(world.citizen)
    body = client.get("/").content.decode()
    assert "Bạn chưa có hồ sơ nào nộp trực tuyến." in body and 'href="/thu-tuc/"' in body

"""The officer inbox selector (``selectors.dossier_inbox``): one implementation for the web inbox, the REST
list and the home-page counts. Ordering, every filter, the keyset cursor, "waiting for me", and the scope:
the constant-id restatement used for the query plan never changes which rows an officer sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chinhquyenso.core.text import fold
from chinhquyenso.dossiers import selectors, services
from chinhquyenso.dossiers.models import ACTIVE_STATUSES, Dossier, Status
from chinhquyenso.dossiers.views import officer_work_summary
from tests.dossiers.conftest import applicant, components_for, receive, to_processing, vn
from tests.dossiers.factories import Province, UserFactory

pytestmark = pytest.mark.django_db

NOW = vn(2026, 3, 13, 9)


def all_pages(user: Any, filters: selectors.InboxFilters, *, limit: int = 2, now: dt.datetime = NOW) -> list[str]:
    """Every row of the list, walked page by page through the cursor."""
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = selectors.dossier_inbox(user, filters=filters, cursor=cursor, limit=limit, now=now)
        assert len(page.items) <= limit
        seen += [d.code for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def reference(user: Any, filters: selectors.InboxFilters, now: dt.datetime = NOW) -> list[str]:
    """The same list computed the slow, obvious way: the canonical scope, filters in Python, sorted."""
    rows = list(selectors.dossier_visible_queryset(user))
    out = []
    for d in rows:
        if filters.statuses and d.status not in filters.statuses:
            continue
        if filters.due:
            if d.status not in ACTIVE_STATUSES:
                continue
            running = d.clock_paused_at is None and d.due_at is not None
            if filters.due == "paused" and d.clock_paused_at is None:
                continue
            if filters.due == "overdue" and not (running and d.due_at < now):  # type: ignore[operator]
                continue
        if filters.q and fold(filters.q) not in d.search_text:
            continue
        if filters.assigned_to_me and d.assignee_id != user.pk:
            continue
        out.append(d)
    out.sort(key=lambda d: (d.due_at is None, d.due_at or now, d.pk))
    return [d.code for d in out]


def province_with_work(world: Province) -> dict[str, Dossier]:
    """Dossiers in every open state at commune A, one at commune B, one consulted with the Sở."""
    fresh = receive(world, at=vn(2026, 3, 12, 9))  # step 1 (one-stop), due 19/03
    late = to_processing(world, receive(world, at=vn(2026, 3, 2, 9)))  # step 2, assigned processor_a, overdue
    paused = to_processing(world, receive(world, at=vn(2026, 3, 9, 9), applicant=applicant(name="Lê Thị Đào")))
    paused = services.dossier_request_supplement(dossier=paused, actor=world.processor_a, reason="Thiếu",
                                                 items=["Tờ khai"], at=vn(2026, 3, 10, 9))
    consulted = to_processing(world, receive(world, at=vn(2026, 3, 5, 9)))
    services.dossier_consult(dossier=consulted, actor=world.processor_a, agency=world.so_tu_phap, question="?",
                             at=vn(2026, 3, 6, 9))
    other = services.dossier_receive(actor=world.counter_b, procedure=world.procedure, agency=world.ubnd_b,
                                     applicant=applicant(name="Trần Văn Bình"), components=components_for(world),
                                     at=vn(2026, 3, 3, 9))
    online = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                            applicant=applicant(), components=components_for(world))
    return {"fresh": fresh, "late": late, "paused": paused, "consulted": consulted, "other": other,
            "online": online}


FILTERS = [
    {}, {"due": "open"}, {"due": "overdue"}, {"due": "paused"}, {"statuses": [Status.PROCESSING]},
    {"statuses": [Status.NEW]}, {"statuses": [Status.RECEIVED, Status.SUPPLEMENT_REQUESTED]},
    {"due": "open", "q": "nguyen van an"}, {"q": "le thi dao"}, {"due": "open", "assigned_to_me": True},
    {"assigned_to_me": True},
]


def test_every_filter_and_every_page_matches_the_canonical_scope(world: Province) -> None:
    made = province_with_work(world)
    users = [world.counter_a, world.processor_a, world.processor_a2, world.leader_a, world.processor_stp,
             world.counter_b, world.auditor_a, world.citizen, UserFactory(username="root", is_superuser=True)]
    for user in users:
        for kwargs in FILTERS:
            filters = selectors.InboxFilters(**kwargs)  # type: ignore[arg-type]
            expected = reference(user, filters)
            assert all_pages(user, filters) == expected, (user.username, kwargs)
            assert all_pages(user, filters, limit=50) == expected, (user.username, kwargs)
    # and the reference itself is not trivially empty
    assert reference(world.processor_a, selectors.InboxFilters(due="overdue")) == [
        made["late"].code, made["consulted"].code]
    assert reference(world.processor_stp, selectors.InboxFilters()) == [made["consulted"].code]


def test_ordering_due_first_no_due_date_last_ties_by_id(world: Province) -> None:
    made = province_with_work(world)
    codes = all_pages(world.counter_a, selectors.InboxFilters(), limit=1)
    rows = {d.code: d for d in Dossier.objects.filter(code__in=codes)}
    keys = [(rows[c].due_at is None, rows[c].due_at or NOW, rows[c].pk) for c in codes]
    assert keys == sorted(keys)
    assert codes[-1] == made["online"].code  # not received yet: no due date, last
    assert made["other"].code not in codes


def test_waiting_for_me_follows_the_step_role_assignee_and_desk(world: Province) -> None:
    made = province_with_work(world)
    waiting = selectors.InboxFilters(waiting_for_me=True)

    def mine(user: Any) -> set[str]:
        return set(all_pages(user, waiting))

    # step 1 belongs to the one-stop officer; a supplement to receive is counter work too
    assert mine(world.counter_a) == {made["fresh"].code, made["paused"].code}
    # step 2 is the processing officer's, assigned to processor_a: not processor_a2's
    assert mine(world.processor_a) == {made["late"].code, made["consulted"].code}
    assert mine(world.processor_a2) == set()
    assert mine(world.leader_a) == set()
    # the consulted Sở answers; commune B has its own desk; auditors and citizens wait for nothing
    assert mine(world.processor_stp) == {made["consulted"].code}
    assert mine(world.counter_b) == {made["other"].code}
    assert mine(world.auditor_a) == set() and mine(world.citizen) == set()
    # once answered, the consultation no longer waits for the Sở
    consultation = made["consulted"].consultations.get()
    services.dossier_consultation_answer(consultation=consultation, actor=world.processor_stp, answer="Đồng ý",
                                          at=vn(2026, 3, 7, 9))
    assert mine(world.processor_stp) == set()
    # "waiting for me" combines with the other filters
    assert all_pages(world.processor_a, selectors.InboxFilters(waiting_for_me=True, due="overdue")) == [
        made["late"].code, made["consulted"].code]


def test_home_counts_are_the_inbox_lists(world: Province) -> None:
    province_with_work(world)
    now = timezone.now()
    for user in (world.counter_a, world.processor_a, world.processor_stp):
        counts = {w.key: w.count for w in officer_work_summary(user, now=now)}
        assert counts["waiting"] == len(all_pages(user, selectors.InboxFilters(waiting_for_me=True), now=now))
        assert counts["late"] == len(all_pages(user, selectors.InboxFilters(due="overdue"), now=now))
        assert counts["soon"] == len(all_pages(user, selectors.InboxFilters(due="soon"), now=now))
    assert {w.key: w.count for w in officer_work_summary(world.counter_a, now=now)}["online"] == 1


def test_the_constant_scope_is_exactly_the_visible_scope(world: Province) -> None:
    made = province_with_work(world)
    services.dossier_consult(dossier=made["late"], actor=world.processor_a, agency=world.ubnd_b, question="?",
                             at=vn(2026, 3, 6, 10))
    users = [world.counter_a, world.processor_a, world.processor_stp, world.counter_b, world.processor_b,
             world.auditor_a, world.citizen, UserFactory(username="nobody"),
             UserFactory(username="root", is_superuser=True)]
    for user in users:
        visible = set(selectors.dossier_visible_queryset(user).values_list("pk", flat=True))
        for statuses in (None, [Status.NEW], list(selectors.OPEN_WORK), [Status.PROCESSING]):
            ours = selectors._inbox_scope(user, statuses=statuses).qs
            if statuses is not None:
                ours = ours.filter(status__in=statuses)
            expected = {pk for pk in visible if statuses is None or Dossier.objects.get(pk=pk).status in statuses}
            assert set(ours.values_list("pk", flat=True)) == expected, (user.username, statuses)
    # the Sở and commune B see the dossiers consulted with them, and nothing else of commune A
    assert set(all_pages(world.processor_stp, selectors.InboxFilters())) == {made["consulted"].code}
    assert set(all_pages(world.counter_b, selectors.InboxFilters(due="open"))) == {
        made["other"].code, made["late"].code}


def test_the_list_query_has_constant_agency_ids(world: Province, monkeypatch: Any) -> None:
    province_with_work(world)

    def listing(user: Any) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            selectors.dossier_inbox(user, filters=selectors.InboxFilters(due="overdue"), now=NOW)
        # the page is chosen on (due_at, id) alone, then its rows are fetched by id
        return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "dossiers_dossier"."due_at"')]

    # one read per branch (the commune as handling agency, as receiving agency); overdue rows always have a
    # due date, so no second read for undated rows
    handling, receiving = listing(world.processor_a)
    pk = world.ubnd_a.pk
    for sql in (handling, receiving):
        assert f'"dossiers_dossier"."agency_id" IN ({pk})' in sql and "IN (SELECT" not in sql
    assert f'"dossiers_dossier"."agency_id" = {pk}' in handling
    assert f'"dossiers_dossier"."receiving_agency_id" = {pk}' in receiving
    monkeypatch.setattr(selectors, "SCOPE_LIST_MAX", 0)  # a scope too wide to list keeps the subquery
    (wide,) = listing(world.processor_a)
    assert '"dossiers_dossier"."agency_id" IN (SELECT' in wide


@pytest.mark.parametrize("limits", [{"SCOPE_LIST_MAX": 0}, {"CONSULTED_LIST_MAX": 0}, {"BRANCHES_MAX": 0}])
def test_wide_scopes_fall_back_to_subqueries_with_the_same_rows(world: Province, monkeypatch: Any,
                                                                limits: dict[str, int]) -> None:
    province_with_work(world)
    before = {(u.pk, i): all_pages(u, selectors.InboxFilters(**f))  # type: ignore[arg-type]
              for u in (world.processor_a, world.processor_stp) for i, f in enumerate(FILTERS)}
    for name, value in limits.items():
        monkeypatch.setattr(selectors, name, value)
    after = {(u.pk, i): all_pages(u, selectors.InboxFilters(**f))  # type: ignore[arg-type]
             for u in (world.processor_a, world.processor_stp) for i, f in enumerate(FILTERS)}
    assert after == before


def test_cursor_is_keyset_no_offset_no_count(world: Province) -> None:
    for day in range(2, 9):
        receive(world, at=vn(2026, 3, day, 9))
    page = selectors.dossier_inbox(world.counter_a, filters=selectors.InboxFilters(due="open"), limit=3, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        nxt = selectors.dossier_inbox(world.counter_a, filters=selectors.InboxFilters(due="open"), limit=3,
                                      cursor=page.next_cursor, now=NOW)
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql
    assert not {d.pk for d in page.items} & {d.pk for d in nxt.items}
    assert page.items[-1].due_at <= nxt.items[0].due_at  # type: ignore[operator]


def test_rest_list_takes_the_same_filters(world: Province) -> None:
    from tests.dossiers.test_api import BASE, Api

    made = province_with_work(world)
    api = Api(world.processor_a)
    waiting = api.get(BASE, waiting_for_me="true").json()
    assert {i["code"] for i in waiting["items"]} == {made["late"].code, made["consulted"].code}
    everything = api.get(BASE).json()
    assert {i["code"] for i in everything["items"]} == set(reference(world.processor_a, selectors.InboxFilters()))

"""Inbox, lookup, allowed actions, timeline, remaining time and on-time facts."""

from __future__ import annotations

import pytest

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.dossiers import selectors, services
from chinhquyenso.dossiers.models import Status
from chinhquyenso.dossiers.rules import OnTimeCategory
from tests.dossiers.conftest import applicant, components_for, receive, to_last_step, to_processing, vn
from tests.dossiers.factories import Province, UserFactory

pytestmark = pytest.mark.django_db


def codes(page: selectors.InboxPage) -> list[str]:
    return [d.code for d in page.items]


def test_inbox_is_scoped(world: Province) -> None:
    a = receive(world)
    b = services.dossier_receive(actor=world.counter_b, procedure=world.procedure, agency=world.ubnd_b,
                                 applicant=applicant(name="Trần Thị Bình"), components=components_for(world))
    assert codes(selectors.dossier_inbox(world.processor_a)) == [a.code]
    assert codes(selectors.dossier_inbox(world.processor_b)) == [b.code]
    assert codes(selectors.dossier_inbox(world.processor_stp)) == []
    assert codes(selectors.dossier_inbox(world.citizen)) == []
    assert codes(selectors.dossier_inbox(UserFactory(username="nobody"))) == []
    admin = UserFactory(username="root", is_superuser=True)
    assert set(codes(selectors.dossier_inbox(admin))) == {a.code, b.code}


def test_consulted_agency_sees_the_dossier(world: Province) -> None:
    d = to_processing(world, receive(world))
    assert codes(selectors.dossier_inbox(world.processor_stp)) == []
    with pytest.raises(NotFound):
        selectors.dossier_get_for_user(world.processor_stp, d.code)
    services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.so_tu_phap, question="?")
    assert codes(selectors.dossier_inbox(world.processor_stp)) == [d.code]
    assert selectors.dossier_get_for_user(world.processor_stp, d.code).pk == d.pk
    assert selectors.dossier_allowed_actions(world.processor_stp, d) == ["answer_consultation"]


def test_get_for_user_hides_out_of_scope_and_unknown(world: Province) -> None:
    d = receive(world)
    assert selectors.dossier_get_for_user(world.counter_a, d.code).pk == d.pk
    for user, code in ((world.counter_b, d.code), (world.counter_a, "H01.12-000000-9999"), (world.citizen, d.code)):
        with pytest.raises(NotFound):
            selectors.dossier_get_for_user(user, code)


def test_online_owner_can_read_own_dossier(world: Province) -> None:
    d = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                       applicant=applicant(), components=components_for(world))
    assert selectors.dossier_get_for_user(world.citizen, d.code).pk == d.pk
    assert selectors.dossier_allowed_actions(world.citizen, d) == ["withdraw"]


def test_inbox_orders_by_due_date_and_paginates_with_a_cursor(world: Province) -> None:
    made = [receive(world, at=vn(2026, 3, day, 9)) for day in (6, 2, 4, 3, 5)]  # due dates follow receipt days
    online = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                            applicant=applicant(), components=components_for(world))
    expected = [d.code for d in sorted(made, key=lambda d: d.due_at)] + [online.code]  # no due date: last
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = selectors.dossier_inbox(world.counter_a, cursor=cursor, limit=2)
        seen += codes(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected
    assert codes(selectors.dossier_inbox(world.counter_a, limit=100)) == expected


def test_inbox_cursor_with_equal_due_dates(world: Province) -> None:
    made = [receive(world, at=vn(2026, 3, 2, 8, i)).code for i in range(5)]  # same due day and moment
    page1 = selectors.dossier_inbox(world.counter_a, limit=3)
    page2 = selectors.dossier_inbox(world.counter_a, limit=3, cursor=page1.next_cursor)
    assert codes(page1) + codes(page2) == made and page2.next_cursor is None


def test_inbox_rejects_a_forged_cursor(world: Province) -> None:
    with pytest.raises(ValidationFailed):
        selectors.dossier_inbox(world.counter_a, cursor="bm90LWpzb24")
    with pytest.raises(ValidationFailed):
        selectors.dossier_inbox(world.counter_a, filters=selectors.InboxFilters(statuses=[42]))
    with pytest.raises(ValidationFailed):
        selectors.dossier_inbox(world.counter_a, filters=selectors.InboxFilters(due="someday"))


def test_inbox_filters(world: Province) -> None:
    overdue = to_processing(world, receive(world, at=vn(2026, 3, 2, 9)))
    waiting = to_processing(world, receive(world, at=vn(2026, 3, 9, 9), applicant=applicant(name="Lê Thị Đào")))
    waiting = services.dossier_request_supplement(dossier=waiting, actor=world.processor_a, reason="Thiếu",
                                                  items=["Tờ khai"], at=vn(2026, 3, 10, 9))
    fresh = receive(world, at=vn(2026, 3, 12, 9))  # due 19/03 17:00, unassigned
    now = vn(2026, 3, 13, 9)

    def f(**kwargs: object) -> list[str]:
        return codes(selectors.dossier_inbox(world.processor_a, filters=selectors.InboxFilters(**kwargs), now=now))

    assert f(due="overdue") == [overdue.code]  # due 09/03 17:00
    assert f(due="paused") == [waiting.code]
    assert f(statuses=[Status.RECEIVED]) == [fresh.code]
    assert f(statuses=[Status.RECEIVED, Status.SUPPLEMENT_REQUESTED]) == [waiting.code, fresh.code]
    assert f(assigned_to_me=True) == [overdue.code, waiting.code]
    assert f(q="le thi dao") == [waiting.code]  # diacritics-insensitive, Đ folded
    assert f(q="DANG KY KHAI SINH") == [overdue.code, waiting.code, fresh.code]
    assert f(q=fresh.code) == [fresh.code]
    assert f(due="soon") == []
    assert [d.code for d in selectors.dossier_inbox(
        world.processor_a, filters=selectors.InboxFilters(due="soon"), now=vn(2026, 3, 18, 9)).items] == [fresh.code]
    assert [d.code for d in selectors.dossier_inbox(
        world.processor_a, filters=selectors.InboxFilters(due="today"), now=vn(2026, 3, 19, 9)).items] == [fresh.code]


def test_allowed_actions_follow_state_step_and_role(world: Province) -> None:
    d = receive(world)
    assert selectors.dossier_allowed_actions(world.counter_a, d) == [
        "refuse", "request_supplement", "forward", "withdraw", "mark_digitized"]
    assert selectors.dossier_allowed_actions(world.processor_a, d) == ["apologize_extend"]
    assert selectors.dossier_allowed_actions(world.leader_a, d) == ["apologize_extend"]
    assert selectors.dossier_allowed_actions(world.counter_b, d) == []
    d = to_processing(world, d)
    assert selectors.dossier_allowed_actions(world.processor_a, d) == [
        "request_supplement", "forward", "return_for_rework", "consult", "require_payment", "stop",
        "apologize_extend"]
    d = to_last_step(world, receive(world))
    assert "finish" in selectors.dossier_allowed_actions(world.processor_a, d)
    assert "forward" not in selectors.dossier_allowed_actions(world.processor_a, d)


def test_allowed_actions_match_what_the_services_accept(world: Province) -> None:
    """Every action offered is accepted; every action refused is not offered (on one dossier state)."""
    d = to_processing(world, receive(world))
    offered = set(selectors.dossier_allowed_actions(world.processor_a, d))
    assert "stop" in offered and "finish" not in offered and "return_result" not in offered
    services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.so_tu_phap, question="?")
    d = services.dossier_forward(dossier=d, actor=world.processor_a)
    d = services.dossier_forward(dossier=d, actor=world.leader_a)
    assert "finish" not in selectors.dossier_allowed_actions(world.processor_a, d)  # consultation still open


def test_timeline_labels(world: Province) -> None:
    d = to_processing(world, receive(world))
    entries = selectors.dossier_timeline(d)
    assert [(e.seq, e.label, e.status_label) for e in entries] == [
        (1, "Tiếp nhận hồ sơ", "Được tiếp nhận"), (2, "Chuyển xử lý", "Đang xử lý")]
    assert entries[0].actor_label == world.counter_a.display_name
    assert entries[1].step_name == "Tiếp nhận, kiểm tra hồ sơ"


def test_remaining_working_hours(world: Province) -> None:
    d = to_processing(world, receive(world, at=vn(2026, 2, 12, 10)))  # due 26/02 17:00
    assert selectors.dossier_remaining_working_hours(d, vn(2026, 2, 26, 9)) == 6.0  # 2.5 before lunch + 3.5 after
    assert selectors.dossier_remaining_working_hours(d, vn(2026, 2, 27, 8)) == -1.0
    d = services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason="Thiếu", items=["x"],
                                            at=vn(2026, 2, 26, 9))
    assert selectors.dossier_remaining_working_hours(d, vn(2026, 3, 20, 9)) == 6.0  # frozen while waiting
    d = services.dossier_stop(dossier=d, actor=world.processor_a, reason="Dừng")
    assert selectors.dossier_remaining_working_hours(d, vn(2026, 3, 20, 9)) is None


def test_on_time_from_columns_matches_events(world: Province) -> None:
    d = to_processing(world, receive(world, at=vn(2026, 2, 12, 10)))  # due 26/02 17:00
    d = services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason="Thiếu", items=["x"],
                                            at=vn(2026, 2, 13, 9))
    d = services.dossier_receive_supplement(dossier=d, actor=world.counter_a, at=vn(2026, 2, 23, 9))  # +8 h
    d = services.dossier_forward(dossier=d, actor=world.processor_a, at=vn(2026, 2, 27, 8))
    d = services.dossier_forward(dossier=d, actor=world.leader_a, at=vn(2026, 2, 27, 9))
    d = services.dossier_finish(dossier=d, actor=world.processor_a, at=vn(2026, 2, 27, 16), results=[
        services.ResultInput(procedure_result=world.result)])
    # Finished a day after the original appointment, but the 8 h pause moved it to 27/02 17:00.
    for period_end in (vn(2026, 3, 31), vn(2026, 2, 20), vn(2026, 2, 27, 17)):
        cols = selectors.dossier_on_time(d, period_end=period_end)
        events = selectors.dossier_on_time(d, period_end=period_end, from_events=True)
        assert cols.category == events.category
    assert selectors.dossier_on_time(d, period_end=vn(2026, 3, 31)).category == OnTimeCategory.ON_TIME
    assert selectors.dossier_on_time(d, period_end=vn(2026, 3, 31)).effective_due_at == d.due_at
    # Judged mid-February, the citizen had not answered yet: the request ended processing, early.
    assert selectors.dossier_on_time(d, period_end=vn(2026, 2, 20)).category == OnTimeCategory.EARLY


def test_on_time_ignores_apology_extensions(world: Province) -> None:
    d = to_processing(world, receive(world, at=vn(2026, 2, 12, 10)))
    d = services.dossier_apologize_extend(dossier=d, actor=world.processor_a, new_due_at=vn(2026, 3, 6, 17),
                                          reason="Chờ xác minh")
    assert selectors.dossier_on_time(d, period_end=vn(2026, 3, 2)).category == OnTimeCategory.IN_PROGRESS_LATE

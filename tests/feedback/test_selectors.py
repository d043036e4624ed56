"""Reads: scope isolation, the inbox filters and due colours, public data, and the 766 counts (5.1–5.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.feedback import selectors, services
from chinhquyenso.feedback.models import Petition, RatingValue, Topic
from chinhquyenso.feedback.services import ContactInput
from tests.feedback.conftest import World, submit, vn

pytestmark = pytest.mark.django_db


def test_officer_of_commune_b_sees_nothing_of_commune_a(world: World) -> None:
    a = submit(world, title="Ở xã An Phú")
    b = submit(world, title="Ở phường Long Xuyên", agency=world.ubnd_b)
    assert list(selectors.petition_inbox(world.leader_a)) == [a]
    assert list(selectors.petition_inbox(world.leader_b)) == [b]
    with pytest.raises(NotFound):
        selectors.petition_get_for_officer(world.leader_b, a.code)
    with pytest.raises(NotFound):
        selectors.petition_get_for_user(world.processor_b, a.code)
    assert list(selectors.petition_inbox(world.province_admin).order_by("id")) == [a, b]  # the province sees all
    assert selectors.petition_inbox(world.citizen).count() == 0


def test_citizen_sees_only_their_own(world: World) -> None:
    mine = submit(world)
    theirs = submit(world, actor="citizen2")
    anonymous = submit(world, actor=None, contact=ContactInput(name="Ẩn danh", phone="0901234567"))
    assert list(selectors.petitions_of_submitter(world.citizen)) == [mine]
    assert selectors.petition_get_for_user(world.citizen, mine.code) == mine
    for code in (theirs.code, anonymous.code):
        with pytest.raises(NotFound):
            selectors.petition_get_for_user(world.citizen, code)
    assert selectors.petitions_of_submitter(None).count() == 0


def test_inbox_filters(world: World) -> None:
    regulation = submit(world, title="Thủ tục khai sinh rườm rà")
    staff = submit(world, title="Cán bộ thái độ không đúng mực", topic=Topic.STAFF_CONDUCT)
    services.petition_assign(petition=regulation, actor=world.leader_a, assignee=world.processor_a)
    services.petition_classify(petition=staff, actor=world.counter_a, classification=Topic.REGULATION)
    assert list(selectors.petition_inbox(world.leader_a, q="ruom ra")) == [regulation]  # without diacritics
    assert list(selectors.petition_inbox(world.leader_a, status="in_progress").order_by("id")) == [regulation, staff]
    assert selectors.petition_inbox(world.leader_a, topic=Topic.REGULATION).count() == 2  # classification wins
    assert selectors.petition_inbox(world.leader_a, topic=Topic.STAFF_CONDUCT).count() == 0
    assert list(selectors.petition_inbox(world.processor_a, assigned_to_me=True)) == [regulation]
    with pytest.raises(ValidationFailed):
        selectors.petition_inbox(world.leader_a, status="lost")
    with pytest.raises(ValidationFailed):
        selectors.petition_inbox(world.leader_a, due="yesterday")


def test_due_colours_and_due_filters(world: World) -> None:
    p = submit(world, at=vn(2026, 2, 13, 10))  # reply due 13/03/2026 (Tết in between)
    today_ok = dt.date(2026, 3, 2)
    assert selectors.due_state(p, today=today_ok) == "ok"
    assert selectors.working_days_left(p, today=today_ok) == 9
    assert selectors.due_state(p, today=dt.date(2026, 3, 10)) == "soon"
    assert selectors.due_state(p, today=dt.date(2026, 3, 13)) == "soon"
    assert selectors.due_state(p, today=dt.date(2026, 3, 15)) == "soon"  # Sunday after: no working day lost yet
    assert selectors.due_state(p, today=dt.date(2026, 3, 16)) == "late"
    assert list(selectors.petition_inbox(world.leader_a, due="late", today=dt.date(2026, 3, 15))) == []
    assert list(selectors.petition_inbox(world.leader_a, due="late", today=dt.date(2026, 3, 16))) == [p]
    assert list(selectors.petition_inbox(world.leader_a, due="soon", today=dt.date(2026, 3, 10))) == [p]
    assert list(selectors.petition_inbox(world.leader_a, due="soon", today=dt.date(2026, 3, 16))) == []
    assert list(selectors.petition_inbox(world.leader_a, due="soon", today=today_ok)) == []
    p = services.petition_answer(petition=p, actor=world.processor_a, answer="Đã xử lý", at=vn(2026, 3, 12, 10))
    assert selectors.current_due(p) == vn(2026, 3, 16, 17)  # now the publication is what is due
    assert selectors.due_state(p, today=dt.date(2026, 3, 17)) == "late"
    assert list(selectors.petition_inbox(world.leader_a, due="open")) == []
    p = services.petition_publish(petition=p, actor=world.leader_a)
    assert selectors.due_state(p, today=dt.date(2026, 12, 31)) == ""


def test_public_views_show_no_personal_data(world: World) -> None:
    p = submit(world, title="Ông Trần Văn Bình ở ấp 3 phản ánh", content="Số điện thoại 0912345678")
    p = services.petition_answer(petition=p, actor=world.processor_a, answer="Đã làm việc với ông Bình.")
    assert selectors.petitions_published().count() == 0
    with pytest.raises(NotFound):
        selectors.petition_published_get(p.code)
    services.petition_publish(petition=p, actor=world.leader_a, public_question="Phản ánh về thời gian trả kết quả",
                              public_answer="Đã làm việc với công dân và trả kết quả.")
    assert list(selectors.petitions_published(q="thoi gian tra ket qua")) == [p]
    assert list(selectors.petitions_published(q="binh")) == []  # the private text is not searchable publicly
    tracking = selectors.petition_track(p.code.lower())
    assert tracking.published and tracking.status == "published" and tracking.agency_name == "UBND xã An Phú"
    assert not hasattr(tracking, "content") and not hasattr(tracking, "contact_name")
    with pytest.raises(NotFound):
        selectors.petition_track("PAKN-000000-0000")


def test_assignee_candidates_are_the_agencys_handlers(world: World) -> None:
    p = submit(world)
    names = {u.username for u in selectors.assignee_candidates(p)}
    assert names == {"motcua_a", "chuyenvien_a", "lanhdao_a"}


# --- 766 indicators ------------------------------------------------------------------------------


def _period() -> dict[str, dt.date]:
    return {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}


def test_indicator_counts_per_agency_and_period(world: World) -> None:
    def make(title: str, **kwargs: object) -> Petition:
        return submit(world, title=title, **kwargs)  # type: ignore[arg-type]

    on_time = make("Đúng hạn", at=vn(2026, 3, 2))
    services.petition_answer(petition=on_time, actor=world.processor_a, answer="OK", publish=False,
                             at=vn(2026, 3, 10))
    late = make("Trễ hạn", at=vn(2026, 3, 2), topic=Topic.STAFF_CONDUCT)
    services.petition_answer(petition=late, actor=world.processor_a, answer="Muộn", publish=False,
                             at=vn(2026, 3, 25))
    disliked = make("Không hài lòng", at=vn(2026, 3, 3))
    services.petition_answer(petition=disliked, actor=world.processor_a, answer="Trả lời", publish=False,
                             at=vn(2026, 3, 4))
    services.petition_rate(petition=disliked, actor=world.citizen, value=RatingValue.DISLIKE)
    raised = make("Bị phản ánh lại", at=vn(2026, 3, 3), topic=Topic.OTHER)
    services.petition_answer(petition=raised, actor=world.processor_a, answer="Trả lời", publish=False,
                             at=vn(2026, 3, 4))
    follow_up = services.petition_reopen(petition=raised, actor=world.citizen, content="Chưa thỏa đáng",
                                         at=vn(2026, 3, 5))
    open_ok = make("Đang xử lý", at=vn(2026, 3, 20))
    make("Kỳ trước", at=vn(2026, 2, 2))
    make("Phường B", at=vn(2026, 3, 2), agency=world.ubnd_b)
    a = {"agency_ids": [world.ubnd_a.pk], "today": dt.date(2026, 4, 15)}
    # 5.1 over the 6 started in March at commune A; the follow-up takes the original's topic (other)
    assert selectors.indicator_petition_classification(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31),
                                                       agency_ids=[world.ubnd_a.pk]) == (3, 1, 6)
    # 5.2 as of 31/03: "late" answered after 17 working days; the follow-up (05/03) is still open after 18
    assert selectors.indicator_petition_on_time(**_period(), **a) == (4, 6)
    # 5.3: first receipts only (the follow-up is not new): late, disliked, raised are off
    assert selectors.indicator_petition_satisfaction(**_period(), **a) == (2, 5)
    detail = selectors.indicator_petition_satisfaction_breakdown(**_period(), **a)
    assert (detail.disliked, detail.late, detail.raised_again, detail.unsatisfied) == (1, 1, 1, 3)
    # while March runs (20/03): the late answer has not happened yet and 14 working days have passed
    assert selectors.indicator_petition_on_time(**_period(), agency_ids=[world.ubnd_a.pk],
                                                today=dt.date(2026, 3, 20)) == (6, 6)
    assert selectors.indicator_petition_on_time(**_period(), unit_ids=[world.commune_b.pk],
                                                today=dt.date(2026, 4, 15)) == (0, 1)
    assert selectors.indicator_petition_on_time(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30), **a) == (0, 0)
    assert follow_up.follow_up_of == raised and open_ok.is_open


def test_open_petitions_are_judged_at_period_end_or_today(world: World) -> None:
    p = submit(world, at=vn(2026, 3, 2))  # reply due 23/03
    assert selectors.indicator_petition_on_time(**_period(), today=dt.date(2026, 3, 10)) == (1, 1)
    assert selectors.indicator_petition_on_time(**_period(), today=dt.date(2026, 4, 15)) == (0, 1)
    services.petition_answer(petition=p, actor=world.processor_a, answer="x", publish=False, at=vn(2026, 4, 2))
    # answered after the period: at its end it was open and past 15 working days
    assert selectors.indicator_petition_on_time(**_period(), today=dt.date(2026, 4, 15)) == (0, 1)
    with pytest.raises(ValidationFailed):
        selectors.indicator_petition_on_time(start=dt.date(2026, 3, 31), end=dt.date(2026, 3, 1))


def test_a_transferred_petition_counts_for_the_agency_it_went_to(world: World) -> None:
    p = submit(world, at=vn(2026, 2, 20))
    services.petition_transfer(petition=p, actor=world.counter_a, to_agency=world.ubnd_b, reason="Thẩm quyền",
                               at=vn(2026, 3, 2))
    assert selectors.indicator_petition_on_time(**_period(), agency_ids=[world.ubnd_b.pk],
                                                today=dt.date(2026, 3, 10)) == (1, 1)
    assert selectors.indicator_petition_on_time(**_period(), agency_ids=[world.ubnd_a.pk]) == (0, 0)
    # 5.3 counts it where it is now, in the month it was first received
    assert selectors.indicator_petition_satisfaction(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28),
                                                     agency_ids=[world.ubnd_b.pk], today=dt.date(2026, 3, 3)) == (1, 1)


def test_rule_set_lookup(world: World) -> None:
    assert selectors.rule_set_in_force(dt.date(2026, 1, 1)).code == "QD766-2022"
    with pytest.raises(ValidationFailed) as exc:
        selectors.rule_set_in_force(dt.date(2020, 1, 1))
    assert exc.value.code == "no_rule_set"

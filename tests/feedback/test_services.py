"""Every PAKN transition and its errors: who may act, in which status, with what input; a refused
action changes nothing (row, events, ratings, attachments)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core import projectors
from chinhquyenso.core.errors import Conflict, PermissionDenied, ValidationFailed
from chinhquyenso.feedback import services
from chinhquyenso.feedback.models import (
    FeedbackRuleSet,
    Petition,
    PetitionEvent,
    PetitionStatus,
    RatingValue,
    Topic,
)
from chinhquyenso.feedback.services import ContactInput, RateLimited, UploadInput
from tests.feedback.conftest import TINY_PDF, World, make_dossier, snapshot, submit, vn

pytestmark = pytest.mark.django_db

TET_EVE = vn(2026, 2, 13, 10)


def answered(world: World, **kwargs: Any) -> Petition:
    p = submit(world, **kwargs)
    return services.petition_answer(petition=p, actor=world.processor_a, answer="Hồ sơ đã được trả kết quả.",
                                    at=vn(2026, 3, 5))


@pytest.fixture
def seen_events() -> Iterator[list[PetitionEvent]]:
    seen: list[PetitionEvent] = []
    projectors.register("petition", "test-recorder", seen.append)
    yield seen
    projectors.register("petition", "test-recorder", lambda e: None)


# --- Submission ----------------------------------------------------------------------------------


def test_citizen_submits_with_due_dates_over_tet(world: World, seen_events: list[PetitionEvent]) -> None:
    p = submit(world, at=TET_EVE)
    assert p.code == "PAKN-260213-0001"
    assert p.status == PetitionStatus.RECEIVED and p.version == 1
    assert p.submitter == world.citizen and p.agency == world.ubnd_a and p.unit == world.commune_a
    assert p.contact_name == "Nguyễn Thị Hoa" and p.contact_phone == "0912345678"  # from the account
    assert p.client_fingerprint == ""  # accounts are limited by account, not by address
    assert p.rule_set.code == "QD766-2022"
    assert p.refuse_due_at == vn(2026, 2, 24, 17)
    assert p.info_request_due_at == vn(2026, 2, 27, 17)
    assert p.reply_due_at == vn(2026, 3, 13, 17)
    event = p.events.get()
    assert (event.kind, event.to_status, event.seq, event.agency_id) == ("submitted", "received", 1, world.ubnd_a.pk)
    assert seen_events == [event]
    audit = AuditEvent.objects.filter(action="petition.submitted").get()
    assert audit.object_id == str(p.pk) and audit.summary["code"] == p.code
    assert submit(world, at=TET_EVE).code == "PAKN-260213-0002"


def test_anonymous_submission_needs_contact_and_stores_no_address(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(world, actor=None)
    assert exc.value.code == "contact_required"
    with pytest.raises(ValidationFailed):
        submit(world, actor=None, contact=ContactInput(name="Lê Văn C"))
    assert Petition.objects.count() == 0
    p = submit(world, actor=None, contact=ContactInput(name="Lê Văn C", phone="0901 234 567"), client_ip="10.1.2.3")
    assert p.submitter is None and p.anonymous and p.contact_phone == "0901234567"
    assert len(p.client_fingerprint) == 64 and "10.1.2.3" not in p.client_fingerprint


def test_a_failing_projector_rolls_the_submission_back(world: World) -> None:
    def boom(event: Any) -> None:
        raise RuntimeError("outbox down")

    projectors.register("petition", "test-boom", boom)
    try:
        with pytest.raises(RuntimeError):
            submit(world)
    finally:
        projectors.register("petition", "test-boom", lambda e: None)
    assert Petition.objects.count() == 0 and PetitionEvent.objects.count() == 0


@pytest.mark.parametrize(("overrides", "code"), [
    ({"title": "   "}, "required"),
    ({"content": ""}, "required"),
    ({"content": "x" * 8001}, "too_long"),
    ({"topic": "weather"}, "topic_invalid"),
    ({"agency": None}, "agency_required"),
    ({"contact": ContactInput(email="not-an-email")}, "email_invalid"),
    ({"contact": ContactInput(phone="12")}, "phone_invalid"),
    ({"uploads": [UploadInput(TINY_PDF, f"{i}.pdf") for i in range(6)]}, "too_many_files"),
])
def test_bad_submissions_change_nothing(world: World, overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        submit(world, **overrides)
    assert exc.value.code == code
    assert Petition.objects.count() == 0 and PetitionEvent.objects.count() == 0


def test_a_bad_file_rolls_everything_back(world: World) -> None:
    with pytest.raises(ValidationFailed):
        submit(world, uploads=[UploadInput(TINY_PDF, "ok.pdf"), UploadInput(b"MZ\x90\x00 not a pdf", "virus.pdf")])
    assert Petition.objects.count() == 0
    p = submit(world, uploads=[UploadInput(TINY_PDF, "giay-hen.pdf")])
    assert [a.name for a in p.attachments.all()] == ["giay-hen.pdf"]


def test_officers_and_closed_agencies_cannot_receive_submissions(world: World) -> None:
    with pytest.raises(PermissionDenied):
        submit(world, actor="processor_a")
    world.ubnd_b.valid_to = dt.date(2026, 1, 31)
    world.ubnd_b.save()
    with pytest.raises(ValidationFailed) as exc:
        submit(world, agency=world.ubnd_b)
    assert exc.value.code == "agency_inactive"


def test_a_dossier_fixes_agency_and_procedure_but_only_its_owner_may_name_it(world: World) -> None:
    own = make_dossier(world, citizen=world.citizen, agency=world.ubnd_b)
    p = submit(world, agency=None, dossier=own)
    assert (p.dossier, p.agency, p.procedure) == (own, world.ubnd_b, world.procedure)
    someone_elses = make_dossier(world, citizen=world.citizen2)
    with pytest.raises(ValidationFailed) as exc:
        submit(world, dossier=someone_elses)
    assert exc.value.code == "dossier_not_owned"
    with pytest.raises(ValidationFailed):
        submit(world, actor=None, contact=ContactInput(name="A", phone="0901234567"), dossier=own)


def test_rate_limit_per_address_and_per_account(world: World, settings: Any) -> None:
    settings.CHINHQUYENSO = {**settings.CHINHQUYENSO, "PETITION_ANONYMOUS_PER_HOUR": 2,
                             "PETITION_CITIZEN_PER_HOUR": 3}
    anon = {"actor": None, "contact": ContactInput(name="Lê C", phone="0901234567"), "client_ip": "10.0.0.9"}
    submit(world, at=vn(2026, 3, 2, 9), **anon)
    submit(world, at=vn(2026, 3, 2, 9, 30), **anon)
    with pytest.raises(RateLimited) as exc:
        submit(world, at=vn(2026, 3, 2, 9, 45), **anon)
    assert exc.value.status == 429
    submit(world, at=vn(2026, 3, 2, 9, 45), **{**anon, "client_ip": "10.0.0.10"})  # another address
    submit(world, at=vn(2026, 3, 2, 10, 1), **anon)  # the first one is more than an hour old
    for minute in (0, 10, 20):
        submit(world, at=vn(2026, 3, 2, 14, minute))
    with pytest.raises(RateLimited):
        submit(world, at=vn(2026, 3, 2, 14, 30))
    assert Petition.objects.filter(submitter=world.citizen).count() == 3


def test_no_rule_set_in_force_refuses_the_submission(world: World) -> None:
    FeedbackRuleSet.objects.all().delete()
    with pytest.raises(ValidationFailed) as exc:
        submit(world)
    assert exc.value.code == "no_rule_set"


# --- Rule sets -----------------------------------------------------------------------------------


def test_a_new_rule_set_closes_the_old_one_and_applies_from_its_date(world: World) -> None:
    new = services.rule_set_create(
        code="TEST-2026", name="Thời hạn mới", valid_from=dt.date(2026, 7, 1), reply_days=10, refuse_days=3,
        first_info_request_days=4, publish_days=1, in_progress_days=10, actor=world.province_admin,
    )
    old = FeedbackRuleSet.objects.get(code="QD766-2022")
    assert old.valid_to == dt.date(2026, 6, 30)
    before = submit(world, at=vn(2026, 6, 30, 9))
    after = submit(world, at=vn(2026, 7, 1, 9))
    assert before.rule_set == old and after.rule_set == new
    assert after.reply_due_at == vn(2026, 7, 15, 17)  # 10 working days
    with pytest.raises(Conflict):
        services.rule_set_create(code="TEST-OVERLAP", name="Trùng", valid_from=dt.date(2026, 7, 1), reply_days=1,
                                 refuse_days=1, first_info_request_days=1, publish_days=1, in_progress_days=1)
    with pytest.raises(PermissionDenied):
        services.rule_set_create(code="X", name="X", valid_from=dt.date(2027, 1, 1), reply_days=1, refuse_days=1,
                                 first_info_request_days=1, publish_days=1, in_progress_days=1,
                                 actor=world.leader_a)
    with pytest.raises(ValidationFailed):
        services.rule_set_create(code="Y", name="Y", valid_from=dt.date(2027, 1, 1), reply_days=0, refuse_days=1,
                                 first_info_request_days=1, publish_days=1, in_progress_days=1)


def test_the_766_rule_set_comes_from_the_data_migration(world: World) -> None:
    rules = FeedbackRuleSet.objects.get(code="QD766-2022")
    assert (rules.reply_days, rules.refuse_days, rules.first_info_request_days, rules.publish_days,
            rules.in_progress_days) == (15, 2, 5, 2, 15)
    assert rules.valid_from == dt.date(2022, 6, 23) and rules.valid_to is None


# --- Officer actions -----------------------------------------------------------------------------


def test_classify_starts_work_and_links_a_dossier_in_scope(world: World) -> None:
    p = submit(world)
    dossier = make_dossier(world, citizen=None)
    p = services.petition_classify(petition=p, actor=world.counter_a, classification=Topic.STAFF_CONDUCT,
                                   dossier=dossier, at=vn(2026, 3, 2, 10))
    assert p.status == PetitionStatus.IN_PROGRESS and p.classification == Topic.STAFF_CONDUCT
    assert (p.dossier, p.procedure, p.version) == (dossier, world.procedure, 2)
    event = p.events.order_by("-seq").first()
    assert event is not None and (event.kind, event.from_status, event.to_status) == ("classified", "received",
                                                                                     "in_progress")
    again = services.petition_classify(petition=p, actor=world.processor_a, classification=Topic.REGULATION)
    assert again.status == PetitionStatus.IN_PROGRESS and again.events.order_by("-seq")[0].to_status == ""


def test_classify_errors(world: World) -> None:
    p = submit(world)
    before = snapshot(p)
    other_dossier = make_dossier(world, citizen=None, agency=world.ubnd_b)
    with pytest.raises(ValidationFailed) as exc:
        services.petition_classify(petition=p, actor=world.counter_a, classification=Topic.REGULATION,
                                   dossier=other_dossier)
    assert exc.value.code == "dossier_out_of_scope"
    with pytest.raises(ValidationFailed):
        services.petition_classify(petition=p, actor=world.counter_a, classification="nonsense")
    for outsider in (world.leader_b, world.auditor_a, world.citizen, None):
        with pytest.raises(PermissionDenied):
            services.petition_classify(petition=p, actor=outsider, classification=Topic.REGULATION)
    assert snapshot(p) == before


def test_assign_to_a_handler_of_the_agency(world: World) -> None:
    p = submit(world)
    p = services.petition_assign(petition=p, actor=world.leader_a, assignee=world.processor_a, note="Xử lý gấp")
    assert p.assignee == world.processor_a and p.status == PetitionStatus.IN_PROGRESS
    before = snapshot(p)
    for wrong in (world.processor_b, world.citizen, world.auditor_a, None):
        with pytest.raises(ValidationFailed) as exc:
            services.petition_assign(petition=p, actor=world.leader_a, assignee=wrong)
        assert exc.value.code == "assignee_invalid"
    with pytest.raises(PermissionDenied):  # a processing officer does not dispatch
        services.petition_assign(petition=p, actor=world.processor_a, assignee=world.processor_a)
    assert snapshot(p) == before


def test_transfer_moves_the_petition_and_restarts_the_clock(world: World) -> None:
    p = submit(world, at=vn(2026, 3, 2))
    p = services.petition_assign(petition=p, actor=world.leader_a, assignee=world.processor_a, at=vn(2026, 3, 3))
    p = services.petition_transfer(petition=p, actor=world.counter_a, to_agency=world.ubnd_b,
                                   reason="Thuộc thẩm quyền phường Long Xuyên", at=vn(2026, 3, 20, 10))
    assert p.status == PetitionStatus.TRANSFERRED and p.agency == world.ubnd_b and p.unit == world.commune_b
    assert p.assignee is None and p.transfer_count == 1 and p.transferred_at == vn(2026, 3, 20, 10)
    assert p.clock_started_at == p.transferred_at
    assert p.reply_due_at == vn(2026, 4, 10, 17)
    event = p.events.get(kind="transferred")
    assert event.payload["from_agency"] == world.ubnd_a.code and event.agency == world.ubnd_b
    with pytest.raises(PermissionDenied):  # commune A lost it
        services.petition_classify(petition=p, actor=world.counter_a, classification=Topic.REGULATION)
    p = services.petition_classify(petition=p, actor=world.leader_b, classification=Topic.REGULATION)
    assert p.status == PetitionStatus.IN_PROGRESS


def test_transfer_errors(world: World) -> None:
    p = submit(world)
    before = snapshot(p)
    with pytest.raises(ValidationFailed) as exc:
        services.petition_transfer(petition=p, actor=world.counter_a, to_agency=world.ubnd_a, reason="Nhầm")
    assert exc.value.code == "same_agency"
    with pytest.raises(ValidationFailed):
        services.petition_transfer(petition=p, actor=world.counter_a, to_agency=world.ubnd_b, reason=" ")
    with pytest.raises(PermissionDenied):
        services.petition_transfer(petition=p, actor=world.processor_a, to_agency=world.ubnd_b, reason="Sai")
    assert snapshot(p) == before
    done = answered(world)
    with pytest.raises(Conflict) as conflict:
        services.petition_transfer(petition=done, actor=world.counter_a, to_agency=world.ubnd_b, reason="Muộn")
    assert conflict.value.code == "invalid_transition"


def test_information_request_and_supply(world: World) -> None:
    p = submit(world, at=vn(2026, 3, 2))
    p = services.petition_request_info(petition=p, actor=world.processor_a, message="Cho biết mã hồ sơ",
                                       at=vn(2026, 3, 4))
    assert p.status == PetitionStatus.INFO_REQUESTED and p.first_info_request_at == vn(2026, 3, 4)
    with pytest.raises(Conflict):  # already waiting for the citizen
        services.petition_request_info(petition=p, actor=world.processor_a, message="Lại nữa")
    with pytest.raises(PermissionDenied):
        services.petition_supply_info(petition=p, actor=world.citizen2, content="Không phải của tôi")
    with pytest.raises(ValidationFailed):
        services.petition_supply_info(petition=p, actor=world.citizen, content="")
    p = services.petition_supply_info(petition=p, actor=world.citizen, content="Mã hồ sơ H01.12-260302-0001",
                                      uploads=[UploadInput(TINY_PDF, "bien-nhan.pdf")], at=vn(2026, 3, 5))
    assert p.status == PetitionStatus.IN_PROGRESS and p.info_supplied_at == vn(2026, 3, 5)
    assert p.attachments.get().purpose == "info"
    p = services.petition_request_info(petition=p, actor=world.processor_a, message="Thêm ảnh giấy hẹn",
                                       at=vn(2026, 3, 9))
    assert p.first_info_request_at == vn(2026, 3, 4) and p.info_request_count == 2  # the first one counts
    p = services.petition_supply_info(petition=p, actor=world.counter_a, content="Công dân báo qua điện thoại")
    assert p.status == PetitionStatus.IN_PROGRESS


def test_after_a_transfer_the_new_agencys_first_request_counts(world: World) -> None:
    p = submit(world, at=vn(2026, 3, 2))
    p = services.petition_request_info(petition=p, actor=world.processor_a, message="?", at=vn(2026, 3, 3))
    p = services.petition_supply_info(petition=p, actor=world.citizen, content="!", at=vn(2026, 3, 4))
    p = services.petition_transfer(petition=p, actor=world.counter_a, to_agency=world.ubnd_b, reason="Thẩm quyền",
                                   at=vn(2026, 3, 5))
    p = services.petition_request_info(petition=p, actor=world.processor_b, message="??", at=vn(2026, 3, 6))
    assert p.first_info_request_at == vn(2026, 3, 6)


def test_refuse_then_nothing_more_but_raising_again(world: World) -> None:
    p = submit(world)
    with pytest.raises(ValidationFailed):
        services.petition_refuse(petition=p, actor=world.counter_a, reason="")
    with pytest.raises(PermissionDenied):  # refusing is for the one-stop desk and leaders
        services.petition_refuse(petition=p, actor=world.processor_a, reason="Không thuộc thẩm quyền")
    p = services.petition_refuse(petition=p, actor=world.counter_a, reason="Nội dung đã được trả lời tại PAKN khác",
                                 at=vn(2026, 3, 3))
    assert p.status == PetitionStatus.REFUSED and p.refused_at == vn(2026, 3, 3)
    for call in (
        lambda: services.petition_answer(petition=p, actor=world.processor_a, answer="x"),
        lambda: services.petition_publish(petition=p, actor=world.leader_a),
        lambda: services.petition_rate(petition=p, actor=world.citizen, value=RatingValue.LIKE),
    ):
        with pytest.raises(Conflict):
            call()
    follow_up = services.petition_reopen(petition=p, actor=world.citizen, content="Tôi chưa đồng ý")
    assert follow_up.follow_up_of == p


def test_answer_and_publish(world: World) -> None:
    p = submit(world, at=vn(2026, 3, 2))
    with pytest.raises(PermissionDenied):  # the one-stop desk does not answer
        services.petition_answer(petition=p, actor=world.counter_a, answer="Đã xử lý")
    with pytest.raises(ValidationFailed):
        services.petition_answer(petition=p, actor=world.processor_a, answer="  ")
    with pytest.raises(Conflict):
        services.petition_publish(petition=p, actor=world.leader_a)
    p = services.petition_answer(petition=p, actor=world.processor_a, answer="Đã trả kết quả cho ông Nguyễn Văn A.",
                                 uploads=[UploadInput(TINY_PDF, "tra-loi.pdf")], at=vn(2026, 3, 5, 10))
    assert p.status == PetitionStatus.ANSWERED and p.answered_by == world.processor_a and p.publish_intended
    assert p.publish_due_at == vn(2026, 3, 9, 17)
    assert p.attachments.get().purpose == "answer"
    with pytest.raises(PermissionDenied):  # leaders publish
        services.petition_publish(petition=p, actor=world.processor_a)
    p = services.petition_publish(petition=p, actor=world.leader_a, public_answer="Đã trả kết quả cho công dân.",
                                  at=vn(2026, 3, 6))
    assert p.status == PetitionStatus.PUBLISHED and p.published_at == vn(2026, 3, 6)
    assert p.public_question == p.title and p.public_answer == "Đã trả kết quả cho công dân."
    assert "nguyen van a" not in p.public_search_text and "cong dan" in p.public_search_text
    assert p.events.get(kind="published").payload == {"edited": True}


def test_answer_without_publication_has_no_publication_due(world: World) -> None:
    p = submit(world)
    p = services.petition_answer(petition=p, actor=world.leader_a, answer="Trả lời riêng", publish=False)
    assert not p.publish_intended and p.publish_due_at is None


def test_stale_version_is_a_conflict_and_changes_nothing(world: World) -> None:
    p = submit(world)
    services.petition_classify(petition=p, actor=world.counter_a, classification=Topic.REGULATION)
    before = snapshot(p)
    with pytest.raises(Conflict) as exc:
        services.petition_answer(petition=p, actor=world.processor_a, answer="x", expected_version=1)
    assert exc.value.code == "stale_version" and exc.value.details["current_version"] == 2
    assert snapshot(p) == before


# --- Submitter actions ---------------------------------------------------------------------------


def test_rating_once_by_the_submitter(world: World) -> None:
    p = answered(world)
    before = snapshot(p)
    with pytest.raises(PermissionDenied):
        services.petition_rate(petition=p, actor=world.citizen2, value=RatingValue.LIKE)
    with pytest.raises(PermissionDenied):
        services.petition_rate(petition=p, actor=world.leader_a, value=RatingValue.LIKE)
    with pytest.raises(ValidationFailed):
        services.petition_rate(petition=p, actor=world.citizen, value="meh")
    assert snapshot(p) == before
    rating = services.petition_rate(petition=p, actor=world.citizen, value=RatingValue.DISLIKE, comment="Chậm")
    assert rating.value == "dislike"
    p.refresh_from_db()
    assert (p.like_count, p.dislike_count) == (0, 1)
    with pytest.raises(Conflict) as exc:
        services.petition_rate(petition=p, actor=world.citizen, value=RatingValue.LIKE)
    assert exc.value.code == "already_rated"
    p.refresh_from_db()
    assert (p.like_count, p.dislike_count, p.ratings.count()) == (0, 1, 1)


def test_rating_needs_an_answer(world: World) -> None:
    p = submit(world)
    with pytest.raises(Conflict):
        services.petition_rate(petition=p, actor=world.citizen, value=RatingValue.LIKE)


def test_raising_again_creates_a_follow_up_once(world: World) -> None:
    p = answered(world)
    with pytest.raises(PermissionDenied):
        services.petition_reopen(petition=p, actor=world.citizen2, content="Tôi cũng vậy")
    with pytest.raises(ValidationFailed):
        services.petition_reopen(petition=p, actor=world.citizen, content="")
    follow_up = services.petition_reopen(petition=p, actor=world.citizen, content="Vẫn chưa nhận được kết quả",
                                         at=vn(2026, 3, 10))
    p.refresh_from_db()
    assert p.raised_again_at == vn(2026, 3, 10) and p.events.filter(kind="raised_again").count() == 1
    assert follow_up.follow_up_of == p and follow_up.status == PetitionStatus.RECEIVED
    assert follow_up.agency == p.agency and follow_up.title.startswith("Phản ánh lại: ")
    assert follow_up.reply_due_at == vn(2026, 3, 31, 17)
    with pytest.raises(Conflict) as exc:
        services.petition_reopen(petition=p, actor=world.citizen, content="Lần nữa")
    assert exc.value.code == "already_raised_again"
    with pytest.raises(Conflict):  # still being handled: nothing to raise again yet
        services.petition_reopen(petition=follow_up, actor=world.citizen, content="Sớm quá")


def test_events_are_append_only(world: World) -> None:
    event = submit(world).events.get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()

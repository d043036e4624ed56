"""Every transition of the dossier state machine, and every way an action can be refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core import projectors
from chinhquyenso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import (
    Channel,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierFeeStage,
    Status,
)
from tests.dossiers.conftest import (
    TINY_PDF,
    applicant,
    components_for,
    receive,
    snapshot,
    to_last_step,
    to_processing,
    vn,
)
from tests.dossiers.factories import Province, UserFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "089203001234"


def kinds(dossier: Dossier) -> list[str]:
    return list(DossierEvent.objects.filter(dossier=dossier).order_by("seq").values_list("kind", flat=True))


# --- Happy paths ---------------------------------------------------------------------------------


def test_receive_at_counter_starts_the_clock(world: Province) -> None:
    d = receive(world, at=vn(2026, 2, 12, 10))  # Thursday; Tết holidays 16–20/02/2026
    assert re.fullmatch(r"H01\.12-260212-\d{4}", d.code)
    assert d.code == "H01.12-260212-0001"
    assert d.status == Status.RECEIVED and d.channel == Channel.DIRECT and d.version == 1
    assert d.received_at == vn(2026, 2, 12, 10) and d.submitted_at == d.received_at
    assert d.due_at == vn(2026, 2, 26, 17) == d.original_due_at  # 5 working days, end of office hours
    assert d.current_step == world.steps[0] and d.process_version == world.process
    assert d.step_due_at == vn(2026, 2, 12, 16)  # half a working day = 4 h: 1.5 h before lunch + 2.5 h after
    assert d.unit == world.commune_a and d.receiving_agency == world.ubnd_a
    assert [(f.name, f.amount, f.stage) for f in d.fees.all()] == [
        ("Lệ phí đăng ký khai sinh", 8000, DossierFeeStage.AT_RECEIPT)]
    assert d.components.count() == 2
    event = DossierEvent.objects.get(dossier=d)
    assert (event.seq, event.kind, event.from_status, event.to_status) == (1, "received", None, Status.RECEIVED)
    assert event.actor == world.counter_a and event.step == world.steps[0]
    assert AuditEvent.objects.filter(action="dossier.received", object_id=str(d.pk)).count() == 1


def test_full_lifecycle_through_four_steps(world: Province) -> None:
    d = receive(world, at=vn(2026, 2, 12, 10))
    d = to_processing(world, d, at=vn(2026, 2, 12, 11))
    assert (d.status, d.current_step, d.assignee, d.version) == (Status.PROCESSING, world.steps[1],
                                                                  world.processor_a, 2)
    d = services.dossier_forward(dossier=d, actor=world.processor_a, note="Đủ điều kiện", at=vn(2026, 2, 13, 8))
    assert d.current_step == world.steps[2] and d.assignee is None
    d = services.dossier_forward(dossier=d, actor=world.leader_a, assignee=world.processor_a2,
                                 at=vn(2026, 2, 13, 9))  # step 3 allows "approve": approve and pass on
    assert d.current_step == world.steps[3] and d.assignee == world.processor_a2
    d = services.dossier_finish(dossier=d, actor=world.processor_a2, at=vn(2026, 2, 23, 9), results=[
        services.ResultInput(procedure_result=world.result, code="KS-01/2026", upload=services.UploadInput(
            TINY_PDF, "giay-khai-sinh.pdf"), signed=True)])
    assert d.status == Status.FINISHED and d.finished_at == vn(2026, 2, 23, 9) and d.current_step is None
    result = d.results.get()
    assert (result.name, result.code, result.signed, result.file is not None) == ("Giấy khai sinh", "KS-01/2026",
                                                                                  True, True)
    d = services.dossier_return_result(dossier=d, actor=world.counter_a, at=vn(2026, 2, 24, 8))
    assert d.status == Status.RETURNED and d.returned_at == vn(2026, 2, 24, 8) and d.version == 6
    assert kinds(d) == ["received", "forwarded", "forwarded", "forwarded", "finished", "result_returned"]
    assert list(DossierEvent.objects.filter(dossier=d).values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_online_submission_then_acceptance(world: Province) -> None:
    d = services.dossier_submit_online(
        actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a, applicant=applicant(),
        components=components_for(world), vneid_verified=True, at=vn(2026, 3, 2, 21))
    assert d.status == Status.NEW and d.channel == Channel.ONLINE and d.citizen == world.citizen
    assert d.due_at is None and d.received_at is None and d.current_step is None and d.fees.count() == 0
    assert d.vneid_verified and d.used_population_data
    assert d.code == "H01.12-260302-0001"
    d = services.dossier_accept_online(dossier=d, actor=world.counter_a, expected_version=1, at=vn(2026, 3, 3, 8))
    assert d.status == Status.RECEIVED and d.received_at == vn(2026, 3, 3, 8)
    assert d.due_at == vn(2026, 3, 10, 17)  # Tue 03/03 + 5 working days = Tue 10/03, end of office hours
    assert d.current_step == world.steps[0] and d.fees.count() == 1
    assert kinds(d) == ["submitted", "accepted"]


def test_refuse_online_and_before_processing(world: Province) -> None:
    online = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                            applicant=applicant(), components=components_for(world))
    online = services.dossier_refuse(dossier=online, actor=world.counter_a, reason="Sai thẩm quyền")
    assert online.status == Status.REFUSED and online.refused_at is not None
    d = receive(world)
    d = services.dossier_refuse(dossier=d, actor=world.counter_a, reason="Giấy tờ giả mạo", at=vn(2026, 2, 12, 11))
    assert d.status == Status.REFUSED and d.refused_at == vn(2026, 2, 12, 11) and d.current_step is None
    assert DossierEvent.objects.get(dossier=d, kind="refused").payload["form"] == "03"


def test_supplement_pauses_the_clock_and_moves_the_due_date(world: Province) -> None:
    d = to_processing(world, receive(world, at=vn(2026, 2, 12, 10)), at=vn(2026, 2, 12, 11))
    assert d.due_at == vn(2026, 2, 26, 17)
    d = services.dossier_request_supplement(dossier=d, actor=world.processor_a,
                                            reason="Thiếu giấy chứng sinh bản chính",
                                            items=["Giấy chứng sinh (bản chính)"], at=vn(2026, 2, 13, 9))
    assert d.status == Status.SUPPLEMENT_REQUESTED and d.clock_paused_at == vn(2026, 2, 13, 9)
    assert d.supplement_count == 1
    # Waiting: Fri 13/02 09:00–17:00 = 6 working hours, Tết 16–20/02, Mon 23/02 07:00–09:00 = 2 h → 8 h.
    d = services.dossier_receive_supplement(dossier=d, actor=world.counter_a, at=vn(2026, 2, 23, 9), components=[
        services.ComponentInput(name="Giấy chứng sinh (bản chính)", upload=services.UploadInput(TINY_PDF, "gcs.pdf"),
                                digitized=True)])
    assert d.status == Status.PROCESSING and d.clock_paused_at is None
    assert d.supplement_paused_seconds == 8 * 3600
    assert d.due_at == vn(2026, 2, 27, 17)  # one working day later
    assert d.original_due_at == vn(2026, 2, 26, 17)  # the 766 rule adds the pause itself
    supplement = d.supplements.get()
    assert (supplement.due_before, supplement.due_after, supplement.paused_seconds) == (
        vn(2026, 2, 26, 17), vn(2026, 2, 27, 17), 8 * 3600)
    assert supplement.components.count() == 1 and d.has_digitized


def test_second_supplement_is_counted(world: Province) -> None:
    d = to_processing(world, receive(world))
    for day in (13, 24):
        d = services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason="Thiếu",
                                                items=["Tờ khai"], at=vn(2026, 2, day, 9))
        d = services.dossier_receive_supplement(dossier=d, actor=world.counter_a, at=vn(2026, 2, day, 10))
    assert d.supplement_count == 2 and d.supplements.count() == 2


def test_supplement_requested_at_the_counter_step(world: Province) -> None:
    d = receive(world)
    d = services.dossier_request_supplement(dossier=d, actor=world.counter_a, reason="Thiếu",
                                            items=["Giấy chứng sinh"], at=vn(2026, 2, 12, 11))
    assert d.status == Status.SUPPLEMENT_REQUESTED


def test_forward_to_a_chosen_later_step_and_return_for_rework(world: Province) -> None:
    d = receive(world)
    d = services.dossier_forward(dossier=d, actor=world.counter_a, to_step=world.steps[1], at=vn(2026, 2, 12, 11))
    d = services.dossier_forward(dossier=d, actor=world.processor_a, to_step=world.steps[3], at=vn(2026, 2, 12, 14))
    assert d.current_step == world.steps[3]
    d = services.dossier_return_for_rework(dossier=d, actor=world.processor_a, reason="Sai họ tên",
                                           to_step=world.steps[1], at=vn(2026, 2, 12, 15))
    assert d.current_step == world.steps[1] and d.status == Status.PROCESSING
    d = services.dossier_forward(dossier=d, actor=world.processor_a, at=vn(2026, 2, 12, 16))
    d = services.dossier_return_for_rework(dossier=d, actor=world.leader_a, reason="Xem lại")
    assert d.current_step == world.steps[1]
    event = DossierEvent.objects.filter(dossier=d, kind="returned_for_rework").last()
    assert event is not None and event.payload["from_step"] == 3 and event.payload["to_step"] == 2


def test_consultation_blocks_finish_until_answered(world: Province) -> None:
    d = to_processing(world, receive(world))
    consultation = services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.so_tu_phap,
                                            question="Xác minh quốc tịch của cha?", at=vn(2026, 2, 12, 14))
    d = Dossier.objects.get(pk=d.pk)
    assert d.status == Status.PROCESSING and d.version == 3
    d = services.dossier_forward(dossier=d, actor=world.processor_a)
    d = services.dossier_forward(dossier=d, actor=world.leader_a)
    before = snapshot(d)
    with pytest.raises(Conflict) as exc:
        services.dossier_finish(dossier=d, actor=world.processor_a, results=[
            services.ResultInput(procedure_result=world.result)])
    assert exc.value.code == "consultations_open" and snapshot(d) == before
    with pytest.raises(PermissionDenied):  # another commune's officer cannot even see it
        services.dossier_consultation_answer(consultation=consultation, actor=world.processor_b, answer="Có")
    with pytest.raises(PermissionDenied):  # the handling commune's officer is not the consulted agency
        services.dossier_consultation_answer(consultation=consultation, actor=world.processor_a, answer="Có")
    answered = services.dossier_consultation_answer(consultation=consultation, actor=world.processor_stp,
                                                    answer="Quốc tịch Việt Nam", at=vn(2026, 2, 13, 9))
    assert answered.answered_by == world.processor_stp and answered.answered_at == vn(2026, 2, 13, 9)
    with pytest.raises(Conflict):
        services.dossier_consultation_answer(consultation=consultation, actor=world.processor_stp, answer="Lại")
    d = services.dossier_finish(dossier=d, actor=world.processor_a, results=[
        services.ResultInput(procedure_result=world.result)])
    assert d.status == Status.FINISHED
    assert "consultation_requested" in kinds(d) and "consultation_answered" in kinds(d)


def test_consulting_the_same_agency_twice_or_itself_is_refused(world: Province) -> None:
    d = to_processing(world, receive(world))
    services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.so_tu_phap, question="?")
    with pytest.raises(Conflict):
        services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.so_tu_phap, question="Lần 2?")
    with pytest.raises(ValidationFailed):
        services.dossier_consult(dossier=d, actor=world.processor_a, agency=world.ubnd_a, question="?")


def test_payment_required_then_fulfilled(world: Province) -> None:
    d = to_processing(world, receive(world))
    d = services.dossier_require_payment(dossier=d, actor=world.processor_a, reason="Thuế trước bạ",
                                         fees=[services.FeeInput(name="Lệ phí trước bạ", amount=1_250_000)])
    assert d.status == Status.PAYMENT_REQUIRED
    assert d.fees.filter(stage=DossierFeeStage.OBLIGATION, paid_at__isnull=True).count() == 1
    d = services.dossier_payment_fulfilled(dossier=d, actor=world.counter_a, paid_online=2, reference="VQR-1")
    assert d.status == Status.PROCESSING and d.paid_online == 2
    assert d.fees.filter(stage=DossierFeeStage.OBLIGATION, paid_at__isnull=True).count() == 0


def test_payment_callback_as_system(world: Province) -> None:
    d = to_processing(world, receive(world))
    d = services.dossier_require_payment(dossier=d, actor=world.processor_a,
                                         fees=[services.FeeInput(name="Phí", amount=50_000)])
    d = services.dossier_payment_fulfilled(dossier=d, actor=None, paid_online=1)
    assert d.status == Status.PROCESSING and DossierEvent.objects.filter(dossier=d).last().actor_label == "Hệ thống"


def test_stop_ends_processing(world: Province) -> None:
    d = to_processing(world, receive(world))
    d = services.dossier_stop(dossier=d, actor=world.processor_a, reason="Có tranh chấp", at=vn(2026, 2, 13, 10))
    assert d.status == Status.STOPPED and d.stopped_at == vn(2026, 2, 13, 10) and d.current_step is None
    with pytest.raises(Conflict):
        services.dossier_forward(dossier=d, actor=world.processor_a)


def test_withdraw_at_the_counter_and_by_the_online_owner(world: Province) -> None:
    d = to_processing(world, receive(world))
    d = services.dossier_withdraw(dossier=d, actor=world.counter_a, reason="Công dân xin rút", at=vn(2026, 2, 13))
    assert d.status == Status.WITHDRAWN and d.withdrawn_at == vn(2026, 2, 13)
    online = services.dossier_submit_online(actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a,
                                            applicant=applicant(), components=components_for(world))
    online = services.dossier_withdraw(dossier=online, actor=world.citizen, reason="Nộp nhầm")
    assert online.status == Status.WITHDRAWN
    assert DossierEvent.objects.get(dossier=online, kind="withdrawn").payload["by_owner"] is True


def test_a_citizen_cannot_act_on_someone_elses_dossier(world: Province) -> None:
    d = receive(world)
    with pytest.raises(PermissionDenied):
        services.dossier_withdraw(dossier=d, actor=world.citizen, reason="?")


def test_apologize_and_extend(world: Province) -> None:
    d = to_processing(world, receive(world))
    d = services.dossier_apologize_extend(dossier=d, actor=world.processor_a, new_due_at=vn(2026, 3, 3, 17),
                                          reason="Chờ xác minh")
    assert d.due_at == vn(2026, 3, 3, 17) and d.original_due_at == vn(2026, 2, 26, 17)
    assert d.extension_count == 1 and d.status == Status.PROCESSING
    before = snapshot(d)
    with pytest.raises(ValidationFailed):
        services.dossier_apologize_extend(dossier=d, actor=world.processor_a, new_due_at=vn(2026, 3, 2, 17),
                                          reason="Sớm hơn")
    assert snapshot(d) == before


def test_mark_digitized(world: Province) -> None:
    d = receive(world)
    component = d.components.first()
    assert component is not None and not d.has_digitized
    d = services.dossier_mark_digitized(dossier=d, actor=world.counter_a, component=component,
                                        upload=services.UploadInput(TINY_PDF, "to-khai.pdf"), at=vn(2026, 2, 12, 10, 5))
    component.refresh_from_db()
    assert component.digitized and component.digitized_by == world.counter_a
    assert component.digitized_at == vn(2026, 2, 12, 10, 5) and component.file is not None and d.has_digitized
    with pytest.raises(Conflict):
        services.dossier_mark_digitized(dossier=d, actor=world.counter_a, component=component,
                                        upload=services.UploadInput(TINY_PDF, "to-khai.pdf"))


def test_digitized_components_at_receipt_flag_the_dossier(world: Province) -> None:
    d = receive(world, components=components_for(world, digitized=True, upload=services.UploadInput(TINY_PDF, "a.pdf")))
    assert d.has_digitized
    row = d.components.get(digitized=True)
    assert row.digitized_by == world.counter_a and row.file is not None


# --- Refusals: nothing changes -------------------------------------------------------------------


def test_invalid_transition_changes_nothing(world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    with pytest.raises(Conflict) as exc:
        services.dossier_return_result(dossier=d, actor=world.counter_a)
    assert exc.value.code == "invalid_transition" and "Trả kết quả" in exc.value.message
    with pytest.raises(Conflict):
        services.dossier_receive_supplement(dossier=d, actor=world.counter_a)
    assert snapshot(d) == before


def test_refuse_after_processing_started_is_invalid(world: Province) -> None:
    d = to_processing(world, receive(world))
    before = snapshot(d)
    with pytest.raises(Conflict):
        services.dossier_refuse(dossier=d, actor=world.counter_a, reason="Muộn rồi")
    assert snapshot(d) == before


def test_wrong_role_for_the_step(world: Province) -> None:
    d = receive(world)  # step 1 belongs to the one-stop officer
    before = snapshot(d)
    with pytest.raises(PermissionDenied) as exc:
        services.dossier_forward(dossier=d, actor=world.processor_a)
    assert exc.value.code == "role_required"
    d = to_processing(world, d)
    with pytest.raises(PermissionDenied):  # step 2 belongs to processing officers, not the leader
        services.dossier_forward(dossier=d, actor=world.leader_a)
    with pytest.raises(PermissionDenied):  # counter work needs the one-stop role
        services.dossier_withdraw(dossier=d, actor=world.auditor_a, reason="?")
    assert snapshot(d)["events"] == before["events"] + 1


def test_action_not_allowed_at_the_step(world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    with pytest.raises(Conflict) as exc:
        services.dossier_stop(dossier=d, actor=world.counter_a, reason="?")  # step 1 has no "stop"
    assert exc.value.code == "action_not_allowed_at_step"
    assert snapshot(d) == before
    d = to_last_step(world, d)
    with pytest.raises(Conflict):
        services.dossier_require_payment(dossier=d, actor=world.processor_a,
                                         fees=[services.FeeInput(name="Phí", amount=1)])
    with pytest.raises(Conflict) as exc:
        services.dossier_forward(dossier=d, actor=world.processor_a)  # last step: finish, do not forward
    assert exc.value.code == "action_not_allowed_at_step"


def test_stale_expected_version_is_a_conflict(world: Province) -> None:
    d = receive(world)
    to_processing(world, d)  # somebody else moved it to version 2
    before = snapshot(d)
    with pytest.raises(Conflict) as exc:
        services.dossier_stop(dossier=d, actor=world.processor_a, reason="Dừng", expected_version=1)
    assert exc.value.code == "stale_version" and exc.value.status == 409
    assert exc.value.details == {"current_version": 2, "expected_version": 1}
    assert snapshot(d) == before
    d = services.dossier_stop(dossier=d, actor=world.processor_a, reason="Dừng", expected_version=2)
    assert d.version == 3


def test_out_of_scope_officer_is_refused(world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    with pytest.raises(PermissionDenied) as exc:
        services.dossier_forward(dossier=d, actor=world.counter_b)
    assert exc.value.code == "out_of_scope"
    assert snapshot(d) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(world: Province, reason: str) -> None:
    d = to_processing(world, receive(world))
    before = snapshot(d)
    for call in (
        lambda: services.dossier_stop(dossier=d, actor=world.processor_a, reason=reason),
        lambda: services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason=reason, items=["x"]),
        lambda: services.dossier_return_for_rework(dossier=d, actor=world.processor_a, reason=reason),
        lambda: services.dossier_withdraw(dossier=d, actor=world.counter_a, reason=reason),
    ):
        with pytest.raises(ValidationFailed):
            call()
    with pytest.raises(ValidationFailed):
        services.dossier_request_supplement(dossier=d, actor=world.processor_a, reason="Thiếu", items=["", " "])
    assert snapshot(d) == before


def test_bad_forward_targets(world: Province) -> None:
    d = to_processing(world, receive(world))
    before = snapshot(d)
    with pytest.raises(ValidationFailed):  # backwards is not forward
        services.dossier_forward(dossier=d, actor=world.processor_a, to_step=world.steps[0])
    with pytest.raises(ValidationFailed):  # a counter officer cannot be given the leader's step
        services.dossier_forward(dossier=d, actor=world.processor_a, assignee=world.counter_a)
    with pytest.raises(ValidationFailed):  # another commune's officer cannot be assigned
        services.dossier_forward(dossier=d, actor=world.processor_a, to_step=world.steps[3],
                                 assignee=world.processor_b)
    assert snapshot(d) == before


def test_finish_needs_results(world: Province) -> None:
    d = to_last_step(world, receive(world))
    before = snapshot(d)
    with pytest.raises(ValidationFailed):
        services.dossier_finish(dossier=d, actor=world.processor_a, results=[])
    with pytest.raises(ValidationFailed):  # a broken file is refused and nothing is written
        services.dossier_finish(dossier=d, actor=world.processor_a, results=[
            services.ResultInput(procedure_result=world.result, upload=services.UploadInput(b"%PDF-1.4 cut", "k.pdf"))])
    assert snapshot(d) == before


def test_require_payment_validates_amounts(world: Province) -> None:
    d = to_processing(world, receive(world))
    before = snapshot(d)
    for fees in ([], [services.FeeInput(name="Phí", amount=0)], [services.FeeInput(name="", amount=10)]):
        with pytest.raises(ValidationFailed):
            services.dossier_require_payment(dossier=d, actor=world.processor_a, fees=fees)
    assert snapshot(d) == before


def _counts() -> dict[str, int]:
    return {"dossiers": Dossier.objects.count(), "counters": DossierCodeCounter.objects.count(),
            "events": DossierEvent.objects.count(), "audit": AuditEvent.objects.count()}


@pytest.mark.parametrize("case", ["missing_component", "bad_id", "bad_email", "wrong_agency", "no_name", "bad_file",
                                  "foreign_component"])
def test_bad_receipt_writes_nothing(world: Province, case: str) -> None:
    before = _counts()
    kwargs: dict[str, Any] = {}
    if case == "missing_component":
        kwargs["components"] = components_for(world)[:1]
    elif case == "bad_id":
        kwargs["applicant"] = applicant(id_number="12345")
    elif case == "bad_email":
        kwargs["applicant"] = applicant(email="khong-phai-email")
    elif case == "no_name":
        kwargs["applicant"] = applicant(name="  ")
    elif case == "bad_file":
        kwargs["components"] = components_for(world, upload=services.UploadInput(b"not a pdf", "a.pdf"))
    elif case == "foreign_component":
        from tests.dossiers.factories import ProcedureComponentFactory

        other = ProcedureComponentFactory()
        kwargs["components"] = [*components_for(world), services.ComponentInput(procedure_component=other)]
        before = _counts()
    with pytest.raises(ValidationFailed):
        if case == "wrong_agency":  # a commune procedure cannot be handled by a provincial department
            services.dossier_receive(actor=world.counter_a, procedure=world.procedure, agency=world.so_tu_phap,
                                     receiving_agency=world.ubnd_a, applicant=applicant(),
                                     components=components_for(world))
        else:
            receive(world, **kwargs)
    assert _counts() == before


def test_receipt_needs_the_one_stop_role_at_the_receiving_agency(world: Province) -> None:
    before = _counts()
    with pytest.raises(PermissionDenied):
        receive(world, actor=world.processor_a)
    with pytest.raises(PermissionDenied):
        receive(world, actor=world.counter_b)
    assert _counts() == before


def test_receipt_at_the_service_centre_for_another_agency(world: Province) -> None:
    from tests.dossiers.factories import officer

    clerk = officer("motcua_ttpvhcc", "one_stop_officer", world.centre)
    d = services.dossier_receive(actor=clerk, procedure=world.procedure, agency=world.ubnd_b,
                                 receiving_agency=world.centre, applicant=applicant(),
                                 components=components_for(world), at=vn(2026, 2, 12, 10))
    assert d.code.startswith("H01.13-260212-") and d.receiving_agency == world.centre and d.unit == world.commune_b


def test_a_failing_projector_rolls_everything_back(world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    audit_before = AuditEvent.objects.count()

    def boom(event: Any) -> None:
        raise RuntimeError("outbox down")

    projectors.register("dossier", "test.boom", boom)
    try:
        with pytest.raises(RuntimeError):
            to_processing(world, d)
    finally:
        entries = projectors._projectors["dossier"]
        entries[:] = [(n, p) for n, p in entries if n != "test.boom"]
    assert snapshot(d) == before and AuditEvent.objects.count() == audit_before


def test_projectors_see_each_event_inside_the_transaction(world: Province) -> None:
    seen: list[tuple[str, int, int]] = []

    def spy(event: Any) -> None:
        seen.append((event.kind, event.seq, event.dossier.status))

    projectors.register("dossier", "test.spy", spy)
    try:
        d = to_processing(world, receive(world))
    finally:
        entries = projectors._projectors["dossier"]
        entries[:] = [(n, p) for n, p in entries if n != "test.spy"]
    assert seen == [("received", 1, Status.RECEIVED), ("forwarded", 2, Status.PROCESSING)]
    assert d.status == Status.PROCESSING


def test_id_number_never_in_events_or_audit(world: Province) -> None:
    d = to_processing(world, receive(world))
    services.dossier_stop(dossier=d, actor=world.processor_a, reason=f"Trùng CCCD {ID_NUMBER} với hồ sơ khác")
    payloads = json.dumps(list(DossierEvent.objects.filter(dossier=d).values_list("payload", flat=True)),
                          ensure_ascii=False)
    audits = json.dumps(list(AuditEvent.objects.values_list("summary", flat=True)), ensure_ascii=False)
    assert ID_NUMBER not in payloads and ID_NUMBER not in audits
    assert Dossier.objects.get(pk=d.pk).applicant_id_number == ID_NUMBER


def test_events_are_append_only(world: Province) -> None:
    d = receive(world)
    event = DossierEvent.objects.get(dossier=d)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_unknown_dossier(world: Province) -> None:
    ghost = Dossier(pk=999_999)
    with pytest.raises(NotFound):
        services.dossier_stop(dossier=ghost, actor=world.processor_a, reason="?")


def test_link_citizen_gives_a_counter_dossier_its_owner_once(world: Province) -> None:
    d = receive(world, at=vn(2026, 2, 12, 10))
    d = services.dossier_link_citizen(dossier=d, citizen=world.citizen, actor=world.counter_a,
                                      reason="Công dân đồng ý tại quầy", at=vn(2026, 2, 12, 10, 5))
    assert d.citizen == world.citizen and d.version == 2
    assert kinds(d) == ["received", "citizen_linked"]
    same = services.dossier_link_citizen(dossier=d, citizen=world.citizen, actor=world.counter_a, reason="lại")
    assert same.version == 2  # nothing changed
    before = snapshot(d)
    with pytest.raises(ValidationFailed):
        services.dossier_link_citizen(dossier=d, citizen=world.counter_a, actor=world.counter_a, reason="x")
    other = UserFactory(username="congdan_khac", is_citizen=True)
    with pytest.raises(Conflict):
        services.dossier_link_citizen(dossier=d, citizen=other, actor=world.counter_a, reason="x")
    assert snapshot(d) == before

"""Upsert, process versioning and the invariants that keep dossiers safe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.procedures.models import (
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    ProcessStep,
    ProcessVersion,
)
from chinhquyenso.procedures.schemas import ProcedureIn
from chinhquyenso.procedures.selectors import procedure_active_process
from chinhquyenso.procedures.services import procedure_upsert, process_version_create

pytestmark = pytest.mark.django_db


def test_upsert_creates_procedure_with_children_and_audit(procedure_data, agencies):
    procedure = procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    assert procedure.code == "9.000001"
    assert list(procedure.handling_agencies.all()) == [agencies["tu_phap"]]
    assert [c.code for c in procedure.components.all()] == ["TK", "CCCD"]
    assert procedure.components.get(code="CCCD").reusable is True
    assert procedure.fees.get().amount == 50000
    version = procedure.process_versions.get()
    assert version.version == 1 and version.valid_from == dt.date(2025, 7, 1)
    assert [s.order for s in version.steps.all()] == [1, 2, 3, 4]
    assert AuditEvent.objects.filter(action="procedure.created", object_id=str(procedure.pk)).exists()


def test_upsert_same_data_twice_changes_nothing(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    audit_count = AuditEvent.objects.count()
    component_ids = list(ProcedureComponent.objects.values_list("id", flat=True))
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    assert AuditEvent.objects.count() == audit_count
    assert list(ProcedureComponent.objects.values_list("id", flat=True)) == component_ids
    assert ProcessVersion.objects.count() == 1


def test_update_keeps_child_ids_and_removes_dropped_children(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    tk_id = ProcedureComponent.objects.get(code="TK").id
    data = procedure_data(components=[{"code": "TK", "name": "Tờ khai (mẫu mới)", "count": 2}])
    procedure = procedure_upsert(data=ProcedureIn.model_validate(data))
    component = procedure.components.get()
    assert component.id == tk_id and component.name == "Tờ khai (mẫu mới)" and component.count == 2
    event = AuditEvent.objects.filter(action="procedure.updated").latest("seq")
    assert "components" in event.summary["changed"]


def test_changed_process_creates_new_version_and_leaves_old_intact(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    old = ProcessVersion.objects.get()
    old_steps = list(old.steps.values_list("code", "duration_amount"))
    data = procedure_data()
    data["process"]["valid_from"] = "2026-01-01"
    data["process"]["steps"][1]["duration_amount"] = "1"
    data["process"]["steps"][2]["duration_amount"] = "1"
    procedure = procedure_upsert(data=ProcedureIn.model_validate(data))
    versions = list(procedure.process_versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert list(versions[0].steps.values_list("code", "duration_amount")) == old_steps
    assert versions[1].steps.get(code="XL").duration_amount == Decimal("1.00")
    assert procedure_active_process(procedure, dt.date(2025, 12, 31)).version == 1
    assert procedure_active_process(procedure, dt.date(2026, 1, 1)).version == 2


def test_new_process_cannot_start_before_the_current_one(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    data = procedure_data()
    data["process"]["valid_from"] = "2025-01-01"
    data["process"]["steps"][0]["name"] = "Tiếp nhận hồ sơ"
    with pytest.raises(ValidationFailed, match="01/07/2025"):
        procedure_upsert(data=ProcedureIn.model_validate(data))
    assert ProcessVersion.objects.count() == 1


def test_time_limit_change_without_new_process_is_refused(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    data = procedure_data(time_limit_amount="5", process=None)
    with pytest.raises(ValidationFailed, match="quy trình"):
        procedure_upsert(data=ProcedureIn.model_validate(data))
    assert Procedure.objects.get().time_limit_amount == Decimal("3.00")


def test_unknown_agency_is_refused_and_nothing_written(procedure_data, agencies):
    data = procedure_data(handling_agencies=["Sở Không Tồn Tại"])
    with pytest.raises(ValidationFailed) as info:
        procedure_upsert(data=ProcedureIn.model_validate(data))
    assert "Sở Không Tồn Tại" in info.value.message
    assert not Procedure.objects.exists()


def test_agency_is_found_by_code_or_full_name(procedure_data, agencies):
    data = procedure_data(handling_agencies=["H01.05", "sở tư pháp tỉnh an giang"])
    procedure = procedure_upsert(data=ProcedureIn.model_validate(data))
    assert set(procedure.handling_agencies.all()) == {agencies["tu_phap"], agencies["xay_dung"]}


def test_process_version_create_checks_the_sum(procedure_data, agencies):
    procedure = procedure_upsert(data=ProcedureIn.model_validate(procedure_data(process=None)))
    steps = [
        {"code": "A", "name": "Tiếp nhận", "role": "one_stop_officer", "duration_amount": "1",
         "allowed_actions": ["forward"]},
        {"code": "B", "name": "Trả", "role": "one_stop_officer", "duration_amount": "1",
         "allowed_actions": ["finish"]},
    ]
    with pytest.raises(ValidationFailed, match="Tổng thời gian"):
        process_version_create(procedure=procedure, steps=steps, valid_from=dt.date(2025, 7, 1))
    steps[1]["duration_amount"] = "2"
    version = process_version_create(procedure=procedure, steps=steps, valid_from=dt.date(2025, 7, 1))
    assert version.version == 1
    assert ProcessStep.objects.filter(process=version).count() == 2


def test_fee_with_new_start_date_is_a_new_row(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    data = procedure_data(fees=[
        {"code": "LP", "name": "Lệ phí", "amount": 50000, "valid_to": "2026-01-01"},
        {"code": "LP", "name": "Lệ phí", "amount": 60000, "valid_from": "2026-01-01"},
    ])
    procedure_upsert(data=ProcedureIn.model_validate(data))
    fees = list(ProcedureFee.objects.order_by("valid_from").values_list("amount", "valid_to"))
    assert fees == [(50000, dt.date(2026, 1, 1)), (60000, None)]

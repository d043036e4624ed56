"""Search, fees on a date, the process in force, completeness of the public components."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.procedures.models import Procedure, ProcedureComponent, ProcedureFee, ProcedureStatus
from chinhquyenso.procedures.schemas import ProcedureIn
from chinhquyenso.procedures.selectors import (
    procedure_active_process,
    procedure_fees_on,
    procedure_get,
    procedure_search,
    procedures_incomplete,
)
from chinhquyenso.procedures.services import procedure_upsert

pytestmark = pytest.mark.django_db


def test_search_ignores_diacritics_and_case(demo):
    codes = [p.code for p in procedure_search(q="dang ky khai sinh")]
    assert "1.001193" in codes
    upper = procedure_search(q="DANG KY khai sinh")
    assert upper.exists() and all("dang ky" in p.search_text and "khai sinh" in p.search_text for p in upper)
    assert [p.code for p in procedure_search(q="Đăng ký khai sinh")] == codes
    assert [p.code for p in procedure_search(q="1.001193")] == ["1.001193"]
    assert procedure_search(q="khong co thu tuc nay").count() == 0


def test_search_filters_by_field_level_and_service_level(demo):
    hotich = procedure_search(field="HO_TICH")
    assert hotich.count() >= 10 and all(p.field.code == "HO_TICH" for p in hotich)
    province = procedure_search(level="province")
    assert province.count() >= 5 and all(p.level == "province" for p in province)
    online = procedure_search(service_level="full_online", level="commune")
    assert online.exists() and all(p.service_level == "full_online" and p.level == "commune" for p in online)
    with pytest.raises(ValidationFailed):
        procedure_search(level="district")


def test_search_hides_drafts_and_abolished(procedure_data, agencies):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data(status="draft")))
    assert not procedure_search(q="thu nghiem").exists()
    assert procedure_search(q="thu nghiem", include_hidden=True).exists()
    with pytest.raises(NotFound):
        procedure_get("9.000001")


def test_fees_on_respect_validity_and_exemption(procedure_data, agencies):
    data = procedure_data(fees=[
        {"code": "LP", "name": "Lệ phí cũ", "amount": 50000, "valid_to": "2026-01-01"},
        {"code": "LP", "name": "Lệ phí mới", "amount": 60000, "valid_from": "2026-01-01"},
        {"code": "PHI", "name": "Phí thẩm định", "amount": 100000, "exempt_applicant_types": ["người nước ngoài"]},
    ])
    procedure = procedure_upsert(data=ProcedureIn.model_validate(data))

    def amounts(on: dt.date, who: str | None) -> list[int]:
        return sorted(f.amount for f in procedure_fees_on(procedure, on, who))

    assert amounts(dt.date(2025, 12, 31), "citizen") == [50000, 100000]
    assert amounts(dt.date(2026, 1, 1), "citizen") == [60000, 100000]  # valid_to is exclusive
    assert amounts(dt.date(2026, 1, 1), "foreigner") == [60000]
    assert amounts(dt.date(2026, 1, 1), None) == [60000, 100000]
    assert ProcedureFee.objects.get(code="PHI").exempt_applicant_types == ["foreigner"]


def test_active_process_before_any_version_is_not_found(procedure_data, agencies):
    procedure = procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    with pytest.raises(NotFound, match="30/06/2025"):
        procedure_active_process(procedure, dt.date(2025, 6, 30))
    version = procedure_active_process(procedure, dt.date(2025, 7, 1))
    assert [s.code for s in version.steps.all()] == ["TN", "XL", "KY", "TKQ"]


def test_incomplete_lists_each_missing_component(procedure_data, agencies):
    complete = procedure_upsert(data=ProcedureIn.model_validate(procedure_data()))
    partial = procedure_upsert(data=ProcedureIn.model_validate(procedure_data(
        code="9.000002", steps_text="", submission_methods_text="", applicants_text="", applicant_types=[],
        agencies_text="", handling_agencies=[], components=[], process=None,
    )))
    abolished = procedure_upsert(data=ProcedureIn.model_validate(procedure_data(
        code="9.000003", steps_text="", status="abolished", process=None)))
    rows = dict(procedures_incomplete())
    assert complete not in rows and abolished not in rows
    assert rows[partial] == ["Trình tự thực hiện", "Cách thức thực hiện", "Thành phần, số lượng hồ sơ",
                             "Đối tượng thực hiện", "Cơ quan thực hiện"]
    ProcedureComponent.objects.create(procedure=partial, code="X", name="Giấy tờ")
    assert "Thành phần, số lượng hồ sơ" not in dict(procedures_incomplete())[partial]


def test_procedures_check_command(procedure_data, agencies, capsys):
    procedure_upsert(data=ProcedureIn.model_validate(procedure_data(code="9.000002", steps_text="", process=None)))
    call_command("procedures_check")
    out = capsys.readouterr().out
    assert "9.000002" in out and "Trình tự thực hiện" in out
    with pytest.raises(SystemExit):
        call_command("procedures_check", "--fail")
    Procedure.objects.update(status=ProcedureStatus.ABOLISHED)
    call_command("procedures_check", "--fail")
    assert "đủ 7 thành phần" in capsys.readouterr().out

"""Fixtures for the TTHC catalog tests: a valid procedure as input data, agencies, the demo."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from chinhquyenso.procedures.services import procedures_load_demo
from chinhquyenso.units.models import Agency, AgencyKind, Unit, UnitLevel

BASE_PROCEDURE: dict[str, Any] = {
    "code": "9.000001",
    "name": "Thủ tục đăng ký thử nghiệm",
    "field_code": "THU_NGHIEM",
    "field_name": "Thử nghiệm",
    "level": "province",
    "service_level": "partial_online",
    "time_limit_amount": "3",
    "time_limit_unit": "working_day",
    "time_limit_text": "03 ngày làm việc",
    "applicant_types": ["citizen"],
    "steps_text": "Bước 1: nộp hồ sơ. Bước 2: nhận kết quả.",
    "submission_methods_text": "Trực tiếp hoặc trực tuyến.",
    "applicants_text": "Cá nhân",
    "agencies_text": "Sở Tư pháp",
    "handling_agencies": ["Sở Tư pháp"],
    "components": [
        {"code": "TK", "name": "Tờ khai"},
        {"code": "CCCD", "name": "Căn cước", "reusable": True, "document_type": "cccd"},
    ],
    "fees": [{"code": "LP", "name": "Lệ phí", "amount": 50000, "exempt_applicant_types": ["foreigner"]}],
    "results": [{"code": "KQ", "name": "Giấy chứng nhận", "document_type": "giay_chung_nhan"}],
    "legal_bases": [{"document": "Luật Thử nghiệm 2025", "effective_from": "2025-07-01"}],
    "process": {
        "valid_from": "2025-07-01",
        "steps": [
            {"code": "TN", "name": "Tiếp nhận", "role": "one_stop_officer", "duration_amount": "0.5",
             "allowed_actions": ["forward"]},
            {"code": "XL", "name": "Xử lý", "role": "processing_officer", "duration_amount": "1.5",
             "allowed_actions": ["forward", "return", "request_supplement"]},
            {"code": "KY", "name": "Ký", "role": "leader", "duration_amount": "0.5",
             "allowed_actions": ["approve", "sign", "return"]},
            {"code": "TKQ", "name": "Trả kết quả", "role": "one_stop_officer", "duration_amount": "0.5",
             "allowed_actions": ["finish"]},
        ],
    },
}


@pytest.fixture
def procedure_data() -> Callable[..., dict[str, Any]]:
    """A fresh, valid ProcedureIn payload; keyword arguments override top-level keys."""

    def make(**overrides: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASE_PROCEDURE)
        data.update(overrides)
        return data

    return make


@pytest.fixture
def agencies(db: Any) -> dict[str, Agency]:
    province = Unit.objects.create(code="91", name="An Giang", kind="Tỉnh", level=UnitLevel.PROVINCE)
    return {
        "tu_phap": Agency.objects.create(code="H01.04", portal_code="H01.04", name="Sở Tư pháp tỉnh An Giang",
                                         short_name="Sở Tư pháp", kind=AgencyKind.DEPARTMENT, unit=province),
        "xay_dung": Agency.objects.create(code="H01.05", portal_code="H01.05", name="Sở Xây dựng tỉnh An Giang",
                                          short_name="Sở Xây dựng", kind=AgencyKind.DEPARTMENT, unit=province),
    }


@pytest.fixture
def demo(db: Any) -> int:
    return procedures_load_demo()

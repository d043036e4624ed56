from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chinhquyenso.printing import AgencyInfo, ComponentLine, ControlRow, DossierInfo, FeeLine, RegisterRow

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "H01.23.45-261125-0001"
LOOKUP_URL = f"https://dichvucong.example/tra-cuu/?ma={CODE}"


@pytest.fixture
def agency() -> AgencyInfo:
    return AgencyInfo(name="Trung tâm Phục vụ hành chính công", parent_name="Ủy ban nhân dân tỉnh An Giang",
                      province_name="An Giang", phone="0296 3 957 957")


@pytest.fixture
def dossier() -> DossierInfo:
    return DossierInfo(
        code=CODE,
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        applicant_name="Nguyễn Thị Ánh Tuyết",
        applicant_address="Số 12, đường Trần Hưng Đạo, phường Long Xuyên, tỉnh An Giang",
        applicant_phone="0912 345 678",
        received_at=datetime(2026, 11, 25, 9, 5, tzinfo=TZ),
        due_at=datetime(2026, 12, 2, 16, 30, tzinfo=TZ),
        channel_label="Trực tiếp",
        components=[ComponentLine("Tờ khai đăng ký khai sinh", "Bản chính", 1),
                    ComponentLine("Giấy chứng nhận kết hôn của cha mẹ", "Bản sao", 2)],
        fees=[FeeLine("Lệ phí đăng ký khai sinh", 0), FeeLine("Phí cấp bản sao trích lục", 1_250_000)],
        lookup_url=LOOKUP_URL,
        officer_name="Trần Văn Bình",
        processing_time_label="05 ngày làm việc",
        result_delivery_label="Trung tâm Phục vụ hành chính công tỉnh",
        handling_agency_name="Sở Tư pháp",
    )


@pytest.fixture
def control_rows() -> list[ControlRow]:
    return [
        ControlRow("Tiếp nhận hồ sơ", "Bộ phận Một cửa", "Phòng Hộ tịch", datetime(2026, 11, 25, 9, 30, tzinfo=TZ),
                   datetime(2026, 11, 26, 17, 0, tzinfo=TZ), datetime(2026, 11, 25, 10, 0, tzinfo=TZ), "Đã chuyển"),
        ControlRow("Thẩm định", "Phòng Hộ tịch", "Lãnh đạo Sở", datetime(2026, 11, 26, 8, 0, tzinfo=TZ),
                   datetime(2026, 11, 28, 17, 0, tzinfo=TZ), datetime(2026, 11, 28, 15, 0, tzinfo=TZ)),
        ControlRow("Phê duyệt", "Lãnh đạo Sở", "Bộ phận Một cửa", datetime(2026, 11, 29, 8, 0, tzinfo=TZ),
                   datetime(2026, 11, 30, 17, 0, tzinfo=TZ), datetime(2026, 12, 1, 9, 0, tzinfo=TZ), "Thiếu chữ ký"),
    ]


def register_rows(count: int) -> list[RegisterRow]:
    return [
        RegisterRow(code=f"H01.23.45-2611{i % 28 + 1:02d}-{i:04d}", procedure_name="Chứng thực bản sao từ bản chính",
                    applicant_name=f"Võ Văn Em {i}", received_at=datetime(2026, 11, i % 28 + 1, 8, 15, tzinfo=TZ),
                    due_at=datetime(2026, 11, i % 28 + 1, 16, 0, tzinfo=TZ), applicant_address="Xã An Phú",
                    applicant_phone="0987 654 321", handling_agency="UBND xã An Phú",
                    returned_at=datetime(2026, 11, i % 28 + 1, 15, 0, tzinfo=TZ))
        for i in range(1, count + 1)
    ]


ISSUED_ON = date(2026, 11, 26)

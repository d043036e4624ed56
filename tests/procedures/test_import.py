"""File import: JSON, CSV and XLSX; every bad row reported by row and column; all or nothing."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from chinhquyenso.procedures.models import Procedure, ProcessVersion
from chinhquyenso.procedures.services import procedures_import

pytestmark = pytest.mark.django_db

HEADER = ["ma_tthc", "ten_thu_tuc", "ma_linh_vuc", "ten_linh_vuc", "cap_thuc_hien", "muc_do_dvc", "thoi_han",
          "don_vi_thoi_han", "trinh_tu", "cach_thuc", "doi_tuong", "co_quan_thuc_hien", "loai_doi_tuong",
          "thanh_phan_ho_so", "phi_le_phi", "ket_qua", "can_cu_phap_ly", "quy_trinh_hieu_luc_tu", "quy_trinh"]

STEPS_3_DAYS = ("TN | Tiếp nhận | Cán bộ Một cửa | 0,5 | ngày làm việc | chuyển\n"
                "XL | Thẩm định | chuyên viên | 1,5 | ngay lam viec | chuyển, trả lại, yêu cầu bổ sung\n"
                "KY | Ký | lãnh đạo | 0,5 | | phê duyệt, ký\n"
                "TKQ | Trả kết quả | mot_cua | 0,5 | | hoàn thành")


def csv_row(code: str = "9.000101", **overrides: str) -> dict[str, str]:
    row = {
        "ma_tthc": code, "ten_thu_tuc": f"Thủ tục nhập thử {code}", "ma_linh_vuc": "HO_TICH",
        "ten_linh_vuc": "Hộ tịch", "cap_thuc_hien": "Cấp xã", "muc_do_dvc": "toàn trình", "thoi_han": "3",
        "don_vi_thoi_han": "Ngày làm việc", "trinh_tu": "Bước 1...", "cach_thuc": "Trực tuyến",
        "doi_tuong": "Cá nhân", "co_quan_thuc_hien": "UBND cấp xã", "loai_doi_tuong": "công dân; người nước ngoài",
        "thanh_phan_ho_so": "TK | Tờ khai | bản chính | 1 | có\nCCCD | Căn cước | bản chính | 1 | có | có | cccd",
        "phi_le_phi": "Lệ phí | 1.250.000 | khi trả kết quả | người nước ngoài | Miễn cho người nước ngoài",
        "ket_qua": "Giấy chứng nhận | giay_chung_nhan | 6",
        "can_cu_phap_ly": "Luật Hộ tịch 2014 | Luật Hộ tịch | 01/01/2016",
        "quy_trinh_hieu_luc_tu": "01/07/2025", "quy_trinh": STEPS_3_DAYS,
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")  # Excel's "CSV UTF-8" has a BOM
    return path


def test_csv_good_file_imports_everything(tmp_path):
    path = write_csv(tmp_path / "tthc.csv", [csv_row("9.000101"), csv_row("9.000102")], delimiter=";")
    report = procedures_import(path=path)
    assert report.ok, report.errors
    assert report.created == ["9.000101", "9.000102"] and report.new_process_versions == 2
    procedure = Procedure.objects.get(code="9.000101")
    assert procedure.level == "commune" and procedure.service_level == "full_online"
    assert procedure.applicant_types == ["citizen", "foreigner"]
    cccd = procedure.components.get(code="CCCD")
    assert cccd.reusable and cccd.document_type == "cccd"
    fee = procedure.fees.get()
    assert fee.amount == 1250000 and fee.stage == "at_result" and fee.exempt_applicant_types == ["foreigner"]
    assert procedure.results.get().validity_months == 6
    version = procedure.process_versions.get()
    steps = list(version.steps.all())
    assert [s.role for s in steps] == ["one_stop_officer", "processing_officer", "leader", "one_stop_officer"]
    assert steps[1].allowed_actions == ["forward", "return", "request_supplement"]
    assert str(version.valid_from) == "2025-07-01"


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "tthc.csv", [csv_row()])
    procedures_import(path=path)
    report = procedures_import(path=path)
    assert report.ok and report.unchanged == ["9.000101"] and report.new_process_versions == 0
    assert ProcessVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"ma_tthc": "ABC"}, "ma_tthc", "định dạng"),
        ({"ten_thu_tuc": ""}, "ten_thu_tuc", "Thiếu"),
        ({"cap_thuc_hien": "cấp huyện"}, "cap_thuc_hien", "không hợp lệ"),
        ({"thoi_han": "ba ngày"}, "thoi_han", "không phải là số"),
        ({"thoi_han": "5"}, "quy_trinh", "Tổng thời gian"),
        ({"ten_linh_vuc": "", "ma_linh_vuc": "CHUA_CO"}, "ten_linh_vuc", "chưa có"),
        ({"phi_le_phi": "Lệ phí | một trăm nghìn"}, "phi_le_phi (mục 1).so_tien", "Số tiền"),
        ({"thanh_phan_ho_so": "TK | Tờ khai | bản photo"}, "thanh_phan_ho_so (mục 1).loai_ban", "không hợp lệ"),
        ({"thanh_phan_ho_so": "TK | Tờ khai\nTK | Tờ khai khác"}, "thanh_phan_ho_so", "trùng"),
        ({"can_cu_phap_ly": "Luật X | | 31/02/2020"}, "can_cu_phap_ly (mục 1).ngay_hieu_luc", "Ngày"),
        ({"quy_trinh": STEPS_3_DAYS.replace("lãnh đạo", "bảo vệ")}, "quy_trinh (mục 3).vai_tro", "không hợp lệ"),
        ({"quy_trinh": STEPS_3_DAYS.replace("| hoàn thành", "| chuyển")}, "quy_trinh", "finish"),
        ({"thanh_phan_ho_so": "TK | Tờ khai | bản chính | 1 | có | không | x | y | thừa"},
         "thanh_phan_ho_so (mục 1)", "tối đa"),
    ],
)
def test_each_kind_of_bad_row_is_reported_by_row_and_column(tmp_path, overrides, column, fragment):
    path = write_csv(tmp_path / "tthc.csv", [csv_row("9.000101"), csv_row("9.000102", **overrides)])
    report = procedures_import(path=path)
    assert not report.ok
    assert any(e.row == 3 and e.field == column and fragment in e.message for e in report.errors), [
        str(e) for e in report.errors
    ]
    assert not Procedure.objects.exists()  # the good row 2 was not imported either


def test_duplicate_code_and_unknown_column_are_reported(tmp_path):
    path = tmp_path / "tthc.csv"
    write_csv(path, [csv_row("9.000101"), csv_row("9.000101")])
    text = path.read_text(encoding="utf-8-sig").replace("ma_tthc,", "ma_tthc,cot_la,", 1)
    lines = text.splitlines(keepends=True)
    path.write_text(text, encoding="utf-8")
    report = procedures_import(path=path)
    messages = [str(e) for e in report.errors]
    assert any("cot_la" in m for m in messages), messages
    assert any(e.row == 3 and "đã có ở dòng 2" in e.message for e in report.errors), messages
    assert lines  # the file really had rows
    assert not Procedure.objects.exists()


def test_unknown_agency_is_reported(tmp_path):
    row = csv_row()
    header = [*HEADER, "co_quan_giai_quyet"]
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerow({**row, "co_quan_giai_quyet": "Sở Không Có"})
    path = tmp_path / "tthc.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    report = procedures_import(path=path)
    assert [(e.row, e.field) for e in report.errors] == [(2, "co_quan_giai_quyet")]


def test_dry_run_validates_and_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "tthc.csv", [csv_row()])
    report = procedures_import(path=path, dry_run=True)
    assert report.ok and report.created == ["9.000101"]
    assert not Procedure.objects.exists()


def json_item(code: str = "9.000201", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "code": code, "name": "Thủ tục JSON", "field_code": "CHUNG_THUC", "field_name": "Chứng thực",
        "level": "commune", "time_limit_amount": 1, "time_limit_unit": "working_day",
        "steps_text": "...", "submission_methods_text": "...", "applicants_text": "...", "agencies_text": "...",
        "components": [{"code": "BC", "name": "Bản chính"}],
        "fees": [{"name": "Phí chứng thực", "amount": 2000}],
        "process": {"valid_from": "2025-07-01", "steps": [
            {"code": "TN", "name": "Tiếp nhận", "role": "one_stop_officer", "duration_amount": 2,
             "duration_unit": "hour", "allowed_actions": ["forward"]},
            {"code": "XL", "name": "Chứng thực", "role": "processing_officer", "duration_amount": 6,
             "duration_unit": "hour", "allowed_actions": ["finish"]},
        ]},
    }
    item.update(overrides)
    return item


def test_json_good_file_and_wrapped_form(tmp_path):
    path = tmp_path / "tthc.json"
    path.write_text(json.dumps({"procedures": [json_item()]}, ensure_ascii=False), encoding="utf-8")
    report = procedures_import(path=path)
    assert report.ok, report.errors
    assert Procedure.objects.get().fees.get().amount == 2000


def test_json_errors_name_the_item_and_path(tmp_path):
    bad = json_item("9.000202")
    bad["fees"] = [{"name": "Phí", "amount": -5}]
    path = tmp_path / "tthc.json"
    path.write_text(json.dumps([json_item(), bad, "not an object"], ensure_ascii=False), encoding="utf-8")
    report = procedures_import(path=path)
    located = {(e.row, e.field) for e in report.errors}
    assert (2, "fees[1].amount") in located
    assert any(e.row == 3 for e in report.errors)
    assert not Procedure.objects.exists()


def test_broken_json_is_a_clear_error(tmp_path):
    path = tmp_path / "tthc.json"
    path.write_text("[{", encoding="utf-8")
    report = procedures_import(path=path)
    assert not report.ok and "cú pháp" in report.errors[0].message


def test_unsupported_extension(tmp_path):
    path = tmp_path / "tthc.txt"
    path.write_text("x", encoding="utf-8")
    report = procedures_import(path=path)
    assert not report.ok and ".xlsx" in report.errors[0].message


def make_workbook(path: Path, *, fee_amount: Any = 75000, extra_step_code: str = "9.000301") -> Path:
    wb = Workbook()
    main = wb.active
    main.title = "thu_tuc"
    main.append(["ma_tthc", "ten_thu_tuc", "ma_linh_vuc", "ten_linh_vuc", "cap_thuc_hien", "thoi_han",
                 "don_vi_thoi_han", "trinh_tu", "cach_thuc", "doi_tuong", "co_quan_thuc_hien",
                 "quy_trinh_hieu_luc_tu"])
    import datetime as dt

    main.append(["9.000301", "Cấp giấy phép xây dựng thử", "XAY_DUNG", "Xây dựng", "xa", 15, "ngày",
                 "...", "...", "...", "...", dt.datetime(2025, 7, 1)])
    comp = wb.create_sheet("thanh_phan_ho_so")
    comp.append(["ma_tthc", "ma", "ten", "loai_ban", "so_luong", "tai_su_dung", "loai_giay_to"])
    comp.append(["9.000301", "DON", "Đơn đề nghị", "bản chính", 1, "không", ""])
    comp.append(["9.000301", "GCN", "Giấy chứng nhận QSDĐ", "bản sao", 1, "có", "giay_chung_nhan_quyen_su_dung_dat"])
    fees = wb.create_sheet("phi_le_phi")
    fees.append(["ma_tthc", "ten", "so_tien", "thoi_diem_thu"])
    fees.append(["9.000301", "Lệ phí cấp giấy phép", fee_amount, "khi trả kết quả"])
    steps = wb.create_sheet("quy_trinh")
    steps.append(["ma_tthc", "ma", "ten", "vai_tro", "thoi_gian", "don_vi", "thao_tac"])
    steps.append(["9.000301", "TN", "Tiếp nhận", "one_stop_officer", 1, "ngày", "forward"])
    steps.append(["9.000301", "XL", "Thẩm định", "processing_officer", 11, "ngày", "forward, consult, stop"])
    steps.append(["9.000301", "KY", "Ký", "leader", 2, "ngày", "approve, sign"])
    steps.append([extra_step_code, "TKQ", "Trả kết quả", "one_stop_officer", 1, "ngày", "finish"])
    wb.save(path)
    return path


def test_xlsx_with_item_sheets_imports(tmp_path):
    report = procedures_import(path=make_workbook(tmp_path / "tthc.xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    procedure = Procedure.objects.get(code="9.000301")
    assert procedure.time_limit_unit == "day"
    assert procedure.components.get(code="GCN").reusable
    assert procedure.fees.get().amount == 75000
    assert procedure.process_versions.get().steps.count() == 4


def test_xlsx_errors_name_the_sheet_and_row(tmp_path):
    report = procedures_import(path=make_workbook(tmp_path / "tthc.xlsx", fee_amount="bảy lăm nghìn",
                                                  extra_step_code="9.999999"))
    located = {(e.sheet, e.row, e.field) for e in report.errors}
    assert ("phi_le_phi", 2, "so_tien") in located, [str(e) for e in report.errors]
    assert ("quy_trinh", 5, "ma_tthc") in located, [str(e) for e in report.errors]
    assert not Procedure.objects.exists()


def test_command_exits_non_zero_with_the_error_list(tmp_path):
    path = write_csv(tmp_path / "tthc.csv", [csv_row(thoi_han="x")])
    err = StringIO()
    with pytest.raises(CommandError, match="không nhập"):
        call_command("import_procedures", str(path), stderr=err)
    assert "Dòng 2, thoi_han" in err.getvalue()


def test_command_imports_good_file(tmp_path):
    path = write_csv(tmp_path / "tthc.csv", [csv_row()])
    out = StringIO()
    call_command("import_procedures", str(path), stdout=out)
    assert "Đã nhập: 1 thủ tục" in out.getvalue()
    assert Procedure.objects.filter(code="9.000101").exists()


@pytest.mark.parametrize("fence", ["csv", "json"])
def test_examples_in_the_docs_import(tmp_path, fence):
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "procedures.md").read_text(encoding="utf-8")
    block = re.search(rf"```{fence}\n(.*?)```", doc, re.S)
    assert block is not None
    path = tmp_path / f"example.{fence}"
    path.write_text(block.group(1), encoding="utf-8")
    report = procedures_import(path=path)
    assert report.ok, [str(e) for e in report.errors]
    assert report.created

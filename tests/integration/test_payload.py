"""The sync payload (HoSoDongBoDVC, reference §4.4): field names, values, date format, snapshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from chinhquyenso.integration.models import OutboxMessage
from chinhquyenso.integration.national_portal import (
    build_sync_payload,
    format_portal_datetime,
    parse_portal_datetime,
)

from .factories import make_dossier, record_event

HEADER_FIELDS = {
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "KenhThucHien", "ChuHoSo", "LoaiDoiTuong",
    "SoGiayToChuHoSo", "SoDienThoai", "Email", "TrichYeuHoSo", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra",
    "TrangThaiHoSo", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "DonViXuLy", "HoSoCoThanhPhanSoHoa",
    "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "DSKetNoiCSDL", "TaiLieuNop", "DanhSachLePhi",
    "DanhSachGiayToKetQua", "tienTrinh",
}


def test_format_portal_datetime_is_local_yyyymmddhhmmss() -> None:
    moment = dt.datetime(2025, 7, 1, 1, 2, 3, tzinfo=dt.UTC)
    assert format_portal_datetime(moment) == "20250701080203"  # UTC+7
    assert parse_portal_datetime("20250701080203") == moment
    assert format_portal_datetime(None) is None
    with pytest.raises(ValueError):
        format_portal_datetime(dt.datetime(2025, 7, 1, 8, 0))


def test_received_dossier_payload(world) -> None:
    dossier = make_dossier(world, with_details=True)
    message = OutboxMessage.objects.get(key=dossier.code)
    p = message.payload
    assert HEADER_FIELDS <= set(p)
    assert message.idempotency_key == f"{dossier.code}:1" and message.seq == 1
    assert p["MaHoSo"] == dossier.code
    assert (p["MaTTHC"], p["TenTTHC"]) == ("1.001193", "Thủ tục đăng ký khai sinh")
    assert (p["MaLinhVuc"], p["TenLinhVuc"]) == ("HT", "Hộ tịch")
    assert p["KenhThucHien"] == 2 and p["LoaiDoiTuong"] == 0 and p["TrangThaiHoSo"] == 2
    assert p["ChuHoSo"] == "Nguyễn Văn An" and p["SoGiayToChuHoSo"] == "089201000123"
    assert (p["SoDienThoai"], p["Email"]) == ("0912345678", "an@example.vn")
    assert p["TrichYeuHoSo"] == "Đăng ký khai sinh cho con"
    assert p["NgayTiepNhan"] == format_portal_datetime(dossier.received_at)
    assert p["NgayHenTra"] == format_portal_datetime(dossier.due_at)
    assert p["NgayNopHoSo"] == format_portal_datetime(dossier.submitted_at)
    for name in ("NgayTiepNhan", "NgayHenTra", "NgayNopHoSo"):
        assert re.fullmatch(r"\d{14}", p[name])
    assert p["NgayKetThucXuLy"] is None and p["NgayTra"] is None and p["NgayTuChoi"] is None
    assert p["DonViXuLy"] == "H01.30337"
    assert p["HoSoCoThanhPhanSoHoa"] == 1 and p["TaiKhoanDuocXacThucVoiVNeID"] == 1
    assert p["DuocThanhToanTrucTuyen"] == 1
    assert p["DSKetNoiCSDL"] == [{"MaCSDL": "CSDLQGDC"}]

    [doc] = p["TaiLieuNop"]
    assert doc["TepDinhKemId"] == "ab" * 32 and doc["TenTepDinhKem"] == "Tờ khai đăng ký khai sinh"
    assert doc["MaThanhPhanHoSo"] == "TP01" and doc["DuongDanTaiTepTin"].endswith("/tep/" + "ab" * 32)
    assert (doc["DuocSoHoa"], doc["DuocTaiSuDung"], doc["DuocLayTuKhoDMQG"]) == (1, 0, 1)

    fees = {f["MaPhiLePhi"]: f for f in p["DanhSachLePhi"]}
    assert fees["LP01"] == {"TenPhiLePhi": "Lệ phí đăng ký khai sinh", "MaPhiLePhi": "LP01", "HinhThucThu": 1,
                            "Gia": 8000, "LoaiPhiLePhi": 1}
    assert fees["P02"]["HinhThucThu"] == 4 and fees["P02"]["LoaiPhiLePhi"] == 2 and fees["P02"]["Gia"] == 3000

    [result] = p["DanhSachGiayToKetQua"]
    assert result["TenGiayTo"] == "Giấy khai sinh" and result["MaGiayToKetQua"] == "GKS-01"
    assert result["DuongDanTepTinKetQua"].endswith("ab" * 32)

    entry = p["tienTrinh"]
    assert entry["MaHoSo"] == dossier.code and entry["TrangThai"] == 2 and entry["NguoiXuLy"] == "Cán bộ A"
    assert re.fullmatch(r"\d{14}", entry["ThoiDiemXuLy"])
    assert entry["NoiDungXuLy"] == "Tiếp nhận hồ sơ"


def test_each_message_is_the_state_at_that_moment(world) -> None:
    dossier = make_dossier(world)
    record_event(dossier, "forwarded", to_status=4)
    record_event(dossier, "finished", to_status=9, finished_at=dossier.received_at + dt.timedelta(hours=3))
    payloads = [m.payload for m in OutboxMessage.objects.filter(key=dossier.code).order_by("seq")]
    assert [p["TrangThaiHoSo"] for p in payloads] == [2, 4, 9]
    assert payloads[1]["NgayKetThucXuLy"] is None
    assert payloads[2]["NgayKetThucXuLy"] == format_portal_datetime(dossier.finished_at)
    assert [p["tienTrinh"]["TrangThai"] for p in payloads] == [2, 4, 9]


def test_business_applicant_and_no_population_data(world) -> None:
    dossier = make_dossier(world, received=False)
    dossier.applicant_type, dossier.used_population_data, dossier.paid_online = 2, False, 0
    dossier.save()
    payload = build_sync_payload(dossier, None)
    assert payload["LoaiDoiTuong"] == 2 and payload["DSKetNoiCSDL"] == [] and payload["DuocThanhToanTrucTuyen"] == 0
    assert payload["tienTrinh"] is None and payload["TaiLieuNop"] == []

"""Bulk import of historical dossiers: round trip with the generator, rejects, restart, old units, COPY."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from chinhquyenso.core import projectors
from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.dossiers import importing
from chinhquyenso.dossiers.generate import dossiers_generate
from chinhquyenso.dossiers.importing import ImportFinished, dossiers_import, parse_moment
from chinhquyenso.dossiers.models import (
    Dossier,
    DossierComponent,
    DossierEvent,
    DossierFee,
    DossierResult,
    DossierSupplement,
)
from chinhquyenso.procedures.services import procedures_load_demo
from chinhquyenso.units.models import Agency, Unit
from chinhquyenso.units.selectors import units_successor_map
from chinhquyenso.units.services import units_load_an_giang


@pytest.fixture
def province(db: Any) -> None:
    units_load_an_giang()
    procedures_load_demo()


@pytest.fixture
def finished_events() -> Any:
    seen: list[ImportFinished] = []
    projectors.register(importing.STREAM, "tests.import", seen.append)
    yield seen
    entries = projectors._projectors[importing.STREAM]
    entries[:] = [(n, p) for n, p in entries if n != "tests.import"]


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _good(code: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "MaHoSo": code, "MaTTHC": "1.001193", "KenhThucHien": 1, "TrangThaiHoSo": 10, "ChuHoSo": "Nguyễn Văn An",
        "NgayTiepNhan": "20260302090000", "NgayHenTra": "20260303170000", "NgayKetThucXuLy": "20260303100000",
        "NgayTra": "20260303150000", "DonViXuLy": "H01.30337", "DaDongBoDVCQG": 1,
        "TaiLieuNop": [{"MaThanhPhanHoSo": "TK_KS", "TenTepDinhKem": "Tờ khai", "DuongDanTaiTepTin": "https://cu/1",
                        "DuocSoHoa": 1}],
        "DanhSachGiayToKetQua": [{"TenGiayTo": "Giấy khai sinh", "DuongDanTepTinKetQua": "https://cu/kq"}],
    }
    record.update(extra)
    return record


def _write(path: Path, records: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_round_trip_generated_year(province: None, tmp_path: Path, finished_events: list[ImportFinished]) -> None:
    source = tmp_path / "year.jsonl"
    assert dossiers_generate(count=120, year=2026, seed=11, out=source) == 120
    records = _records(source)
    report = dossiers_import(path=source, batch_size=50)
    assert (report.imported, report.rejected, report.skipped_existing) == (120, 0, 0)
    assert Dossier.objects.count() == 120
    assert DossierEvent.objects.count() == sum(len(r["DanhSachTienTrinh"]) for r in records) == report.events
    assert DossierComponent.objects.count() == sum(len(r.get("TaiLieuNop", [])) for r in records)
    assert DossierFee.objects.count() == sum(len(r.get("DanhSachLePhi", [])) for r in records)
    assert DossierResult.objects.count() == sum(len(r.get("DanhSachGiayToKetQua", [])) for r in records)
    assert DossierSupplement.objects.count() == sum(len(r.get("DanhSachHoSoBoSung", [])) for r in records)
    for record in records[::7]:
        d = Dossier.objects.get(code=record["MaHoSo"])
        assert d.procedure.code == record["MaTTHC"]
        assert d.status == record["TrangThaiHoSo"] and d.channel == record["KenhThucHien"]
        assert d.agency.portal_code == record["DonViXuLy"]
        assert d.received_at == parse_moment(record.get("NgayTiepNhan") or record["NgayNopHoSo"]) \
            or d.received_at is None
        assert (d.national_synced_at is not None) == bool(record["DaDongBoDVCQG"])
        assert d.paid_online == record["DuocThanhToanTrucTuyen"]
        assert d.search_text == d.build_search_text()
        urls = sorted(c["DuongDanTaiTepTin"] for c in record.get("TaiLieuNop", []))
        assert sorted(d.components.values_list("file_url", flat=True)) == urls
        statuses = [e["TrangThai"] for e in record["DanhSachTienTrinh"]]
        events = list(d.events.order_by("seq"))
        assert [e.to_status for e in events] == statuses
        assert all(e.payload.get("imported") for e in events)
        assert events[-1].to_status == d.status
    assert len(finished_events) == 1
    done = finished_events[0]
    ids = list(Dossier.objects.values_list("id", flat=True))
    assert (done.count, done.dossier_id_min, done.dossier_id_max) == (120, min(ids), max(ids))
    received = [d for d in Dossier.objects.values_list("received_at", flat=True) if d is not None]
    assert done.first_received_at is not None and done.first_received_at <= min(received)
    assert not importing.checkpoint_path(source).exists()
    assert not importing.rejected_path(source).exists()


def test_csv_round_trip_matches_jsonl(province: None, tmp_path: Path) -> None:
    jsonl, csv_file = tmp_path / "a.jsonl", tmp_path / "a.csv"
    dossiers_generate(count=40, year=2026, seed=5, out=jsonl)
    dossiers_generate(count=40, year=2026, seed=5, out=csv_file)
    report = dossiers_import(path=csv_file, batch_size=16)
    assert (report.imported, report.rejected) == (40, 0)
    records = _records(jsonl)
    assert set(Dossier.objects.values_list("code", flat=True)) == {r["MaHoSo"] for r in records}
    assert DossierEvent.objects.count() == sum(len(r["DanhSachTienTrinh"]) for r in records)
    assert DossierComponent.objects.count() == sum(len(r.get("TaiLieuNop", [])) for r in records)


def test_rejects_with_reasons_and_nothing_partial(province: None, tmp_path: Path) -> None:
    source = _write(tmp_path / "mixed.jsonl", [
        _good("H01.30337-260302-0001"),
        _good("BAD-1", MaTTHC="9.999999"),
        "{not json",
        _good("BAD-2", NgayTiepNhan="20261345090000"),
        _good("BAD-3", ChuHoSo="", TrangThaiHoSo=9, NgayKetThucXuLy=None, NgayTra=None),
        _good("BAD-4", TaiLieuNop=[{"TenTepDinhKem": "x", "DuocSoHoa": 7}],
              DanhSachLePhi=[{"TenPhiLePhi": "Lệ phí", "Gia": "abc"}]),
        _good("BAD-5", DonViXuLy="KHONG.CO"),
        _good("BAD-6", DanhSachTienTrinh=[{"ThoiDiemXuLy": "20260302090000", "TrangThai": 2}]),
        _good("H01.30337-260302-0002"),
    ])
    report = dossiers_import(path=source, batch_size=4)
    assert (report.imported, report.rejected) == (2, 7)
    assert set(Dossier.objects.values_list("code", flat=True)) == {"H01.30337-260302-0001", "H01.30337-260302-0002"}
    kept = set(Dossier.objects.values_list("id", flat=True))
    for model in (DossierComponent, DossierResult, DossierFee, DossierEvent, DossierSupplement):
        assert set(model.objects.values_list("dossier_id", flat=True)) <= kept
    rejected = [json.loads(x) for x in importing.rejected_path(source).read_text("utf-8").splitlines()]
    by_code = {r.get("MaHoSo"): r for r in rejected}
    assert [r["dong"] for r in rejected] == [2, 3, 4, 5, 6, 7, 8]
    assert "không có trong danh mục thủ tục" in by_code["BAD-1"]["ly_do"][0]
    assert "JSON" in rejected[1]["ly_do"][0] and rejected[1]["noi_dung"] == "{not json"
    assert any("NgayTiepNhan «20261345090000»" in r for r in by_code["BAD-2"]["ly_do"])
    reasons3 = " | ".join(by_code["BAD-3"]["ly_do"])
    assert "Thiếu ChuHoSo" in reasons3 and "phải có NgayKetThucXuLy" in reasons3
    reasons4 = " | ".join(by_code["BAD-4"]["ly_do"])
    assert "DuocSoHoa (TaiLieuNop #1)" in reasons4 and "Gia (DanhSachLePhi #1)" in reasons4
    assert "DonViXuLy «KHONG.CO»" in by_code["BAD-5"]["ly_do"][0]
    assert "khác TrangThaiHoSo" in by_code["BAD-6"]["ly_do"][0]
    assert by_code["BAD-1"]["ban_ghi"]["MaTTHC"] == "9.999999"


def test_restart_after_crash_duplicates_nothing(province: None, tmp_path: Path,
                                                finished_events: list[ImportFinished]) -> None:
    source = tmp_path / "crash.jsonl"
    dossiers_generate(count=45, year=2026, seed=21, out=source)
    records = _records(source)
    records.insert(12, {"MaHoSo": "BAD", "MaTTHC": "nope"})
    _write(source, records)

    def crash(batch: int) -> None:
        if batch == 2:  # batch 2 committed, its checkpoint not yet written: the worst moment
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dossiers_import(path=source, batch_size=10, after_batch=crash)
    assert Dossier.objects.count() == 19  # two batches of 10 lines, one of them rejected
    checkpoint = json.loads(importing.checkpoint_path(source).read_text())
    assert checkpoint["line"] == 10 and checkpoint["imported"] == 10
    assert checkpoint["pending"]["line"] == 20 and checkpoint["pending"]["imported"] == 9
    assert finished_events == []

    report = dossiers_import(path=source, batch_size=10)
    assert report.resumed_from_line == 20  # the pending batch is found committed (its probe exists)
    assert (report.imported, report.skipped_existing) == (26, 0)
    assert Dossier.objects.count() == 45
    assert Dossier.objects.values("code").distinct().count() == 45
    assert DossierEvent.objects.count() == sum(len(r["DanhSachTienTrinh"]) for r in records if "TrangThaiHoSo" in r)
    rejected = importing.rejected_path(source).read_text("utf-8").splitlines()
    assert len(rejected) == 1 and json.loads(rejected[0])["MaHoSo"] == "BAD"
    assert [f.count for f in finished_events] == [45]  # cumulative over both runs
    assert not importing.checkpoint_path(source).exists()

    again = dossiers_import(path=source, batch_size=10)  # a full re-run is harmless
    assert (again.imported, again.skipped_existing) == (0, 45)
    assert Dossier.objects.count() == 45


def test_failure_inside_a_batch_writes_nothing_of_it(province: None, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "fail.jsonl"
    dossiers_generate(count=30, year=2026, seed=4, out=source)
    original = importing._Writer.write
    calls = {"batches": 0}

    def failing(self: Any, model: Any, attnames: Any, rows: Any) -> None:
        if model is DossierEvent:
            calls["batches"] += 1
            if calls["batches"] == 2:
                raise RuntimeError("disk full")
        original(self, model, attnames, rows)

    monkeypatch.setattr(importing._Writer, "write", failing)
    with pytest.raises(RuntimeError):
        dossiers_import(path=source, batch_size=10)
    assert Dossier.objects.count() == 10
    assert DossierComponent.objects.exclude(dossier__in=Dossier.objects.all()).count() == 0
    monkeypatch.setattr(importing._Writer, "write", original)
    report = dossiers_import(path=source, batch_size=10)
    assert report.imported == 20 and Dossier.objects.count() == 30


def test_batch_marked_pending_but_rolled_back_is_read_again(province: None, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "pending.jsonl"
    dossiers_generate(count=20, year=2026, seed=9, out=source)
    save = importing.Checkpoint.save

    def save_then_fail(self: importing.Checkpoint, path: Path) -> None:
        save(self, path)
        if self.pending is not None and self.line == 10:  # batch 2 is on disk as pending, COMMIT not reached
            raise OSError("power cut")

    monkeypatch.setattr(importing.Checkpoint, "save", save_then_fail)
    with pytest.raises(OSError):
        dossiers_import(path=source, batch_size=10)
    assert Dossier.objects.count() == 10
    monkeypatch.setattr(importing.Checkpoint, "save", save)
    report = dossiers_import(path=source, batch_size=10)
    assert report.resumed_from_line == 10 and report.imported == 10
    assert Dossier.objects.count() == 20


def test_old_unit_keeps_its_row_agency_from_successor(province: None, tmp_path: Path) -> None:
    old = Unit.objects.get(code="30280", valid_to=dt.date(2025, 7, 1))  # Phường Mỹ Bình (Long Xuyên), before 2025
    successor_id = units_successor_map(dt.date(2026, 1, 1), unit_ids=[old.pk])[old.pk]
    old_province = Unit.objects.get(code="89", level="province")
    agency_map = tmp_path / "map.csv"
    agency_map.write_text("ma_cu,ma_moi\n000.00.04.H01,H01.04\n", "utf-8")
    source = _write(tmp_path / "old.jsonl", [
        _good("000.30.280-240615-0001", DonViXuLy="000.30.280.H01", MaDonViHanhChinh="30280",
              NgayTiepNhan="20240617090000", NgayHenTra="20240618170000", NgayKetThucXuLy="20240618100000",
              NgayTra="20240618150000"),
        _good("000.00.04-240615-0001", MaTTHC="1.012786", DonViXuLy="000.00.04.H01", MaDonViHanhChinh="89",
              NgayTiepNhan="20240617090000", NgayHenTra="20240701170000", NgayKetThucXuLy="20240620100000",
              NgayTra="20240621150000", TaiLieuNop=[]),
        _good("X-1", DonViXuLy="", MaDonViHanhChinh="30280", NgayTiepNhan="20250801090000",
              NgayHenTra="20250802170000", NgayKetThucXuLy="20250802100000", NgayTra="20250802150000"),
    ])
    call_command("import_dossiers", str(source), "--agency-map", str(agency_map), "--no-progress")
    commune = Dossier.objects.get(code="000.30.280-240615-0001")
    assert commune.unit_id == old.pk  # the old commune, not the merged one
    assert commune.agency.unit_id == successor_id
    assert commune.agency.kind == "ubnd"
    provincial = Dossier.objects.get(code="000.00.04-240615-0001")
    assert provincial.unit_id == old_province.pk
    assert provincial.agency == Agency.objects.get(code="H01.04")
    assert not Dossier.objects.filter(code="X-1").exists()  # 30280 was not in force in August 2025
    reasons = json.loads(importing.rejected_path(source).read_text("utf-8"))["ly_do"]
    assert reasons == ["Không có đơn vị hành chính mã 30280 có hiệu lực ngày 01/08/2025."]


def test_synthesized_history_when_no_process_log(province: None, tmp_path: Path) -> None:
    source = _write(tmp_path / "nolog.jsonl", [
        _good("A-1", KenhThucHien=2, NgayNopHoSo="20260301200000", DaDongBoDVCQG=0,
              DanhSachHoSoBoSung=[{"NgayBoSung": "20260302100000", "NgayTiepNhanBoSung": "20260302140000"}]),
    ])
    dossiers_import(path=source)
    d = Dossier.objects.get(code="A-1")
    kinds = list(d.events.order_by("seq").values_list("kind", "to_status"))
    assert kinds == [("submitted", 1), ("accepted", 2), ("supplement_requested", 5), ("supplement_received", 4),
                     ("finished", 9), ("result_returned", 10)]
    assert d.national_synced_at is None
    # 10:00 → 14:00 on a Monday: office hours only (lunch 11:30–13:30 excluded), as dossier_receive_supplement
    assert d.supplement_count == 1 and d.supplement_paused_seconds == 2 * 3600
    assert d.finished_at == parse_moment("20260303100000") and d.returned_at == parse_moment("20260303150000")


def test_checkpoint_refuses_a_changed_file(province: None, tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    dossiers_generate(count=12, year=2026, seed=2, out=source)
    with pytest.raises(KeyboardInterrupt):
        dossiers_import(path=source, batch_size=5, after_batch=lambda k: (_ for _ in ()).throw(KeyboardInterrupt))
    source.write_text(source.read_text("utf-8").replace("H01", "H02", 1), "utf-8")
    from chinhquyenso.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="đã thay đổi"):
        dossiers_import(path=source, batch_size=5)
    report = dossiers_import(path=source, batch_size=5, fresh=True)  # line 1 now has another MaHoSo
    assert (report.imported, report.skipped_existing, report.rejected) == (8, 4, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is the PostgreSQL path")
def test_postgresql_uses_copy(province: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    statements: list[str] = []
    original = psycopg.Cursor.copy

    def spy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(statement))
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy)
    source = tmp_path / "pg.jsonl"
    dossiers_generate(count=25, year=2026, seed=8, out=source)
    assert dossiers_import(path=source, batch_size=10).imported == 25
    assert any(s.startswith("COPY dossiers_dossier ") for s in statements)
    assert any(s.startswith("COPY dossiers_dossierevent ") for s in statements)
    assert all("FORMAT BINARY" in s for s in statements if s.startswith("COPY dossiers_"))
    assert Dossier.objects.count() == 25
    # The event payloads go through the binary COPY as JSON text: stored as objects, not as JSON strings.
    events = DossierEvent.objects.count()
    assert events and DossierEvent.objects.filter(payload__imported=True).count() == events
    noted = DossierEvent.objects.filter(payload__has_key="note").first()
    assert noted is not None and isinstance(noted.payload["note"], str) and noted.payload["note"]


def test_fast_paths_decide_like_the_slow_ones(province: None, tmp_path: Path) -> None:
    """The validators' fast paths (ISO parser for yyyyMMddHHmmss, int and flag lookups) give the same values
    and the same refusals as the general code."""
    vn = dt.timezone(dt.timedelta(hours=7))
    assert parse_moment("20260302090000") == dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=vn)
    assert parse_moment(20261231235959) == dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=vn)
    assert parse_moment("２０２６０３０２０９００００") == dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=vn)  # int() digits
    for bad in ("20260230090000", "20261345090000", "20260302250000", "18000101000000", "2026030209000x"):
        with pytest.raises(ValueError):
            parse_moment(bad)
    source = _write(tmp_path / "fast.jsonl", [
        _good("OK-1", KenhThucHien="2", TrangThaiHoSo="10", DaDongBoDVCQG="true"),
        _good("BAD-1", KenhThucHien=4, DaDongBoDVCQG=[1], HoSoCoThanhPhanSoHoa={"x": 1}),
        _good("BAD-2", TrangThaiHoSo=True, TaiKhoanDuocXacThucVoiVNeID=2, KenhThucHien=1.5),
    ])
    report = dossiers_import(path=source, batch_size=10)
    assert (report.imported, report.rejected) == (1, 2)
    ok = Dossier.objects.get(code="OK-1")
    assert (ok.channel, ok.status, ok.national_synced_at is not None) == (2, 10, True)
    rejected = {r["MaHoSo"]: " | ".join(r["ly_do"]) for r in map(
        json.loads, importing.rejected_path(source).read_text("utf-8").splitlines())}
    assert "KenhThucHien = 4 không hợp lệ" in rejected["BAD-1"]
    assert "DaDongBoDVCQG «[1]» phải là 0 hoặc 1" in rejected["BAD-1"]
    assert "HoSoCoThanhPhanSoHoa" in rejected["BAD-1"]
    assert "TrangThaiHoSo = 1 không hợp lệ" not in rejected["BAD-2"]  # True is 1: a valid status, as before
    assert "TaiKhoanDuocXacThucVoiVNeID «2» phải là 0 hoặc 1" in rejected["BAD-2"]
    assert "KenhThucHien «1.5» phải là số nguyên" in rejected["BAD-2"]


def test_garbage_collector_state_is_restored(province: None, tmp_path: Path) -> None:
    import gc

    source = _write(tmp_path / "gc.jsonl", [_good("GC-1"), _good("GC-2")])
    assert gc.isenabled()
    dossiers_import(path=source, batch_size=1)
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        dossiers_import(path=source, batch_size=1, fresh=True,
                        after_batch=lambda k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert gc.isenabled()
    gc.disable()
    try:
        dossiers_import(path=source, batch_size=1, fresh=True)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_csv_quoted_newlines_and_bad_json_column(province: None, tmp_path: Path) -> None:
    import csv

    source = tmp_path / "hand.csv"
    good = _good("CSV-1", DiaChiChuHoSo="Ấp Phú Hiệp,\nxã An Phú")
    bad = _good("CSV-2")
    columns = ["MaHoSo", "MaTTHC", "KenhThucHien", "TrangThaiHoSo", "ChuHoSo", "DiaChiChuHoSo", "NgayTiepNhan",
               "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "DonViXuLy", "TaiLieuNop"]
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerow([json.dumps(good[c], ensure_ascii=False) if c == "TaiLieuNop" else good.get(c, "")
                         for c in columns])
        writer.writerow(["[not json" if c == "TaiLieuNop" else bad.get(c, "") for c in columns])
    report = dossiers_import(path=source)
    assert (report.imported, report.rejected) == (1, 1)
    d = Dossier.objects.get(code="CSV-1")
    assert d.applicant_address == "Ấp Phú Hiệp,\nxã An Phú"
    assert d.components.get().file_url == "https://cu/1"
    rejected = json.loads(importing.rejected_path(source).read_text("utf-8"))
    assert rejected["dong"] == 2 and rejected["ly_do"] == ["Cột TaiLieuNop phải là danh sách JSON."]


def test_progress_bar_on_the_given_stream(province: None, tmp_path: Path) -> None:
    import io

    source = tmp_path / "p.jsonl"
    dossiers_generate(count=15, year=2026, seed=6, out=source)
    stream = io.StringIO()
    dossiers_import(path=source, batch_size=5, progress=True, progress_stream=stream)
    shown = stream.getvalue()
    assert "100.0%" in shown and "15 hồ sơ" in shown and shown.endswith("\n")


def test_generated_year_before_the_reorganization_imports_cleanly(province: None, tmp_path: Path) -> None:
    source = tmp_path / "y2024.jsonl"
    dossiers_generate(count=30, year=2024, seed=12, out=source)
    assert not any("MaDonViHanhChinh" in r for r in _records(source))  # today's units were not in force in 2024
    report = dossiers_import(path=source)
    assert (report.imported, report.rejected) == (30, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel workers are a PostgreSQL path")
@pytest.mark.django_db(transaction=True)
def test_workers_split_file_crash_and_restart(tmp_path: Path) -> None:
    """--workers 3: a worker killed right after a COMMIT (before its checkpoint) leaves the other parts done;
    the rerun finishes every part, nothing is duplicated, and the totals and rejects cover the whole file."""
    import multiprocessing
    import os

    units_load_an_giang()
    procedures_load_demo()
    seen: list[ImportFinished] = []
    projectors.register(importing.STREAM, "tests.import.workers", seen.append)
    try:
        source = tmp_path / "workers.jsonl"
        dossiers_generate(count=60, year=2026, seed=33, out=source)
        records: list[Any] = _records(source)
        records.insert(5, {"MaHoSo": "BAD-A", "MaTTHC": "nope"})
        records.insert(50, "{not json")
        records.append(records[10])  # the same code again, in another part: imported once
        _write(source, records)
        parts = importing.split_points(source, "jsonl", 3)
        assert len(parts) == 3 and parts[0][0] == 0 and parts[-1][1] == source.stat().st_size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))

        def crash(k: int) -> None:
            if k == 2 and multiprocessing.current_process().name == "import-part-1":
                os._exit(3)  # a hard crash: committed, checkpoint not yet folded

        with pytest.raises(ValidationFailed, match="phần 1"):
            dossiers_import(path=source, batch_size=4, workers=3, after_batch=crash)
        assert importing.parts_plan_path(source).exists()
        partial = Dossier.objects.count()
        assert 0 < partial < 60 and not seen

        report = dossiers_import(path=source, batch_size=4, workers=1)  # the recorded plan wins
        codes = list(Dossier.objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes)) == 60
        assert report.imported == 60 - partial
        assert not importing.parts_plan_path(source).exists()
        assert not list(tmp_path.glob("*.part*"))
        assert len(seen) == 1 and seen[0].count == 60
        ids = list(Dossier.objects.values_list("id", flat=True))
        assert (seen[0].dossier_id_min, seen[0].dossier_id_max) == (min(ids), max(ids))
        rejected = [json.loads(x) for x in importing.rejected_path(source).read_text("utf-8").splitlines()]
        assert [r["dong"] for r in rejected] == [6, 51]
        assert DossierEvent.objects.values("dossier_id", "seq").distinct().count() == DossierEvent.objects.count()
    finally:
        entries = projectors._projectors[importing.STREAM]
        entries[:] = [(n, p) for n, p in entries if n != "tests.import.workers"]


def test_workers_refused_where_they_cannot_run(province: None, tmp_path: Path) -> None:
    source = _write(tmp_path / "w.jsonl", [_good("W-1")])
    with pytest.raises(ValidationFailed):
        dossiers_import(path=source, workers=2)  # SQLite: one writer; PostgreSQL: inside the test's transaction
    with pytest.raises(ValidationFailed):
        dossiers_import(path=source, workers=0)
    assert not Dossier.objects.exists()


def test_split_points_keep_csv_records_whole(province: None, tmp_path: Path) -> None:
    source = tmp_path / "split.csv"
    dossiers_generate(count=30, year=2026, seed=5, out=source)
    text = source.read_text("utf-8")
    header, _, body = text.partition("\n")
    rows = body.splitlines(keepends=True)
    rows[3] = rows[3].replace("\"[", "\"[\n", 1) if "\"[" in rows[3] else rows[3]  # a quoted cell over two lines
    source.write_text(header + "\n" + "".join(rows), "utf-8")
    parts = importing.split_points(source, "csv", 4)
    assert len(parts) >= 2
    with source.open("rb") as handle:
        whole = [(r.line, r.data) for r in importing.read_csv(handle, start=0, first_line=0)]
        pieces = [(r.line, r.data) for s, e, first in parts
                  for r in importing.read_csv(handle, start=s, first_line=first, end=e)]
    assert pieces == whole and len(whole) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are a PostgreSQL path")
@pytest.mark.django_db(transaction=True)
def test_concurrent_import_of_the_same_code_retries_without_a_lock(tmp_path: Path, caplog: Any) -> None:
    """Two imports write at once (no lock between them). One holds an uncommitted batch with code X; the other
    inserts X too, so PostgreSQL makes it wait, and fails it when the first commits. That batch is rolled
    back and written again without X: every code once, nothing lost, nothing half-written."""
    import threading
    import time

    from django.db import connections
    from django.utils import timezone

    units_load_an_giang()
    procedures_load_demo()
    first = [_good("RACE-X1"), _good("RACE-X2")]
    second = _write(tmp_path / "second.jsonl", [_good("RACE-X2", ChuHoSo="Trần Thị Bình"), _good("RACE-Y1")])
    written, failures = threading.Event(), []

    def hold_then_commit() -> None:
        try:
            lookups = importing.Lookups(None)
            batch = [importing.prepare(r, lookups) for r in first]
            assert all(isinstance(p, importing.Prepared) for p in batch)
            now = timezone.now()
            with transaction.atomic():
                importing.write_batch(batch, importing._Writer(), now=now, tail=importing._dossier_tail(now),
                                      source="first")
                written.set()
                deadline = time.monotonic() + 60
                with connection.cursor() as cur:
                    while time.monotonic() < deadline:  # until the other import waits for our X2
                        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
                        if cur.fetchone()[0]:
                            break
                        time.sleep(0.02)
                    else:
                        raise AssertionError("the second import never waited for the first")
        except BaseException as exc:  # reported to the test thread
            failures.append(exc)
            written.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_then_commit)
    holder.start()
    assert written.wait(60)
    with caplog.at_level("INFO", logger="chinhquyenso.dossiers.importing"):
        report = dossiers_import(path=second)
    holder.join(60)
    assert not failures
    assert (report.imported, report.skipped_existing, report.rejected) == (1, 1, 0)
    assert sorted(Dossier.objects.values_list("code", flat=True)) == ["RACE-X1", "RACE-X2", "RACE-Y1"]
    assert Dossier.objects.get(code="RACE-X2").applicant_name == "Nguyễn Văn An"  # the first import's, untouched
    assert "collided with a concurrent import (23505)" in caplog.text
    y1 = Dossier.objects.get(code="RACE-Y1")
    assert y1.components.count() == 1 and y1.events.count() >= 2  # the retried batch is whole
    assert DossierComponent.objects.count() == 3 and DossierResult.objects.count() == 3

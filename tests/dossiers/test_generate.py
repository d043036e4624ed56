"""Synthetic province-year generator: deterministic, in the import format, rates honoured; its feedback file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.core.errors import ValidationFailed
from chinhquyenso.dossiers.generate import Rates, dossiers_generate, feedback_path, feedback_records, generate_records
from chinhquyenso.dossiers.importing import parse_moment
from chinhquyenso.feedback.rules import working_days_used
from chinhquyenso.procedures.services import procedures_load_demo
from chinhquyenso.units.services import units_load_an_giang
from chinhquyenso.workdays.calendar import get_calendar


@pytest.fixture
def province(db: Any) -> None:
    units_load_an_giang()
    procedures_load_demo()


def test_same_seed_same_bytes_other_seed_differs(province: None, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    call_command("generate", "--dossiers", "80", "--year", "2026", "--seed", "3", "--out", str(a))
    call_command("generate", "--dossiers", "80", "--year", "2026", "--seed", "3", "--out", str(b))
    call_command("generate", "--dossiers", "80", "--year", "2026", "--seed", "4", "--out", str(c))
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert len(a.read_text("utf-8").splitlines()) == 80


def test_records_are_chronological_unique_and_skewed(province: None) -> None:
    records = list(generate_records(count=2000, year=2026, seed=1))
    codes = [r["MaHoSo"] for r in records]
    assert len(set(codes)) == len(codes)
    days = [r["MaHoSo"].split("-")[1] for r in records]  # YYMMDD of receipt, as in a real dossier code
    assert days == sorted(days) and days[0].startswith("26") and days[-1].startswith("26")
    assert all(r["NgayTiepNhan"].startswith("20" + day) for r, day in zip(records, days, strict=True)
               if "NgayTiepNhan" in r)
    popularity = Counter(r["MaTTHC"] for r in records).most_common()
    assert popularity[0][1] > 5 * popularity[len(popularity) // 2][1]  # Zipf-like: a head and a long tail
    channels = Counter(r["KenhThucHien"] for r in records)
    assert channels[2] > 0 and channels[1] > channels[3] > 0


def test_rates_move_the_shares(province: None) -> None:
    none_online = list(generate_records(count=300, year=2026, seed=2,
                                        rates=Rates(online_full=0, online_partial=0, postal=0, late=0)))
    assert {r["KenhThucHien"] for r in none_online} == {1}
    for r in none_online:
        if r["TrangThaiHoSo"] in (9, 10) and r.get("NgayHenTra"):
            assert r["NgayKetThucXuLy"] <= r["NgayHenTra"]
    all_late = list(generate_records(count=300, year=2026, seed=2, rates=Rates(late=1, withdrawn=0, stopped=0)))
    finished = [r for r in all_late if r["TrangThaiHoSo"] in (9, 10) and r.get("NgayHenTra")]
    assert finished and all(r["NgayKetThucXuLy"] > r["NgayHenTra"] for r in finished)
    synced = list(generate_records(count=200, year=2026, seed=2, rates=Rates(synced=0)))
    assert not any(r["DaDongBoDVCQG"] for r in synced)


def test_bad_rate_and_csv_header(province: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="TÊN=GIÁ_TRỊ"):
        call_command("generate", "--dossiers", "1", "--year", "2026", "--out", str(tmp_path / "x.jsonl"),
                     "--rate", "late")
    with pytest.raises(CommandError, match="Không có tỷ lệ"):
        call_command("generate", "--dossiers", "1", "--year", "2026", "--out", str(tmp_path / "x.jsonl"),
                     "--rate", "nope=1")
    out = tmp_path / "x.csv"
    dossiers_generate(count=5, year=2026, seed=1, out=out)
    header, first = out.read_text("utf-8").splitlines()[:2]
    assert header.startswith("MaHoSo,MaTTHC,KenhThucHien")
    assert json.loads(json.dumps(first))  # a plain CSV line


# --- satisfaction and feedback (the .feedback.jsonl file) ------------------------------------------


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_feedback_file_does_not_change_the_dossier_bytes(province: None, tmp_path: Path) -> None:
    plain, with_fb, again, other = (tmp_path / f"{n}.jsonl" for n in ("plain", "fb", "again", "other"))
    call_command("generate", "--dossiers", "150", "--year", "2026", "--seed", "3", "--out", str(plain), "--no-feedback")
    call_command("generate", "--dossiers", "150", "--year", "2026", "--seed", "3", "--out", str(with_fb))
    call_command("generate", "--dossiers", "150", "--year", "2026", "--seed", "3", "--out", str(again),
                 "--feedback", str(tmp_path / "named.jsonl"))
    call_command("generate", "--dossiers", "150", "--year", "2026", "--seed", "4", "--out", str(other))
    assert not feedback_path(plain).exists()
    assert plain.read_bytes() == with_fb.read_bytes() == again.read_bytes()  # the feedback stream is separate
    assert feedback_path(with_fb) == tmp_path / "fb.feedback.jsonl"
    assert feedback_path(with_fb).read_bytes() == (tmp_path / "named.jsonl").read_bytes()  # deterministic
    assert feedback_path(with_fb).read_bytes() != feedback_path(other).read_bytes()
    kinds = Counter(r["LoaiBanGhi"] for r in _lines(feedback_path(with_fb)))
    assert kinds["DanhGiaHoSo"] > 0 and set(kinds) <= {"DanhGiaHoSo", "PAKN"}
    # the same records whether written beside the dossiers or derived afterwards from the dossier file
    derived = list(feedback_records(_lines(with_fb), year=2026, seed=3))
    assert derived == _lines(feedback_path(with_fb))


def test_feedback_rates_move_ratings_and_petitions(province: None) -> None:
    dossiers = list(generate_records(count=400, year=2026, seed=6))
    finished = [d for d in dossiers if d["TrangThaiHoSo"] in (9, 10)]
    judged = Rates(rated=1, dislike_on_time=0, dislike_late=1, petition_dossier=0, petition_other=0)
    ratings = list(feedback_records(dossiers, year=2026, seed=6, rates=judged))
    assert {r["LoaiBanGhi"] for r in ratings} == {"DanhGiaHoSo"}
    assert len(ratings) == len([d for d in finished if d["MaHoSo"] in {r["MaHoSo"] for r in ratings}]) > 300
    by_code = {d["MaHoSo"]: d for d in finished}
    for r in ratings:
        d = by_code[r["MaHoSo"]]
        late = d["NgayKetThucXuLy"] > d["NgayHenTra"] or len(d.get("DanhSachHoSoBoSung", ())) >= 2
        assert r["HaiLong"] == int(not late)
        assert r["NgayDanhGia"] >= d.get("NgayTra", d["NgayKetThucXuLy"])

    cal = get_calendar(years=(2026, 2027))
    quick = Rates(rated=0, petition_other=0.5, petition_dossier=0.2, petition_late=0, petition_refused=0,
                  petition_info_request=0, petition_raised_again=0, petition_regulation=1, petition_staff=0)
    petitions = list(feedback_records(dossiers, year=2026, seed=6, rates=quick))
    assert len(petitions) > 150 and all(p["LoaiBanGhi"] == "PAKN" for p in petitions)
    assert len({p["MaPAKN"] for p in petitions}) == len(petitions)
    assert any("MaHoSo" in p for p in petitions) and any("MaHoSo" not in p for p in petitions)
    assert {p["ChuDe"] for p in petitions if "MaHoSo" not in p} == {1}
    answered = [p for p in petitions if "NgayTraLoi" in p]
    assert answered and all(
        working_days_used(parse_moment(p["NgayTiepNhan"]), parse_moment(p["NgayTraLoi"]).date(), cal) <= 15
        for p in answered)
    slow = list(feedback_records(dossiers, year=2026, seed=6, rates=Rates(
        rated=0, petition_other=0.5, petition_late=1, petition_refused=0, petition_info_request=0)))
    assert all(working_days_used(parse_moment(p["NgayTiepNhan"]), parse_moment(p["NgayTraLoi"]).date(), cal) > 15
               for p in slow if "NgayTraLoi" in p and "MaPAKNGoc" not in p)
    again = [p for p in slow if "MaPAKNGoc" in p]
    codes = [p["MaPAKN"] for p in slow]
    assert again and all(codes.index(p["MaPAKNGoc"]) < codes.index(p["MaPAKN"]) for p in again)  # original first
    none = list(feedback_records(dossiers, year=2026, seed=6, rates=Rates(rated=0, petition_dossier=0,
                                                                          petition_other=0)))
    assert none == []
    with pytest.raises(ValidationFailed):
        Rates(petition_regulation=0.8, petition_staff=0.3)

"""Synthetic province-year generator: deterministic, in the import format, rates honoured."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.dossiers.generate import Rates, dossiers_generate, generate_records
from chinhquyenso.procedures.services import procedures_load_demo
from chinhquyenso.units.services import units_load_an_giang


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

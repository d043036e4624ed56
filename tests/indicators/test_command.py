"""``chinhquyenso indicators``: score, definitions, classify; bad input exits 2 with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_score_prints_the_points() -> None:
    assert run("score", "DOSSIER_ON_TIME", "393087", "443565").strip() == "17.72"
    assert run("score", "REUSED_DIGITIZED_DATA", "82645", "443565", "--on", "10/10/2026").strip() == "0.47"
    assert run("score", "PETITION_PROCESSING_ON_TIME", "0", "0", "--on", "2026-10-10").strip() == "6.00"
    assert run("score", "DOSSIER_SYNC", "0", "0", "--fallback-denominator", "100").strip() == "0.00"


def test_score_detail() -> None:
    line = run("score", "DOSSIER_ON_TIME", "393087", "443565", "--detail").strip()
    assert line == "DOSSIER_ON_TIME: tỷ lệ/rate 88.62%  điểm/points 17.72/20  còn mất/at stake 2.28"


def test_definitions_table() -> None:
    lines = run("definitions", "--on", "2026-10-10").splitlines()
    assert lines[0].split() == ["CODE", "REF", "GROUP", "MAX", "TARGET", "ZERO_DENOMINATOR", "CERTAINTY"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert len(rows) == 24
    assert rows["DOSSIER_ON_TIME"] == ["DOSSIER_ON_TIME", "2.1", "TDGQ", "20", "100%", "zero", "certain"]
    assert rows["DOSSIER_RECEIVING_SATISFACTION"][3:5] == ["6", "90%"]
    assert rows["ONLINE_DOSSIER"][-1] == "uncertain"
    assert rows["PETITION_HANDLING_SATISFACTION"][5] == "full_points"
    assert rows["DOSSIER_SYNC"][5] == "prior_year"


def test_classify() -> None:
    assert run("classify", "76.37").strip() == "Khá"
    assert run("classify", "90").strip() == "Xuất sắc"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "NOPE", "1", "2"), "Không có chỉ số mã 'NOPE'"),
        (("score", "DOSSIER_ON_TIME", "5", "2"), "lớn hơn mẫu số"),
        (("score", "DOSSIER_ON_TIME", "một", "2"), "phải là số"),
        (("score", "DOSSIER_ON_TIME", "-1", "2"), "không được âm"),
        (("score", "DOSSIER_ON_TIME", "1", "2", "--on", "32/01/2026"), "Ngày không hợp lệ"),
        (("score", "DOSSIER_ON_TIME", "1", "2", "--on", "2020-01-01"), "Không có chỉ số"),
        (("definitions", "--on", "2021-01-01"), "Không có định nghĩa"),
        (("classify", "abc"), "phải là số"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(args, message) -> None:
    with pytest.raises(CommandError, match=message) as info:
        run(*args)
    assert info.value.returncode == 2


def test_real_cli_entry_point(tmp_path) -> None:
    """The installed ``chinhquyenso`` command on a fresh SQLite database: prints 17.72; bad code exits 2."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CHINHQUYENSO_DATA_DIR"] = str(tmp_path)
    cli = [sys.executable, "-m", "chinhquyenso"]
    migrated = subprocess.run([*cli, "migrate", "-v", "0"], capture_output=True, text=True, env=env)
    assert migrated.returncode == 0, migrated.stderr
    ok = subprocess.run([*cli, "indicators", "score", "DOSSIER_ON_TIME", "393087", "443565"],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout == "17.72\n"
    bad = subprocess.run([*cli, "indicators", "score", "NOPE", "1", "2"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "Không có chỉ số mã 'NOPE'" in bad.stderr
    usage = subprocess.run([*cli, "indicators", "score", "DOSSIER_ON_TIME"], capture_output=True, text=True, env=env)
    assert usage.returncode == 2
    helped = subprocess.run([*cli, "indicators", "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0 and "Chỉ số 766" in helped.stdout and "Decision 766" in helped.stdout

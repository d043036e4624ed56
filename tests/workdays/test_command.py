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
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_add_and_between() -> None:
    assert run("add", "2026-02-12", "5").strip() == "2026-02-26"
    assert run("add", "12/02/2026", "5").strip() == "2026-02-26"
    assert run("add", "2026-02-26", "-5").strip() == "2026-02-12"
    assert run("between", "2026-02-12", "2026-02-26").strip() == "5"
    assert run("between", "2026-02-26", "2026-02-12").strip() == "-5"
    assert run("add", "2026-02-13T17:30", "1").strip() == "2026-02-24T07:00+07:00"


def test_deadline() -> None:
    assert run("deadline", "2026-02-13T17:30", "1", "working_day").strip() == "2026-02-24T17:00+07:00"
    assert run("deadline", "12/02/2026 09:00", "3", "Giờ").strip() == "2026-02-12T14:00+07:00"


def test_list_marks_make_up_saturdays() -> None:
    lines = run("list", "2026").splitlines()
    assert "17/02/2026  Tết Nguyên Đán" in lines
    assert "24/11/2026  Ngày Văn hóa Việt Nam" in lines
    assert "22/08/2026  [làm bù] Ngày làm việc bù (cho ngày 31/08/2026)" in lines
    assert not any(line.startswith("26/04/2026") for line in lines)  # Sunday: not listed
    assert lines.index("22/08/2026  [làm bù] Ngày làm việc bù (cho ngày 31/08/2026)") < next(
        i for i, line in enumerate(lines) if line.startswith("31/08/2026")
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-13-01", "5"), "Ngày không hợp lệ"),
        (("add", "2026-02-12", "năm"), "số nguyên"),
        (("between", "hôm nay", "2026-02-12"), "Ngày không hợp lệ"),
        (("list", "1800"), "Năm phải"),
        (("deadline", "2026-02-12T09:00", "1", "tuần"), "Đơn vị thời gian"),
        (("deadline", "2026-02-12T09:00", "-1", "day"), "không âm"),
        (("deadline", "hôm qua", "1", "day"), "Thời điểm không hợp lệ"),
    ],
)
def test_bad_input_is_a_clear_error(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_cli_exit_codes_and_bilingual_help(tmp_path) -> None:
    """The real ``chinhquyenso`` entry point: success prints the date, bad input exits non-zero."""
    env = {**os.environ, "CHINHQUYENSO_DATA_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "chinhquyenso"]
    ok = subprocess.run([*cli, "workdays", "add", "2026-02-12", "5"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout.strip() == "2026-02-26"
    bad = subprocess.run([*cli, "workdays", "add", "2026-02-30", "5"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "Ngày không hợp lệ" in bad.stderr
    helped = subprocess.run([*cli, "workdays", "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0 and "Lịch làm việc" in helped.stdout and "Working calendar" in helped.stdout

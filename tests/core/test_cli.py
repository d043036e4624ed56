import os
import subprocess
import sys

from chinhquyenso.cli import HELP, main


def test_help_is_bilingual(capsys):
    main(["--help"])
    out = capsys.readouterr().out
    assert out == HELP
    assert "Cách dùng / usage" in out and "create-token USERNAME" in out and "audit-verify" in out


def _run(args, **env):
    full_env = {**os.environ, **env}
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process, never in deployment
    return subprocess.run([sys.executable, "-m", "chinhquyenso", *args], env=full_env, capture_output=True,
                          text=True, timeout=120)


def test_hyphenated_commands_map_to_management_commands(tmp_path):
    result = _run(["workdays", "add", "2026-02-12", "5"], CHINHQUYENSO_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-02-26"


def test_production_settings_pass_check_deploy(tmp_path):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        CHINHQUYENSO_DATA_DIR=str(tmp_path), CHINHQUYENSO_ENV="production",
        CHINHQUYENSO_ALLOWED_HOSTS="dichvucong.example.gov.vn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

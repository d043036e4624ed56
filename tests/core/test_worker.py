import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from chinhquyenso.core import jobs


@pytest.mark.django_db(transaction=True)  # the worker closes connections that are inside a transaction
def test_worker_once_runs_every_registered_job():
    Session.objects.create(session_key="old", session_data="x", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="x", expire_date=timezone.now() + timedelta(days=1))
    ran = []
    jobs.register("test-probe", lambda: ran.append(1), every_seconds=3600)
    try:
        out = StringIO()
        call_command("worker", "--once", stdout=out)
    finally:
        jobs._jobs.pop("test-probe", None)
    assert ran == [1]
    assert "housekeeping" in out.getvalue()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "CHINHQUYENSO_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)  # its own empty SQLite database: jobs fail and are logged, the loop goes on
    proc = subprocess.Popen(
        [sys.executable, "-m", "chinhquyenso", "worker", "--tick", "0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("worker: jobs")
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "worker: stopped" in output

"""``chinhquyenso feedback-rules``: list, add a dated version, print deadlines."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chinhquyenso.feedback.models import FeedbackRuleSet
from tests.feedback.conftest import ensure_766_rules

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("feedback_rules", *args, stdout=out)
    return out.getvalue()


def test_list_add_and_due() -> None:
    ensure_766_rules()
    assert "QD766-2022\t23/06/2022 – nay / now\ttrả lời 15, từ chối 2" in run("list")
    assert run("due", "2026-02-13T10:00").splitlines() == [
        "QD766-2022", "từ chối / refuse\t24/02/2026", "bổ sung lần đầu / first info request\t27/02/2026",
        "trả lời / reply\t13/03/2026",
    ]
    run("add", "--code", "NEW-2027", "--name", "Thời hạn 2027", "--valid-from", "01/01/2027", "--reply-days", "10",
        "--refuse-days", "2", "--first-info-request-days", "3", "--publish-days", "2", "--in-progress-days", "10")
    assert FeedbackRuleSet.objects.get(code="QD766-2022").valid_to is not None
    assert run("due", "2027-03-01T09:00").splitlines()[0] == "NEW-2027"
    with pytest.raises(CommandError):
        run("due", "2020-01-01T09:00")
    with pytest.raises(CommandError):
        run("due", "hôm qua")

"""The catalog admin renders; saved process versions cannot be edited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.procedures.models import Procedure, ProcessVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("quantri", "qt@example.vn", "mat-khau-rat-dai-123")
    login_verified(client, user)
    return client


def test_admin_pages_render(admin_client, demo):
    procedure = Procedure.objects.get(code="1.001193")
    for url in ("/quan-tri/procedures/procedure/", f"/quan-tri/procedures/procedure/{procedure.pk}/change/",
                "/quan-tri/procedures/processversion/", "/quan-tri/procedures/processversion/add/"):
        assert admin_client.get(url).status_code == 200, url


def test_saved_process_version_is_read_only(admin_client, demo):
    version = ProcessVersion.objects.first()
    assert version is not None
    url = f"/quan-tri/procedures/processversion/{version.pk}/change/"
    response = admin_client.post(url, {"procedure": version.procedure_id, "valid_from": "2030-01-01", "note": "x"})
    assert response.status_code == 403
    version.refresh_from_db()
    assert str(version.valid_from) != "2030-01-01"


def _version_form(procedure: Procedure, durations: list[str]) -> dict[str, object]:
    data: dict[str, object] = {
        "procedure": procedure.pk, "valid_from": "2026-01-01", "note": "Quy trình rút gọn",
        "steps-TOTAL_FORMS": str(len(durations)), "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
    }
    roles = ["one_stop_officer", "processing_officer", "one_stop_officer"]
    actions = ['["forward"]', '["forward", "return"]', '["finish"]']
    for i, duration in enumerate(durations):
        data.update({
            f"steps-{i}-order": str(i + 1), f"steps-{i}-code": f"B{i + 1}", f"steps-{i}-name": f"Bước {i + 1}",
            f"steps-{i}-role": roles[i], f"steps-{i}-agency_kind": "", f"steps-{i}-duration_amount": duration,
            f"steps-{i}-duration_unit": "hour", f"steps-{i}-allowed_actions": actions[i],
        })
    return data


def test_new_process_version_from_admin_must_fit_the_time_limit(admin_client, demo):
    procedure = Procedure.objects.get(code="1.001193")  # 1 working day = 8 working hours
    url = "/quan-tri/procedures/processversion/add/"
    response = admin_client.post(url, _version_form(procedure, ["1", "4", "1"]))
    assert response.status_code == 200 and "Tổng thời gian" in response.content.decode()
    assert procedure.process_versions.count() == 1
    response = admin_client.post(url, _version_form(procedure, ["2", "4", "2"]))
    assert response.status_code == 302
    latest = procedure.process_versions.order_by("-version").first()
    assert latest is not None and latest.version == 2 and latest.steps.count() == 3

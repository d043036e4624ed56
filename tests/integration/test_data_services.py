"""Data-service registry: calls recorded after the HTTP call, idle services flagged (PAR 7.1.4), the mock
population database, prefill of a dossier's applicant and DSKetNoiCSDL in the sync payload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, NotFound, ValidationFailed
from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.integration.data_services import (
    citizen_lookup_prefill,
    data_service_call,
    data_service_register,
    data_service_usage,
    data_services_unused,
)
from chinhquyenso.integration.mock_citizen_db import MockCitizenDB
from chinhquyenso.integration.models import DataService, DataServiceCall
from chinhquyenso.integration.national_portal import build_sync_payload
from tests.dossiers.conftest import components_for
from tests.dossiers.factories import build_province

KNOWN = "089099000001"


@pytest.fixture
def citizen_db() -> Iterator[MockCitizenDB]:
    mock = MockCitizenDB(port=0).start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def population(db, citizen_db) -> DataService:
    return data_service_register(code="CSDLQGDC", name="CSDL quốc gia về dân cư", endpoint=citizen_db.url,
                                 provider="Bộ Công an", purpose="Xác thực, điền sẵn thông tin công dân")


def test_register_validates_and_updates(db) -> None:
    with pytest.raises(ValidationFailed):
        data_service_register(code="x y", name="A", endpoint="http://127.0.0.1:1")
    with pytest.raises(ValidationFailed):
        data_service_register(code="DKDN", name="Đăng ký doanh nghiệp", endpoint="ftp://127.0.0.1")
    assert not DataService.objects.exists()
    service = data_service_register(code="DKDN", name="Đăng ký doanh nghiệp", endpoint="http://127.0.0.1:1/")
    again = data_service_register(code="DKDN", name="CSDL đăng ký doanh nghiệp", endpoint="http://127.0.0.1:2")
    assert again.pk == service.pk and again.name == "CSDL đăng ký doanh nghiệp" and again.endpoint.endswith(":2")
    assert AuditEvent.objects.filter(action="integration.data_service_register").count() == 2


def test_mock_requires_the_token(citizen_db) -> None:
    import httpx

    assert httpx.get(f"{citizen_db.url}/api/citizens/{KNOWN}").status_code == 401
    ok = httpx.get(f"{citizen_db.url}/api/citizens/{KNOWN}", headers={"Authorization": "Bearer dev-citizen-db-token"})
    assert ok.status_code == 200 and ok.json()["full_name"] == "Nguyễn Thị Thử"
    missing = httpx.get(f"{citizen_db.url}/api/citizens/089099999999",
                        headers={"Authorization": "Bearer dev-citizen-db-token"})
    assert missing.status_code == 404
    with pytest.raises(ValueError):
        MockCitizenDB(host="8.8.8.8", port=0)


def test_calls_are_recorded_and_unused_services_flagged(population, citizen_db) -> None:
    idle = data_service_register(code="DKDN", name="Đăng ký doanh nghiệp", endpoint="http://127.0.0.1:9")
    assert {s.code for s in data_services_unused()} == {"CSDLQGDC", "DKDN"}
    result = data_service_call(code="CSDLQGDC", path=f"/api/citizens/{KNOWN}",
                               headers={"Authorization": "Bearer dev-citizen-db-token"}, caller_label="thử")
    assert result.ok and result.http_status == 200 and result.data["date_of_birth"] == "1990-05-17"
    down = data_service_call(code="DKDN", path="/api/x", timeout=1.0)  # nothing listens on port 9
    assert not down.ok and down.http_status is None and down.error
    assert [s.code for s in data_services_unused()] == ["DKDN"]  # a failed call is not a transaction
    usage = {u.service.code: u for u in data_service_usage()}
    assert (usage["CSDLQGDC"].calls, usage["CSDLQGDC"].ok_calls, usage["DKDN"].calls) == (1, 1, 1)
    # Calls older than the window do not count.
    DataServiceCall.objects.filter(service=population).update(occurred_at=timezone.now() - timedelta(days=31))
    assert {s.code for s in data_services_unused()} == {"CSDLQGDC", "DKDN"}
    assert KNOWN not in "".join(DataServiceCall.objects.values_list("error", flat=True))
    idle.active = False
    idle.save()
    with pytest.raises(Conflict):
        data_service_call(code="DKDN", path="/")
    with pytest.raises(NotFound):
        data_service_call(code="KHONGCO", path="/")


def test_prefill_then_receive_sets_population_flag(db, citizen_db) -> None:
    world = build_province()
    data_service_register(code="CSDLQGDC", name="CSDL quốc gia về dân cư", endpoint=citizen_db.url)
    fields = citizen_lookup_prefill(id_number=KNOWN, actor=world.counter_a)
    assert fields == {"name": "Nguyễn Thị Thử", "id_number": KNOWN, "date_of_birth": "1990-05-17",
                      "address": "Ấp Phú Hiệp, xã An Phú, tỉnh An Giang", "used_population_data": True}
    assert citizen_db.lookups == 1 and DataServiceCall.objects.get().caller == world.counter_a
    audit = AuditEvent.objects.get(action="integration.citizen_lookup")
    assert KNOWN not in str(audit.summary) and audit.summary["found"] is True
    applicant = dossier_services.ApplicantInput(name=fields["name"], id_number=fields["id_number"],
                                                address=fields["address"])
    dossier = dossier_services.dossier_receive(
        actor=world.counter_a, procedure=world.procedure, agency=world.ubnd_a, applicant=applicant,
        components=components_for(world), used_population_data=fields["used_population_data"])
    dossier.refresh_from_db()
    assert dossier.used_population_data and not dossier.vneid_verified
    assert build_sync_payload(dossier, None)["DSKetNoiCSDL"] == [{"MaCSDL": "CSDLQGDC"}]
    plain = dossier_services.dossier_receive(
        actor=world.counter_a, procedure=world.procedure, agency=world.ubnd_a, applicant=applicant,
        components=components_for(world))
    assert not plain.used_population_data and build_sync_payload(plain, None)["DSKetNoiCSDL"] == []


def test_prefill_errors(population, citizen_db) -> None:
    with pytest.raises(ValidationFailed):
        citizen_lookup_prefill(id_number="12ab", actor=None)
    assert not DataServiceCall.objects.exists()
    with pytest.raises(NotFound):
        citizen_lookup_prefill(id_number="089099999999", actor=None)
    call = DataServiceCall.objects.get()
    assert (call.ok, call.http_status) == (False, 404)
    citizen_db.server.token = "rotated"
    with pytest.raises(Conflict):
        citizen_lookup_prefill(id_number=KNOWN, actor=None)


def test_page_lists_services_with_the_idle_warning(world, population, citizen_db, client, django_user_model) -> None:
    data_service_register(code="DKDN", name="Đăng ký doanh nghiệp", endpoint="http://127.0.0.1:9")
    data_service_call(code="CSDLQGDC", path=f"/api/citizens/{KNOWN}",
                      headers={"Authorization": "Bearer dev-citizen-db-token"})
    url = reverse("integration:data_services")
    assert client.get(url).status_code == 302
    officer = django_user_model.objects.create(username="chuyenvien", full_name="A")
    RoleAssignment.objects.create(user=officer, role=Role.PROCESSING_OFFICER, agency=world.ubnd_xa)
    login_verified(client, officer)
    assert client.get(url).status_code == 403
    auditor = django_user_model.objects.create(username="thanhtra", full_name="B")
    RoleAssignment.objects.create(user=auditor, role=Role.AUDITOR, unit=world.province)
    login_verified(client, auditor)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    rows = {code: html.split(f'data-testid="service-{code}"')[1].split("</tr>")[0] for code in ("CSDLQGDC", "DKDN")}
    assert "không phát sinh giao dịch 30 ngày" in rows["DKDN"]
    assert "không phát sinh giao dịch" not in rows["CSDLQGDC"] and "1 / 1" in rows["CSDLQGDC"]

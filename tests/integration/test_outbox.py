"""The outbox row is written by the projector in the dossier change's own transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.core import jobs, projectors
from chinhquyenso.dossiers.models import Dossier, DossierEvent
from chinhquyenso.dossiers.services import ApplicantInput, ComponentInput, dossier_receive
from chinhquyenso.integration.models import OutboxMessage, OutboxStatus
from chinhquyenso.procedures.models import ProcedureFee, ProcessStep, ProcessVersion

from .factories import build_world, make_dossier, record_event


@pytest.fixture
def counter_officer(world, django_user_model):
    """A one-stop officer at the commune, and a procedure with an internal process and a fee."""
    user = django_user_model.objects.create(username="motcua", full_name="Trần Thị Bình")
    RoleAssignment.objects.create(user=user, role=Role.ONE_STOP_OFFICER, agency=world.ubnd_xa)
    process = ProcessVersion.objects.create(procedure=world.procedure, version=1, valid_from=dt.date(2020, 1, 1))
    ProcessStep.objects.create(process=process, order=1, code="B1", name="Tiếp nhận", role=Role.ONE_STOP_OFFICER,
                               duration_amount=1, allowed_actions=["forward"])
    ProcedureFee.objects.create(procedure=world.procedure, code="LP01", name="Lệ phí đăng ký khai sinh", amount=8000)
    return user


def _receive(world, actor) -> Dossier:
    return dossier_receive(
        actor=actor, procedure=world.procedure, agency=world.ubnd_xa,
        applicant=ApplicantInput(name="Lê Văn Cường", id_number="089201000999"),
        components=[ComponentInput(procedure_component=world.component, digitized=True)],
        summary="Đăng ký khai sinh",
    )


def test_projector_and_jobs_are_registered() -> None:
    assert "integration.national_portal" in projectors.registered("dossier")
    names = {job.name: job.every_seconds for job in jobs.registered()}
    assert names["outbox-drain"] == 1 and names["reconcile"] == 3600


def test_dossier_receive_writes_one_outbox_row(world, counter_officer) -> None:
    dossier = _receive(world, counter_officer)
    event = DossierEvent.objects.get(dossier=dossier)
    message = OutboxMessage.objects.get()
    assert (message.key, message.seq, message.event_id, message.dossier_id) == (dossier.code, 1, event.pk, dossier.pk)
    assert message.idempotency_key == f"{dossier.code}:1" and message.status == OutboxStatus.PENDING
    assert message.payload["TrangThaiHoSo"] == 2 and message.payload["KenhThucHien"] == 1
    assert message.payload["HoSoCoThanhPhanSoHoa"] == 1
    assert message.payload["DanhSachLePhi"][0]["Gia"] == 8000
    assert message.payload["tienTrinh"]["NguoiXuLy"] == "Trần Thị Bình"


def test_outbox_row_rolls_back_with_the_dossier_change(world, counter_officer) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _receive(world, counter_officer)
        assert OutboxMessage.objects.count() == 1  # written inside the same transaction...
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert Dossier.objects.count() == 0 and DossierEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0  # ...and gone with it


def test_failing_projector_rolls_the_dossier_change_back(world) -> None:
    dossier = make_dossier(world)
    # A row already holding the next message's idempotency key makes the projector fail.
    OutboxMessage.objects.create(key=dossier.code, seq=2, idempotency_key=f"{dossier.code}:2", payload={})
    with pytest.raises(IntegrityError):
        record_event(dossier, "forwarded", to_status=4)
    dossier.refresh_from_db()
    assert dossier.status == 2 and DossierEvent.objects.filter(dossier=dossier).count() == 1


@pytest.mark.django_db(transaction=True)
def test_worker_runs_only_the_outbox_drain_job(portal, monkeypatch) -> None:
    """The real worker command (it recycles connections between jobs, so no test transaction around it)."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    from chinhquyenso.integration import services

    monkeypatch.setenv("CHINHQUYENSO_NATIONAL_PORTAL_URL", portal.url)
    monkeypatch.setattr(services, "_job_client", None)  # the job's client reads the environment when made
    world = build_world()
    make_dossier(world)
    make_dossier(world)
    out = StringIO()
    call_command("worker", "--once", "--only", "outbox-drain", stdout=out)
    assert "jobs outbox-drain\n" in out.getvalue()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}
    assert portal.stats()["applied"] == 2
    with pytest.raises(CommandError, match="unknown job"):
        call_command("worker", "--once", "--only", "no-such-job", stdout=out)
    if services._job_client is not None:
        services._job_client.close()

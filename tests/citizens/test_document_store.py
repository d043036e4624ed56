"""The citizen document store: filled by the projector on dossier events (results, digitized
components), idempotent; uploads by the citizen; reuse at the counter with recorded consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.citizens import selectors, services
from chinhquyenso.citizens.models import CitizenDocument, ConsentMethod, DocumentOrigin, DocumentReuseConsent
from chinhquyenso.core import projectors
from chinhquyenso.core.errors import NotFound, PermissionDenied, ValidationFailed
from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.workdays.calendar import add_months
from tests.citizens.helpers import finish, make_pdf, store_document, submit_online

pytestmark = pytest.mark.django_db


def test_projector_is_registered() -> None:
    assert "citizens.document_store" in projectors.registered("dossier")


def test_digitized_components_and_results_enter_the_owners_store(world, alice) -> None:  # type: ignore[no-untyped-def]
    dossier = submit_online(world, alice)
    assert not CitizenDocument.objects.exists()  # the citizen's own uploads are not "issued" documents
    component = dossier.components.get(procedure_component=world.components[0])
    dossier_services.dossier_mark_digitized(dossier=dossier, actor=world.counter_a, component=component)
    scanned = CitizenDocument.objects.get(owner=alice)
    assert (scanned.origin, scanned.source_dossier, scanned.source_component, scanned.file_id) == (
        DocumentOrigin.DIGITIZED_COMPONENT, dossier, component, component.file_id)

    dossier = finish(world, Dossier.objects.get(pk=dossier.pk))
    result = dossier.results.get()
    doc = CitizenDocument.objects.get(owner=alice, origin=DocumentOrigin.RESULT)
    assert (doc.name, doc.document_type, doc.source_dossier, doc.source_result, doc.file_id) == (
        "Giấy khai sinh", "giay_khai_sinh", dossier, result, result.file_id)
    issued_day = timezone.localtime(result.issued_at).date()
    assert doc.valid_until == add_months(issued_day, 12) - dt.timedelta(days=1)
    assert AuditEvent.objects.filter(action="citizen_document.add").count() == 2

    # Returning the result, and any replay of the projector, adds nothing twice.
    dossier_services.dossier_return_result(dossier=dossier, actor=world.counter_a)
    assert services.document_store_sync(dossier=dossier) == []
    assert CitizenDocument.objects.filter(owner=alice).count() == 2


def test_reused_document_digitized_again_is_not_duplicated(world, alice) -> None:  # type: ignore[no-untyped-def]
    cccd = store_document(alice)
    dossier = submit_online(world, alice, reuse=cccd)
    reused = dossier.components.get(reused=True)
    dossier_services.dossier_mark_digitized(dossier=dossier, actor=world.counter_a, component=reused)
    assert list(CitizenDocument.objects.filter(owner=alice)) == [cccd]


def _applicant() -> dossier_services.ApplicantInput:
    return dossier_services.ApplicantInput(name="Nguyễn Văn An", id_number="089203001234")


def test_dossiers_without_a_citizen_owner_fill_no_store(world) -> None:  # type: ignore[no-untyped-def]
    scan = dossier_services.UploadInput(make_pdf("scan"), "scan.pdf")
    d = dossier_services.dossier_receive(
        actor=world.counter_a, procedure=world.procedure, agency=world.ubnd_a, applicant=_applicant(),
        components=[dossier_services.ComponentInput(procedure_component=pc, upload=scan, digitized=True)
                    for pc in world.components[:2]])
    assert d.citizen is None and d.has_digitized and not CitizenDocument.objects.exists()


def test_store_page_upload_download_and_delete(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(reverse("citizens:documents"), {
        "name": "Căn cước công dân", "document_type": "cccd", "valid_until": "2099-12-31",
        "file": SimpleUploadedFile("cccd.pdf", make_pdf("CCCD"))})
    assert response.status_code == 302
    doc = CitizenDocument.objects.get(owner=alice)
    assert (doc.origin, doc.document_type, doc.valid_until) == (DocumentOrigin.UPLOAD, "cccd", dt.date(2099, 12, 31))
    page = alice_client.get(reverse("citizens:documents")).content.decode()
    assert "Căn cước công dân" in page and "31/12/2099" in page
    download = alice_client.get(reverse("citizens:document_download", args=[doc.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    bad_type = alice_client.post(reverse("citizens:documents"), {"name": "X", "document_type": "khong-co",
                                                                 "file": SimpleUploadedFile("x.pdf", make_pdf())})
    assert bad_type.status_code == 400
    alice_client.post(reverse("citizens:document_delete", args=[doc.pk]))
    assert not CitizenDocument.objects.exists()


def test_issued_documents_cannot_be_deleted(world, alice) -> None:  # type: ignore[no-untyped-def]
    finish(world, submit_online(world, alice))
    doc = CitizenDocument.objects.get(owner=alice)
    with pytest.raises(Exception) as refused:
        services.document_delete(citizen=alice, document=doc)
    assert getattr(refused.value, "code", "") == "document_not_deletable"
    assert CitizenDocument.objects.filter(pk=doc.pk).exists()


def test_result_is_reused_in_a_later_dossier(world, alice) -> None:  # type: ignore[no-untyped-def]
    """The birth certificate issued by the first dossier stands in for a component of the next one."""
    finish(world, submit_online(world, alice))
    world.components[1].document_type = "giay_khai_sinh"
    world.components[1].save(update_fields=["document_type"])
    matches = list(selectors.citizen_documents_for_component(alice, world.components[1]))
    assert [d.origin for d in matches] == [DocumentOrigin.RESULT]
    later = selectors.citizen_documents_for_component(alice, world.components[1],
                                                      on=timezone.localdate() + dt.timedelta(days=400))
    assert not later.exists()  # valid 12 months only


def test_counter_reuse_with_recorded_consent(world, alice) -> None:  # type: ignore[no-untyped-def]
    cccd = store_document(alice)
    store_document(alice, name="CCCD cũ", valid_until=timezone.localdate() - dt.timedelta(days=1))
    store_document(alice, document_type="giay_khai_sinh", name="Giấy khai sinh")
    _, _, gttt = world.components
    assert selectors.citizen_find_for_counter("lan@example.vn") == alice
    assert selectors.citizen_find_for_counter("khong-ai") is None
    offered = list(selectors.citizen_documents_for_component(alice, gttt))
    assert offered == [cccd]  # same type, still valid

    consent = services.document_reuse_consent_record(
        officer=world.counter_a, agency=world.ubnd_a, citizen=alice, document=cccd, procedure_component=gttt,
        method=ConsentMethod.SIGNED)
    assert consent.officer == world.counter_a and "Giấy tờ tùy thân" in consent.purpose
    tk, gcs, _ = world.components
    d = dossier_services.dossier_receive(
        actor=world.counter_a, procedure=world.procedure, agency=world.ubnd_a, applicant=_applicant(),
        components=[dossier_services.ComponentInput(procedure_component=tk),
                    dossier_services.ComponentInput(procedure_component=gcs),
                    dossier_services.ComponentInput(procedure_component=gttt, file=consent.document.file,
                                                    reused=True, copy_type="electronic")])
    assert d.has_reused and d.components.get(procedure_component=gttt).reused
    assert AuditEvent.objects.filter(action="citizen_document.reuse_consent", actor_id=world.counter_a.pk).exists()

    with pytest.raises(PermissionDenied):  # not a one-stop officer
        services.document_reuse_consent_record(officer=world.processor_a, agency=world.ubnd_a, citizen=alice,
                                               document=cccd)
    with pytest.raises(PermissionDenied):  # another commune's counter
        services.document_reuse_consent_record(officer=world.counter_b, agency=world.ubnd_a, citizen=alice,
                                               document=cccd)
    with pytest.raises(ValidationFailed):  # wrong type for the component
        services.document_reuse_consent_record(officer=world.counter_a, agency=world.ubnd_a, citizen=alice,
                                               document=cccd, procedure_component=tk)
    other = services.citizen_register(full_name="Người khác", identifier="khac@example.vn",
                                      password="Mat-khau-that-dai-2026!")
    with pytest.raises(NotFound):
        services.document_reuse_consent_record(officer=world.counter_a, agency=world.ubnd_a, citizen=other,
                                               document=cccd)
    assert DocumentReuseConsent.objects.count() == 1

"""Online submission from the citizen pages and the API: uploads, reuse from the store (flags for
766 indicator 4.3), drafts, full-online without paper, refused uploads stored nowhere."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.citizens import services
from chinhquyenso.citizens.models import SubmissionDraft
from chinhquyenso.core.errors import NotFound, ValidationFailed
from chinhquyenso.dossiers.models import Dossier, Status
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import CopyType, ServiceLevel
from tests.citizens.helpers import make_pdf, make_png, store_document, submit_online

pytestmark = pytest.mark.django_db


def _field(pc: Any, suffix: str) -> str:
    return f"c{pc.pk}_{suffix}"


def _applicant(world: Any, **extra: Any) -> dict[str, Any]:
    data = {"applicant_name": "Trần Thị Lan", "applicant_id_number": "089203001234", "applicant_phone": "0987654321",
            "applicant_email": "lan@example.vn", "applicant_address": "Ấp Phú Hiệp", "agency": str(world.ubnd_a.pk),
            "summary": "Khai sinh cho con"}
    data.update(extra)
    return data


def _blobs() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts] if root.exists() else []


def test_form_is_prefilled_and_offers_matching_store_documents(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    store_document(alice)
    store_document(alice, document_type="giay_chung_nhan_ket_hon", name="Giấy chứng nhận kết hôn")
    page = alice_client.get(reverse("citizens:submit_new", args=[world.procedure.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="Trần Thị Lan"' in html and 'value="lan@example.vn"' in html
    assert html.count("Dùng giấy tờ trong kho của tôi") == 1  # only the ID component has a match
    assert "Căn cước công dân" in html and "Giấy chứng nhận kết hôn" not in html
    assert "Nộp bản giấy khi nhận kết quả" not in html  # full-online: never paper


def test_submit_with_upload_and_reuse_sets_the_flags(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    doc = store_document(alice)
    tk, gcs, gttt = world.components
    response = alice_client.post(reverse("citizens:submit_new", args=[world.procedure.code]), {
        **_applicant(world), "action": "review",
        _field(tk, "source"): "upload", _field(tk, "file"): SimpleUploadedFile("to-khai.pdf", make_pdf("To khai")),
        _field(gcs, "source"): "upload", _field(gcs, "file"): SimpleUploadedFile("chung-sinh.png", make_png()),
        _field(gttt, "source"): "store", _field(gttt, "document"): str(doc.pk),
    })
    draft = SubmissionDraft.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == reverse("citizens:draft_review", args=[draft.pk])
    review = alice_client.get(response["Location"]).content.decode()
    assert "tái sử dụng" in review and "to-khai.pdf" in review and "Căn cước công dân" in review

    done = alice_client.post(reverse("citizens:draft_review", args=[draft.pk]), follow=True)
    dossier = Dossier.objects.get(citizen=alice)
    assert done.status_code == 200 and dossier.code in done.content.decode()
    assert f"Mã hồ sơ của bạn: {dossier.code}" in done.content.decode()
    assert dossier.status == Status.NEW and dossier.channel == 2 and dossier.has_reused and not dossier.vneid_verified
    assert dossier.applicant_name == "Trần Thị Lan" and dossier.agency == world.ubnd_a
    rows = {c.procedure_component_id: c for c in dossier.components.all()}
    assert rows[gttt.pk].reused and rows[gttt.pk].file_id == doc.file_id
    assert not rows[tk.pk].reused and not rows[gcs.pk].reused
    assert {c.copy_type for c in rows.values()} == {CopyType.ELECTRONIC}
    assert all(c.file_id for c in rows.values())

    # A second click on "Nộp hồ sơ" does not make a second dossier.
    again = alice_client.post(reverse("citizens:draft_review", args=[draft.pk]))
    assert again["Location"] == reverse("citizens:dossier_detail", args=[dossier.code])
    assert Dossier.objects.filter(citizen=alice).count() == 1
    draft.refresh_from_db()
    assert draft.submitted_dossier == dossier


def test_draft_is_saved_and_resumed(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    tk, gcs, _ = world.components
    url = reverse("citizens:submit_new", args=[world.procedure.code])
    saved = alice_client.post(url, {**_applicant(world, applicant_address="Số 1, đường A"), "action": "save",
                                    _field(tk, "source"): "upload",
                                    _field(tk, "file"): SimpleUploadedFile("tk.pdf", make_pdf())})
    draft = SubmissionDraft.objects.get(owner=alice)
    assert saved["Location"] == reverse("citizens:draft_edit", args=[draft.pk])
    assert draft.applicant_address == "Số 1, đường A" and draft.components.get().filename == "tk.pdf"
    home = alice_client.get(reverse("citizens:home")).content.decode()
    assert "Hồ sơ nháp" in home and reverse("citizens:draft_edit", args=[draft.pk]) in home

    resumed = alice_client.get(reverse("citizens:draft_edit", args=[draft.pk])).content.decode()
    assert "Số 1, đường A" in resumed and "tk.pdf" in resumed
    missing = alice_client.get(reverse("citizens:draft_review", args=[draft.pk])).content.decode()
    assert "Còn thiếu thành phần bắt buộc" in missing and world.components[1].name in missing
    refused = alice_client.post(reverse("citizens:draft_review", args=[draft.pk]))
    assert refused.status_code == 400 and not Dossier.objects.exists()

    # Later: add the birth certificate; the ID file saved before is kept without re-uploading.
    alice_client.post(reverse("citizens:draft_edit", args=[draft.pk]), {
        **_applicant(world, applicant_address="Số 1, đường A"), "action": "review",
        _field(tk, "source"): "upload",
        _field(gcs, "source"): "upload", _field(gcs, "file"): SimpleUploadedFile("gcs.pdf", make_pdf("GCS")),
    })
    assert draft.components.count() == 2
    alice_client.post(reverse("citizens:draft_review", args=[draft.pk]))
    dossier = Dossier.objects.get(citizen=alice)
    assert dossier.components.count() == 2 and not dossier.has_reused
    assert "Hồ sơ nháp" not in alice_client.get(reverse("citizens:home")).content.decode()


def test_draft_delete(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    alice_client.post(reverse("citizens:submit_new", args=[world.procedure.code]), {**_applicant(world),
                                                                                    "action": "save"})
    draft = SubmissionDraft.objects.get(owner=alice)
    alice_client.post(reverse("citizens:draft_delete", args=[draft.pk]))
    assert not SubmissionDraft.objects.exists()


def test_partial_online_may_bring_paper_full_online_may_not(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    tk, gcs, _ = world.components
    paper = services.ComponentChoice(procedure_component=gcs, source="paper")
    upload = services.ComponentChoice(procedure_component=tk, source="upload",
                                      file=_stored())
    with pytest.raises(ValidationFailed) as refused:
        services.citizen_submit(citizen=alice, procedure=world.procedure, agency=world.ubnd_a,
                                applicant=services.ApplicantData(name="Lan"), choices=[upload, paper])
    assert refused.value.code == "paper_not_allowed" and not Dossier.objects.exists()

    world.procedure.service_level = ServiceLevel.PARTIAL_ONLINE
    world.procedure.save(update_fields=["service_level"])
    page = alice_client.get(reverse("citizens:submit_new", args=[world.procedure.code])).content.decode()
    assert "Nộp bản giấy khi nhận kết quả" in page
    dossier = services.citizen_submit(citizen=alice, procedure=world.procedure, agency=world.ubnd_a,
                                      applicant=services.ApplicantData(name="Lan"), choices=[upload, paper])
    component = dossier.components.get(procedure_component=gcs)
    assert component.file is None and component.copy_type == gcs.copy_type


def _stored() -> StoredFile:
    from chinhquyenso.files.services import file_store

    return file_store(content=make_pdf("x"), filename="x.pdf")


def test_direct_only_procedures_are_not_offered(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    world.procedure.service_level = ServiceLevel.DIRECT_ONLY
    world.procedure.save(update_fields=["service_level"])
    assert alice_client.get(reverse("citizens:submit_new", args=[world.procedure.code])).status_code == 404
    search = Client().get(reverse("citizens:submit_search"), {"q": "khai sinh"}).content.decode()
    assert world.procedure.code not in search
    with pytest.raises(ValidationFailed):
        submit_online(world, alice)


def test_search_without_diacritics_finds_the_procedure(world) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("citizens:submit_search"), {"q": "dang ky khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in page and reverse("citizens:submit_new", args=[world.procedure.code]) in page


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("to-khai.pdf", b"MZ\x90\x00 this is a Windows program, not a PDF" * 20, "Nội dung tệp không phải"),
    ("to-khai.pdf", b"<html><script>alert(1)</script></html>", "Nội dung tệp không phải"),
    ("anh.png", make_pdf("renamed"), "Tên tệp có đuôi .png nhưng nội dung là PDF"),
])
def test_wrong_type_uploads_are_refused_and_stored_nowhere(world, alice, alice_client, filename: str,
                                                           content: bytes, message: str) -> None:
    tk = world.components[0]
    before_rows, before_blobs = StoredFile.objects.count(), _blobs()
    response = alice_client.post(reverse("citizens:submit_new", args=[world.procedure.code]), {
        **_applicant(world), "action": "save",
        _field(tk, "source"): "upload", _field(tk, "file"): SimpleUploadedFile(filename, content),
    })
    assert response.status_code == 400 and message in response.content.decode()
    assert StoredFile.objects.count() == before_rows and _blobs() == before_blobs
    assert not SubmissionDraft.objects.exists()


def test_too_large_uploads_are_refused_and_stored_nowhere(world, alice, alice_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import chinhquyenso.files.services as file_services

    monkeypatch.setattr(file_services, "MAX_UPLOAD_BYTES", 2048)
    big = make_png()[:8] + b"\x00" * 4096
    tk, _, _ = world.components
    response = alice_client.post(reverse("citizens:submit_new", args=[world.procedure.code]), {
        **_applicant(world), "action": "save",
        _field(tk, "source"): "upload", _field(tk, "file"): SimpleUploadedFile("to-khai.png", big),
    })
    assert response.status_code == 400 and "vượt quá dung lượng tối đa" in response.content.decode()
    assert not StoredFile.objects.exists() and _blobs() == [] and not SubmissionDraft.objects.exists()
    page = alice_client.post(reverse("citizens:documents"), {
        "name": "CCCD", "document_type": "cccd", "file": SimpleUploadedFile("cccd.png", big)})
    assert page.status_code == 400 and "vượt quá dung lượng tối đa" in page.content.decode()
    assert not StoredFile.objects.exists() and _blobs() == []


def test_reuse_needs_own_valid_document_of_the_right_type(world, alice, bob) -> None:  # type: ignore[no-untyped-def]
    _, _, gttt = world.components
    expired = store_document(alice, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    wrong_type = store_document(alice, document_type="giay_khai_sinh", name="Giấy khai sinh")
    bobs = store_document(bob)
    for doc, code in ((expired, "document_expired"), (wrong_type, "document_type_mismatch"),
                      (bobs, "document_not_found")):
        choice = services.ComponentChoice(procedure_component=gttt, source="store", document=doc)
        with pytest.raises((ValidationFailed, NotFound)) as refused:
            services.draft_save(citizen=alice, procedure=world.procedure, applicant=services.ApplicantData(),
                                choices=[choice])
        assert refused.value.code == code
    assert not SubmissionDraft.objects.exists()


def test_web_form_cannot_pick_another_citizens_document(world, alice_client, bob) -> None:  # type: ignore[no-untyped-def]
    bobs = store_document(bob)
    _, _, gttt = world.components
    response = alice_client.post(reverse("citizens:submit_new", args=[world.procedure.code]), {
        **_applicant(world), "action": "save", _field(gttt, "source"): "store", _field(gttt, "document"): str(bobs.pk),
    })
    assert response.status_code == 400 and not SubmissionDraft.objects.exists()


def test_api_submission_with_idempotency_key(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    doc = store_document(alice)
    body = {
        "procedure_code": world.procedure.code, "agency_code": world.ubnd_a.code, "summary": "Khai sinh",
        "components": [
            {"component_code": "TK", "upload": {"filename": "tk.pdf",
                                                "content_base64": base64.b64encode(make_pdf()).decode()}},
            {"component_code": "GCS", "upload": {"filename": "gcs.png",
                                                 "content_base64": base64.b64encode(make_png()).decode()}},
            {"component_code": "GTTT", "document_id": doc.pk},
        ],
    }
    first = alice_client.post("/api/v1/citizen/dossiers", body, content_type="application/json",
                              headers={"Idempotency-Key": "nop-1"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == 1 and data["has_reused"] and data["applicant_name"] == "Trần Thị Lan"
    assert [c["reused"] for c in data["components"]] == [False, False, True]
    replay = alice_client.post("/api/v1/citizen/dossiers", body, content_type="application/json",
                               headers={"Idempotency-Key": "nop-1"})
    assert replay.status_code == 201 and replay.json()["code"] == data["code"]
    assert replay["Idempotent-Replayed"] == "true" and Dossier.objects.count() == 1

    paper = {**body, "components": [{"component_code": "TK", "paper": True}]}
    refused = alice_client.post("/api/v1/citizen/dossiers", paper, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "paper_not_allowed"
    bad_file = {**body, "components": [{"component_code": "TK", "upload": {
        "filename": "tk.pdf", "content_base64": base64.b64encode(b"not a pdf at all").decode()}}]}
    before = StoredFile.objects.count()
    assert alice_client.post("/api/v1/citizen/dossiers", bad_file, content_type="application/json").status_code == 400
    assert StoredFile.objects.count() == before and Dossier.objects.count() == 1


def test_officers_cannot_use_the_citizen_api(world) -> None:  # type: ignore[no-untyped-def]
    from chinhquyenso.accounts.testing import login_verified

    client = Client()
    login_verified(client, world.counter_a)
    response = client.get("/api/v1/citizen/dossiers")
    assert response.status_code == 403 and response.json()["code"] == "citizen_only"

"""Reuse of the citizen's stored documents at the one-stop counter, through the web pages.

The counter form (``dossiers``) offers the citizens app's page through ``core.counter_documents``;
the officer finds the person's account, records their consent, and the receipt then uses the
stored file itself for the component (``reused=True``, dossier ``has_reused``). An officer cannot
pull another citizen's document, or use another officer's or an old consent, by guessing ids."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chinhquyenso.accounts.models import Role, User
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.citizens import services
from chinhquyenso.citizens.models import CitizenDocument, CitizenIdentity, ConsentMethod, DocumentReuseConsent
from chinhquyenso.core import counter_documents
from chinhquyenso.dossiers.models import Channel, Dossier
from chinhquyenso.files.models import StoredFile
from tests.citizens.helpers import store_document
from tests.dossiers.conftest import TINY_PDF
from tests.dossiers.factories import ProcedureComponentFactory, Province, officer

pytestmark = pytest.mark.django_db

COUNTER_URL = "/cong-dan/quay/tai-su-dung/"
RECEIVE_URL = "/ho-so/tiep-nhan/"
ALICE_ID = "089303001111"


def _officer_client(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _link_vneid(user: User, id_number: str) -> None:
    CitizenIdentity.objects.create(user=user, issuer="https://vneid.example", subject=id_number, national_eid=True,
                                   display_name=user.full_name)


def _receive_data(world: Province, refs: list[str], **overrides: Any) -> dict[str, Any]:
    tk, gcs, gttt = world.components
    data: dict[str, Any] = {
        "thu_tuc": world.procedure.code, "agency": str(world.ubnd_a.pk), "channel": str(Channel.DIRECT),
        "applicant_kind": "0", "applicant_name": "Trần Thị Lan", "applicant_id_number": ALICE_ID,
        "applicant_phone": "", "applicant_email": "lan@example.vn", "applicant_address": "Ấp Phú Hiệp",
        "summary": "Khai sinh cho con",
        f"tp_{tk.pk}_nop": "on", f"tp_{tk.pk}_so_ban": "1",
        f"tp_{gcs.pk}_nop": "on", f"tp_{gcs.pk}_so_ban": "1",
        f"tp_{gttt.pk}_so_ban": "1",
        counter_documents.PARAM: refs,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _consent_via_page(client: Client, world: Province, identifier: str, document: CitizenDocument) -> Any:
    gttt = world.components[2]
    return client.post(COUNTER_URL, {"thu_tuc": world.procedure.code, "ma": identifier,
                                     f"tp_{gttt.pk}": str(document.pk), "agency": str(world.ubnd_a.pk),
                                     "method": "signed", "agreed": "on"})


def test_counter_reuses_a_stored_document_with_recorded_consent(world: Province, alice: User, bob: User) -> None:
    _link_vneid(alice, ALICE_ID)
    cccd = store_document(alice, name="Căn cước công dân của Lan")
    store_document(alice, name="CCCD hết hạn", valid_until=timezone.localdate() - dt.timedelta(days=1))
    store_document(bob, name="Căn cước công dân của Bình")
    client = _officer_client(world.counter_a)

    # 1. the receipt form offers the citizen store (the link comes from the registry, not an import)
    form = client.get(RECEIVE_URL, {"thu_tuc": world.procedure.code}).content.decode()
    assert f"{COUNTER_URL}?thu_tuc={world.procedure.code}" in form

    # 2. find the citizen by the ID number of the linked VNeID: only her valid documents are offered
    page = client.get(COUNTER_URL, {"thu_tuc": world.procedure.code, "ma": ALICE_ID})
    body = page.content.decode()
    assert page.status_code == 200 and "Trần Thị Lan" in body
    assert "Căn cước công dân của Lan" in body
    assert "CCCD hết hạn" not in body and "Căn cước công dân của Bình" not in body
    assert not DocumentReuseConsent.objects.exists()  # looking is not consenting

    # 3. no consent box ticked → nothing recorded
    gttt = world.components[2]
    refused = client.post(COUNTER_URL, {"thu_tuc": world.procedure.code, "ma": ALICE_ID,
                                        f"tp_{gttt.pk}": str(cccd.pk), "agency": str(world.ubnd_a.pk),
                                        "method": "signed"})
    assert refused.status_code == 400 and "Cần có sự đồng ý của công dân" in refused.content.decode()
    assert not DocumentReuseConsent.objects.exists()

    # 4. consent recorded (who, officer, time, which document), audited; back to the receipt form
    done = _consent_via_page(client, world, ALICE_ID, cccd)
    assert done.status_code == 302
    consent = DocumentReuseConsent.objects.get()
    assert (consent.citizen, consent.officer, consent.document, consent.procedure_component, consent.agency,
            consent.method, consent.dossier) == (alice, world.counter_a, cccd, gttt, world.ubnd_a,
                                                 ConsentMethod.SIGNED, None)
    assert abs((timezone.now() - consent.consented_at).total_seconds()) < 600
    target = urlsplit(done["Location"])
    assert target.path == RECEIVE_URL
    refs = parse_qs(target.query)[counter_documents.PARAM]
    assert refs == [f"citizens:{consent.pk}"]
    assert AuditEvent.objects.filter(action="citizen_document.reuse_consent", actor_id=world.counter_a.pk).exists()

    # 5. the receipt form shows the reused document and prefills the applicant from the account
    prefilled = client.get(done["Location"]).content.decode()
    assert "Căn cước công dân của Lan" in prefilled and "Bỏ tái sử dụng" in prefilled
    assert 'value="Trần Thị Lan"' in prefilled and f'value="{ALICE_ID}"' in prefilled
    assert f'value="citizens:{consent.pk}"' in prefilled

    # 6. receive: the component is the stored file itself, flagged reused; the consent names the dossier
    files_before = StoredFile.objects.count()
    received = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}", _receive_data(world, refs))
    assert received.status_code == 302, received.content.decode()[:3000]
    dossier = Dossier.objects.get()
    component = dossier.components.get(procedure_component=gttt)
    assert component.reused and component.file_id == cccd.file_id and component.copy_type == "electronic"
    assert dossier.has_reused
    assert StoredFile.objects.count() == files_before  # shared, not copied
    consent.refresh_from_db()
    assert consent.dossier == dossier
    event = AuditEvent.objects.get(action="citizen_document.reused")
    assert event.actor_id == world.counter_a.pk and event.summary["dossier"] == dossier.code
    # the person at the counter is the account holder: the dossier is theirs ("Hồ sơ của tôi", results to the store)
    assert dossier.citizen == alice
    assert dossier.events.filter(kind="citizen_linked").count() == 1

    # 7. a consent serves one dossier: posting the same reference again is refused, nothing created
    again = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}", _receive_data(world, refs))
    assert again.status_code == 400 and "đã được dùng" in again.content.decode()
    assert Dossier.objects.count() == 1


def test_officer_cannot_pull_another_citizens_document_by_guessing_ids(
        world: Province, alice: User, bob: User) -> None:
    alice_doc = store_document(alice, name="CCCD của Lan")
    bob_doc = store_document(bob, name="CCCD của Bình")
    client = _officer_client(world.counter_a)

    # Alice is at the counter; the officer posts Bob's document id: refused, nothing recorded
    guessed = _consent_via_page(client, world, "lan@example.vn", bob_doc)
    assert guessed.status_code == 400
    assert "Không tìm thấy giấy tờ này trong kho của công dân" in guessed.content.decode()
    assert not DocumentReuseConsent.objects.exists()
    # the service refuses it too, whatever the page does
    with pytest.raises(Exception, match="Không tìm thấy giấy tờ"):
        services.document_reuse_consents_record(
            officer=world.counter_a, agency=world.ubnd_a, citizen=alice,
            selections=[services.ReuseSelection(procedure_component=world.components[2], document=bob_doc)])
    assert not DocumentReuseConsent.objects.exists()

    # consents of another officer, unknown ids, malformed or foreign references: refused at the receipt
    colleague = officer("motcua_a_khac", Role.ONE_STOP_OFFICER, world.ubnd_a)
    theirs = services.document_reuse_consent_record(
        officer=colleague, agency=world.ubnd_a, citizen=bob, document=bob_doc,
        procedure_component=world.components[2])
    for ref in [f"citizens:{theirs.pk}", f"citizens:{theirs.pk + 1000}", "citizens:abc", "citizens:-1",
                f"khac:{theirs.pk}", str(theirs.pk)]:
        shown = client.get(RECEIVE_URL, {"thu_tuc": world.procedure.code, counter_documents.PARAM: ref})
        body = shown.content.decode()
        assert shown.status_code == 400 and "CCCD của Bình" not in body, ref
        posted = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}", _receive_data(world, [ref]))
        assert posted.status_code == 400, ref
    assert not Dossier.objects.exists()
    theirs.refresh_from_db()
    assert theirs.dossier is None
    # the colleague's own consent is not usable by Alice's officer, but Alice's is
    mine = _consent_via_page(client, world, "lan@example.vn", alice_doc)
    assert mine.status_code == 302


def test_old_consent_upload_clash_and_mixed_component(world: Province, alice: User) -> None:
    doc = store_document(alice)
    gttt = world.components[2]
    client = _officer_client(world.counter_a)
    old = services.document_reuse_consent_record(
        officer=world.counter_a, agency=world.ubnd_a, citizen=alice, document=doc, procedure_component=gttt,
        at=timezone.now() - dt.timedelta(hours=9))
    stale = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}",
                        _receive_data(world, [f"citizens:{old.pk}"]))
    assert stale.status_code == 400 and not Dossier.objects.exists()

    fresh = services.document_reuse_consent_record(
        officer=world.counter_a, agency=world.ubnd_a, citizen=alice, document=doc, procedure_component=gttt)
    clash = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}", _receive_data(
        world, [f"citizens:{fresh.pk}"],
        **{f"tp_{gttt.pk}_tep": SimpleUploadedFile("x.pdf", TINY_PDF, content_type="application/pdf")}))
    assert clash.status_code == 400 and "dùng giấy tờ tái sử dụng từ kho" in clash.content.decode()
    assert not Dossier.objects.exists()
    fresh.refresh_from_db()
    assert fresh.dossier is None  # still usable

    # a consent for a component of another procedure cannot fill this form
    other = ProcedureComponentFactory(document_type="cccd")
    foreign = services.document_reuse_consent_record(
        officer=world.counter_a, agency=world.ubnd_a, citizen=alice, document=doc, procedure_component=other)
    wrong = client.post(f"{RECEIVE_URL}?thu_tuc={world.procedure.code}",
                        _receive_data(world, [f"citizens:{foreign.pk}"]))
    assert wrong.status_code == 400 and "không thuộc thành phần hồ sơ" in wrong.content.decode()
    assert not Dossier.objects.exists()


def test_counter_page_is_for_one_stop_officers_and_unknown_citizens(
        world: Province, alice: User, alice_client: Client) -> None:
    url = f"{COUNTER_URL}?thu_tuc={world.procedure.code}&ma=lan@example.vn"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert alice_client.get(url).status_code == 403
    assert _officer_client(world.processor_a).get(url).status_code == 403
    counter = _officer_client(world.counter_a)
    assert counter.get(url).status_code == 200
    missing = counter.get(COUNTER_URL, {"thu_tuc": world.procedure.code, "ma": "khong-co@example.vn"})
    assert missing.status_code == 404 and "Không tìm thấy đúng một tài khoản" in missing.content.decode()
    assert counter.get(COUNTER_URL, {"thu_tuc": "KHONG-CO"}).status_code == 404
    # an officer account is never "the citizen at the counter"
    assert counter.get(COUNTER_URL, {"thu_tuc": world.procedure.code,
                                     "ma": world.processor_a.username}).status_code == 404

"""A citizen sees only their own dossiers, documents, drafts and ratings: guessing another
citizen's codes or ids gives 404 on every page and endpoint, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chinhquyenso.citizens import services
from chinhquyenso.citizens.models import CitizenDocument, DossierRating, SubmissionDraft
from chinhquyenso.dossiers.models import Dossier, DossierEvent
from tests.citizens.helpers import finish, store_document, submit_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs(world, bob) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Bob's things: a finished and rated dossier, an open one, a document, a draft."""
    done = finish(world, submit_online(world, bob))
    services.dossier_rate(citizen=bob, dossier=done, satisfied=True)
    open_ = submit_online(world, bob)
    draft = services.draft_save(citizen=bob, procedure=world.procedure, applicant=services.ApplicantData(name="Bình"))
    return {
        "done": done, "open": open_, "document": store_document(bob), "draft": draft,
        "component": open_.components.first(), "result": done.results.get(),
    }


def _state() -> tuple[Any, ...]:
    return (
        list(Dossier.objects.order_by("pk").values_list("pk", "status", "version")),
        DossierEvent.objects.count(), CitizenDocument.objects.count(), SubmissionDraft.objects.count(),
        list(DossierRating.objects.values_list("pk", "satisfied", "comment")),
    )


def test_every_page_404s_for_another_citizens_items(world, alice, alice_client: Client, bobs) -> None:  # type: ignore[no-untyped-def]
    mine = submit_online(world, alice)
    done, open_, doc, draft = bobs["done"], bobs["open"], bobs["document"], bobs["draft"]
    before = _state()
    gets = [
        reverse("citizens:dossier_detail", args=[done.code]),
        reverse("citizens:dossier_detail", args=[open_.code]),
        reverse("citizens:component_download", args=[open_.code, bobs["component"].pk]),
        reverse("citizens:result_download", args=[done.code, bobs["result"].pk]),
        # Alice's own code with Bob's component id: still nothing.
        reverse("citizens:component_download", args=[mine.code, bobs["component"].pk]),
        reverse("citizens:document_download", args=[doc.pk]),
        reverse("citizens:draft_edit", args=[draft.pk]),
        reverse("citizens:draft_review", args=[draft.pk]),
    ]
    posts = [
        (reverse("citizens:dossier_rate", args=[done.code]), {"satisfied": "0"}),
        (reverse("citizens:dossier_withdraw", args=[open_.code]), {"reason": "Rút giùm"}),
        (reverse("citizens:document_delete", args=[doc.pk]), {}),
        (reverse("citizens:draft_edit", args=[draft.pk]), {"applicant_name": "X", "action": "save"}),
        (reverse("citizens:draft_review", args=[draft.pk]), {}),
        (reverse("citizens:draft_delete", args=[draft.pk]), {}),
    ]
    for url in gets:
        assert alice_client.get(url).status_code == 404, url
    for url, data in posts:
        assert alice_client.post(url, data).status_code == 404, url
    assert _state() == before

    # Ids and codes that do not exist answer exactly the same way.
    assert alice_client.get(reverse("citizens:dossier_detail", args=["H01.12-990101-0001"])).status_code == 404
    assert alice_client.get(reverse("citizens:document_download", args=[999999])).status_code == 404
    assert alice_client.get(reverse("citizens:draft_edit", args=[999999])).status_code == 404


def test_lists_show_only_own_items(world, alice, alice_client: Client, bobs) -> None:  # type: ignore[no-untyped-def]
    mine = submit_online(world, alice)
    home = alice_client.get(reverse("citizens:home")).content.decode()
    assert mine.code in home and bobs["done"].code not in home and bobs["open"].code not in home
    assert "Hồ sơ nháp" not in home
    store = alice_client.get(reverse("citizens:documents")).content.decode()
    assert reverse("citizens:document_download", args=[bobs["document"].pk]) not in store
    assert bobs["done"].code not in store  # Bob's result is in Bob's store only


def test_every_endpoint_404s_for_another_citizens_items(world, alice, alice_client: Client, bobs) -> None:  # type: ignore[no-untyped-def]
    mine = submit_online(world, alice)
    done, open_ = bobs["done"], bobs["open"]
    before = _state()
    assert alice_client.get(f"/api/v1/citizen/dossiers/{done.code}").status_code == 404
    for url, body in ((f"/api/v1/citizen/dossiers/{done.code}/rating", {"satisfied": False}),
                      (f"/api/v1/citizen/dossiers/{open_.code}/withdraw", {"reason": "Rút"})):
        response = alice_client.post(url, body, content_type="application/json")
        assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
    listed = alice_client.get("/api/v1/citizen/dossiers").json()
    assert [d["code"] for d in listed] == [mine.code]
    assert alice_client.get("/api/v1/citizen/documents").json() == []
    assert alice_client.get("/api/v1/citizen/ratings").json() == []
    submit = alice_client.post("/api/v1/citizen/dossiers", {
        "procedure_code": world.procedure.code, "agency_code": world.ubnd_a.code,
        "components": [{"component_code": "GTTT", "document_id": bobs["document"].pk}]},
        content_type="application/json")
    assert submit.status_code == 404 and submit.json()["code"] == "document_not_found"
    assert _state() == before
    # Bob still sees his own.
    bob_client = Client()
    bob_client.force_login(done.citizen)
    assert bob_client.get(f"/api/v1/citizen/dossiers/{done.code}").json()["rating"]["satisfied"] is True


def test_anonymous_callers_get_nothing(bobs) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get(f"/api/v1/citizen/dossiers/{bobs['done'].code}").status_code == 401
    assert client.get("/api/v1/citizen/documents").status_code == 401
    page = client.get(reverse("citizens:dossier_detail", args=[bobs["done"].code]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("citizens:login"))

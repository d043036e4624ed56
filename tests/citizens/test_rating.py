"""Satisfaction (766 indicator 5.4): the owner rates once, only after the result; officers read
ratings within their scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.citizens import selectors, services
from chinhquyenso.citizens.models import DossierRating
from chinhquyenso.core.errors import Conflict, NotFound
from tests.citizens.helpers import finish, submit_online

pytestmark = pytest.mark.django_db


def test_rating_only_after_the_result(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    dossier = submit_online(world, alice)
    page = alice_client.get(reverse("citizens:dossier_detail", args=[dossier.code])).content.decode()
    assert "Đánh giá mức độ hài lòng" not in page
    with pytest.raises(Conflict) as early:
        services.dossier_rate(citizen=alice, dossier=dossier, satisfied=True)
    assert early.value.code == "not_ratable"
    alice_client.post(reverse("citizens:dossier_rate", args=[dossier.code]), {"satisfied": "1"})
    assert not DossierRating.objects.exists()


def test_rate_once_from_the_page(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    dossier = finish(world, submit_online(world, alice))
    page = alice_client.get(reverse("citizens:dossier_detail", args=[dossier.code])).content.decode()
    assert "Đánh giá mức độ hài lòng" in page and "Tải kết quả" in page
    response = alice_client.post(reverse("citizens:dossier_rate", args=[dossier.code]),
                                 {"satisfied": "0", "comment": "Chờ lâu ở bước thẩm định"})
    assert response.status_code == 302
    rating = DossierRating.objects.get(dossier=dossier)
    assert (rating.citizen, rating.satisfied, rating.comment, rating.agency) == (
        alice, False, "Chờ lâu ở bước thẩm định", world.ubnd_a)
    again = alice_client.post(reverse("citizens:dossier_rate", args=[dossier.code]), {"satisfied": "1"}, follow=True)
    assert "Bạn đã đánh giá hồ sơ này." in again.content.decode()
    assert DossierRating.objects.get(dossier=dossier).satisfied is False
    assert AuditEvent.objects.filter(action="citizen.rate").count() == 1
    shown = alice_client.get(reverse("citizens:dossier_detail", args=[dossier.code])).content.decode()
    assert "Đánh giá của bạn" in shown and "Không hài lòng" in shown


def test_rate_through_the_api_once(world, alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    dossier = finish(world, submit_online(world, alice), returned=True)
    url = f"/api/v1/citizen/dossiers/{dossier.code}/rating"
    first = alice_client.post(url, {"satisfied": True}, content_type="application/json",
                              headers={"Idempotency-Key": "danh-gia-1"})
    assert first.status_code == 201 and first.json()["satisfied"] is True
    replay = alice_client.post(url, {"satisfied": True}, content_type="application/json",
                               headers={"Idempotency-Key": "danh-gia-1"})
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    second = alice_client.post(url, {"satisfied": False}, content_type="application/json")
    assert second.status_code == 409 and second.json()["code"] == "already_rated"
    mine = alice_client.get("/api/v1/citizen/ratings").json()
    assert [r["dossier_code"] for r in mine] == [dossier.code]


def test_only_the_owner_rates(world, alice, bob) -> None:  # type: ignore[no-untyped-def]
    dossier = finish(world, submit_online(world, alice))
    with pytest.raises(NotFound):
        services.dossier_rate(citizen=bob, dossier=dossier, satisfied=True)
    assert not DossierRating.objects.exists()


def test_officers_read_ratings_in_their_scope(world, alice, bob) -> None:  # type: ignore[no-untyped-def]
    first = finish(world, submit_online(world, alice))
    second = finish(world, submit_online(world, bob))
    services.dossier_rate(citizen=alice, dossier=first, satisfied=True)
    services.dossier_rate(citizen=bob, dossier=second, satisfied=False, comment="Không rõ hướng dẫn")
    mine = selectors.dossier_ratings_for_officer(world.processor_a)
    assert {r.dossier_id for r in mine} == {first.pk, second.pk}
    assert list(selectors.dossier_ratings_for_officer(world.processor_a, satisfied=False)) == [second.rating]
    assert not selectors.dossier_ratings_for_officer(world.counter_b).exists()  # another commune
    assert not selectors.dossier_ratings_for_officer(alice).exists()  # citizens are not officers
    summary = selectors.dossier_rating_summary(world.leader_a)
    assert (summary.total, summary.satisfied, summary.unsatisfied, summary.satisfied_ratio) == (2, 1, 1, 0.5)
    assert list(selectors.unsatisfied_dossier_ids()) == [second.pk]
    assert list(selectors.unsatisfied_dossier_ids(agency_ids=[world.ubnd_b.pk])) == []

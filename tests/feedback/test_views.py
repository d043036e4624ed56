"""The PAKN pages: public, citizen and officer; scope on every page; forms that work without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.feedback import services
from chinhquyenso.feedback.models import Petition, PetitionStatus, Topic
from chinhquyenso.feedback.services import UploadInput
from tests.feedback.conftest import TINY_PDF, World, submit, vn

pytestmark = pytest.mark.django_db


def officer_client(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def citizen_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    data = {"topic": Topic.REGULATION, "agency": str(world.ubnd_a.pk), "title": "Chậm trả kết quả",
            "content": "Hồ sơ khai sinh đã quá hẹn 3 ngày.", "contact_name": "Lê Văn Cường",
            "contact_phone": "0901234567", "website": ""}
    data.update(overrides)
    return data


def assert_no_inline_code(body: str) -> None:
    """CSP is strict: no inline scripts, no style attributes."""
    assert "<script" not in body and ' style="' not in body and "onclick" not in body


# --- Public --------------------------------------------------------------------------------------


def test_anonymous_submission_through_the_form(world: World, client: Client) -> None:
    page = client.get(reverse("feedback:submit"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Gửi phản ánh, kiến nghị" in body and "UBND xã An Phú" in body and 'name="dossier_code"' not in body
    assert_no_inline_code(body)
    response = client.post(reverse("feedback:submit"), form_data(world))
    assert response.status_code == 302 and response["Location"] == reverse("feedback:submitted")
    petition = Petition.objects.get()
    assert petition.submitter is None and petition.contact_name == "Lê Văn Cường"
    done = client.get(reverse("feedback:submitted")).content.decode()
    assert petition.code in done
    assert Client().get(reverse("feedback:submitted")).status_code == 302  # the code lives in that session only


def test_form_errors_change_nothing(world: World, client: Client) -> None:
    no_name = client.post(reverse("feedback:submit"), form_data(world, contact_name=""))
    assert no_name.status_code == 400
    no_contact = client.post(reverse("feedback:submit"), form_data(world, contact_phone=""))
    assert no_contact.status_code == 400
    assert "số điện thoại hoặc thư điện tử" in no_contact.content.decode()
    bot = client.post(reverse("feedback:submit"), form_data(world, website="http://spam.example"))
    assert bot.status_code == 400
    missing = client.post(reverse("feedback:submit"), form_data(world, title=""))
    assert missing.status_code == 400
    unknown_procedure = client.post(reverse("feedback:submit"), form_data(world, procedure_code="9.999999"))
    assert unknown_procedure.status_code == 404
    assert Petition.objects.count() == 0


def test_citizen_submits_with_a_file_and_sees_it_in_their_list(world: World) -> None:
    client = citizen_client(world.citizen)
    upload = SimpleUploadedFile("giay-hen.pdf", TINY_PDF, content_type="application/pdf")
    response = client.post(reverse("feedback:submit"), {**form_data(world, contact_name="", contact_phone=""),
                                                        "procedure_code": world.procedure.code,
                                                        "attachment": upload})
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert petition.submitter == world.citizen and petition.procedure == world.procedure
    assert petition.attachments.get().name == "giay-hen.pdf"
    listing = client.get(reverse("feedback:my_list")).content.decode()
    assert petition.code in listing
    download = client.get(reverse("feedback:attachment", args=[petition.attachments.get().pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_officers_cannot_submit_as_themselves(world: World) -> None:
    assert officer_client(world.leader_a).get(reverse("feedback:submit")).status_code == 403


def _without_tokens(html: str) -> str:
    """The page without its random CSRF token, which can contain any short word (e.g. "Hoa")."""
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_public_list_and_tracking_show_no_personal_data(world: World, client: Client) -> None:
    p = submit(world, title="Bà Nguyễn Thị Hoa phản ánh", content="Số điện thoại 0912345678")
    p = services.petition_answer(petition=p, actor=world.processor_a, answer="Đã trả lời bà Hoa")
    assert client.get(reverse("feedback:public_detail", args=[p.code])).status_code == 404
    services.petition_publish(petition=p, actor=world.leader_a, public_question="Phản ánh về trả kết quả chậm",
                              public_answer="Đã trả kết quả cho công dân.")
    listing = _without_tokens(client.get(reverse("feedback:public_list"), {"q": "tra ket qua"}).content.decode())
    assert p.code in listing and "Phản ánh về trả kết quả chậm" in listing
    detail = _without_tokens(client.get(reverse("feedback:public_detail", args=[p.code])).content.decode())
    for private in ("Hoa", "0912345678", "congdan1"):
        assert private not in listing and private not in detail
    assert_no_inline_code(detail)
    tracked = client.get(reverse("feedback:track"), {"code": p.code})
    assert tracked.status_code == 200 and "Đã công khai kết quả" in tracked.content.decode()
    assert "Hoa" not in _without_tokens(tracked.content.decode())
    assert client.get(reverse("feedback:track"), {"code": "PAKN-000000-9999"}).status_code == 404


def test_attachments_are_private(world: World, client: Client) -> None:
    p = submit(world, uploads=[UploadInput(TINY_PDF, "cccd.pdf")])
    url = reverse("feedback:attachment", args=[p.attachments.get().pk])
    assert client.get(url).status_code == 404
    assert citizen_client(world.citizen2).get(url).status_code == 404
    assert officer_client(world.leader_b).get(url).status_code == 404
    assert officer_client(world.processor_a).get(url).status_code == 200


# --- Citizen -------------------------------------------------------------------------------------


def test_my_pages_need_login_and_show_only_my_own(world: World, client: Client) -> None:
    mine = submit(world)
    theirs = submit(world, actor="citizen2")
    response = client.get(reverse("feedback:my_list"))
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]
    me = citizen_client(world.citizen)
    assert me.get(reverse("feedback:my_detail", args=[mine.code])).status_code == 200
    assert me.get(reverse("feedback:my_detail", args=[theirs.code])).status_code == 404
    assert theirs.code not in me.get(reverse("feedback:my_list")).content.decode()


def test_citizen_reads_the_answer_rates_once_and_raises_again(world: World) -> None:
    p = submit(world)
    services.petition_answer(petition=p, actor=world.processor_a, answer="Kết quả đã được trả ngày 05/3.")
    me = citizen_client(world.citizen)
    page = me.get(reverse("feedback:my_detail", args=[p.code])).content.decode()
    assert "Kết quả đã được trả ngày 05/3." in page and "Đánh giá kết quả trả lời" in page
    assert_no_inline_code(page)
    rate_url = reverse("feedback:my_action", args=[p.code, "danh-gia"])
    assert me.post(rate_url, {"value": "like"}).status_code == 302
    again = me.post(rate_url, {"value": "dislike"})
    assert again.status_code == 409 and "Bạn đã đánh giá" in again.content.decode()
    p.refresh_from_db()
    assert (p.like_count, p.dislike_count) == (1, 0)
    assert me.post(rate_url, {"value": ""}).status_code == 400
    reopened = me.post(reverse("feedback:my_action", args=[p.code, "phan-anh-lai"]), {"content": "Chưa nhận được"})
    follow_up = Petition.objects.get(follow_up_of=p)
    assert reopened.status_code == 302 and reopened["Location"] == reverse("feedback:my_detail", args=[follow_up.code])
    other = citizen_client(world.citizen2)
    assert other.post(rate_url, {"value": "dislike"}).status_code == 404
    assert me.post(reverse("feedback:my_action", args=[p.code, "xoa"]), {}).status_code == 404


def test_citizen_supplies_information(world: World) -> None:
    p = submit(world)
    services.petition_request_info(petition=p, actor=world.processor_a, message="Cho biết số biên nhận")
    me = citizen_client(world.citizen)
    page = me.get(reverse("feedback:my_detail", args=[p.code])).content.decode()
    assert "Cho biết số biên nhận" in page
    response = me.post(reverse("feedback:my_action", args=[p.code, "bo-sung"]),
                       {"content": "Biên nhận số 15", "version": "2"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.IN_PROGRESS


# --- Officer -------------------------------------------------------------------------------------


def test_inbox_needs_an_officer_with_the_second_factor(world: World) -> None:
    assert citizen_client(world.citizen).get(reverse("feedback:inbox")).status_code == 403
    password_only = Client()
    password_only.force_login(world.leader_a)
    response = password_only.get(reverse("feedback:inbox"))
    assert response.status_code == 302 and "/tai-khoan/xac-thuc/" in response["Location"]


def test_inbox_lists_only_the_officers_scope_with_due_colours(world: World) -> None:
    a = submit(world, at=vn(2025, 8, 4, 10))  # long past due by now
    b = submit(world, agency=world.ubnd_b)
    body = officer_client(world.leader_a).get(reverse("feedback:inbox")).content.decode()
    assert a.code in body and b.code not in body
    assert re.search(r'class="due-late"', body)
    assert_no_inline_code(body)
    filtered = officer_client(world.leader_a).get(reverse("feedback:inbox"), {"due": "late", "q": "khai sinh"})
    assert a.code in filtered.content.decode()
    none = officer_client(world.leader_a).get(reverse("feedback:inbox"), {"status": "answered"})
    assert a.code not in none.content.decode()
    assert officer_client(world.leader_b).get(reverse("feedback:officer_detail", args=[a.code])).status_code == 404


def test_officer_detail_offers_only_allowed_actions(world: World) -> None:
    p = submit(world)
    leader = officer_client(world.leader_a).get(reverse("feedback:officer_detail", args=[p.code])).content.decode()
    for slug in ("phan-loai", "phan-cong", "chuyen", "yeu-cau-bo-sung", "tu-choi", "tra-loi"):
        assert f'id="action-{slug}"' in leader
    assert 'id="action-cong-khai"' not in leader and "0912345678" in leader  # officers see the contact
    processor = officer_client(world.processor_a).get(reverse("feedback:officer_detail", args=[p.code]))
    assert 'id="action-tu-choi"' not in processor.content.decode()
    auditor = officer_client(world.auditor_a).get(reverse("feedback:officer_detail", args=[p.code]))
    assert auditor.status_code == 200 and 'id="action-' not in auditor.content.decode()


def test_officer_answers_and_publishes_through_the_forms(world: World) -> None:
    p = submit(world)
    client = officer_client(world.leader_a)
    url = reverse("feedback:officer_action", args=[p.code, "tra-loi"])
    empty = client.post(url, {"answer": "", "version": "1"})
    assert empty.status_code == 400
    stale = client.post(url, {"answer": "Đã xử lý", "version": "7"})
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.content.decode()
    p.refresh_from_db()
    assert p.status == PetitionStatus.RECEIVED and p.events.count() == 1
    upload = SimpleUploadedFile("tra-loi.pdf", TINY_PDF, content_type="application/pdf")
    done = client.post(url, {"answer": "Đã trả kết quả.", "publish": "on", "version": "1", "attachment": upload})
    assert done.status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.ANSWERED and p.publish_intended and p.attachments.count() == 1
    page = client.get(reverse("feedback:officer_detail", args=[p.code])).content.decode()
    assert 'id="action-cong-khai"' in page and "Đã trả lời phản ánh." in page
    published = client.post(reverse("feedback:officer_action", args=[p.code, "cong-khai"]),
                            {"public_question": "Chậm trả kết quả", "public_answer": "Đã trả.", "version": "2"})
    assert published.status_code == 302
    p.refresh_from_db()
    assert p.status == PetitionStatus.PUBLISHED
    unknown = client.post(reverse("feedback:officer_action", args=[p.code, "xoa"]), {})
    assert unknown.status_code == 404


def test_officer_assigns_classifies_and_transfers_out_of_scope(world: World) -> None:
    p = submit(world)
    client = officer_client(world.leader_a)
    assigned = client.post(reverse("feedback:officer_action", args=[p.code, "phan-cong"]),
                           {"assignee": str(world.processor_a.pk), "version": "1"})
    assert assigned.status_code == 302
    wrong = client.post(reverse("feedback:officer_action", args=[p.code, "phan-cong"]),
                        {"assignee": str(world.processor_b.pk), "version": "2"})
    assert wrong.status_code == 400  # not one of the offered choices
    classified = client.post(reverse("feedback:officer_action", args=[p.code, "phan-loai"]),
                             {"classification": Topic.STAFF_CONDUCT, "procedure_code": world.procedure.code,
                              "version": "2"})
    assert classified.status_code == 302
    moved = client.post(reverse("feedback:officer_action", args=[p.code, "chuyen"]),
                        {"to_agency": str(world.ubnd_b.pk), "reason": "Thuộc phường Long Xuyên", "version": "3"})
    assert moved.status_code == 302 and moved["Location"] == reverse("feedback:inbox")
    p.refresh_from_db()
    assert (p.agency, p.classification, p.status) == (world.ubnd_b, Topic.STAFF_CONDUCT, PetitionStatus.TRANSFERRED)
    assert client.get(reverse("feedback:officer_detail", args=[p.code])).status_code == 404
    assert officer_client(world.leader_b).get(reverse("feedback:officer_detail", args=[p.code])).status_code == 200

"""Officer web pages: counter receipt, online acceptance, inbox, dossier page, every action form."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.dossiers import services, views
from chinhquyenso.dossiers.models import Channel, Dossier, DossierEvent, Status
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import Procedure, ProcedureComponent
from tests.dossiers.conftest import TINY_PDF, applicant, components_for, receive, snapshot, to_last_step, to_processing
from tests.dossiers.factories import (
    ProcedureComponentFactory,
    ProcedureFactory,
    ProcessStepFactory,
    ProcessVersionFactory,
    Province,
    officer,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = "089203001234"
MASKED = "********1234"


def as_user(client: Any, user: Any) -> Any:
    login_verified(client, user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


def post_action(client: Any, dossier: Dossier, name: str, data: dict[str, Any] | None = None,
                version: int | None = None) -> Any:
    payload = {"expected_version": str(version if version is not None else fresh(dossier).version), **(data or {})}
    return client.post(f"/ho-so/{dossier.code}/thao-tac/{name}/", payload)


def received_now(world: Province, **kwargs: Any) -> Dossier:
    """A dossier received right now (so it is still on time)."""
    return receive(world, at=timezone.now(), **kwargs)


def online_dossier(world: Province) -> Dossier:
    return services.dossier_submit_online(
        actor=world.citizen, procedure=world.procedure, agency=world.ubnd_a, applicant=applicant(),
        components=components_for(world),
    )


# --- Who may open what ---------------------------------------------------------------------------


def _pages(d: Dossier) -> list[str]:
    return ["/ho-so/", "/ho-so/tiep-nhan/", "/ho-so/truc-tuyen/", f"/ho-so/{d.code}/",
            f"/ho-so/{d.code}/giay-tiep-nhan/", f"/ho-so/{d.code}/bieu-mau/01/"]


def test_anonymous_is_sent_to_login_and_citizens_get_403(client: Any, world: Province) -> None:
    d = receive(world)
    for url in _pages(d):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/"), url
    response = post_action(client, d, "forward")
    assert response.status_code == 302
    client.force_login(world.citizen)
    for url in _pages(d):
        assert client.get(url).status_code == 403, url
    assert post_action(client, d, "forward").status_code == 403
    assert fresh(d).version == 1


def test_officer_without_second_factor_goes_to_the_totp_step(client: Any, world: Province) -> None:
    client.force_login(world.counter_a)
    response = client.get("/ho-so/")
    assert response.status_code == 302 and "/tai-khoan/xac-thuc/" in response["Location"]


def test_every_page_renders_for_the_right_role(client: Any, world: Province) -> None:
    d = receive(world)
    as_user(client, world.counter_a)
    for url in _pages(d):
        response = client.get(url)
        assert response.status_code == 200, url
    as_user(client, world.processor_a)
    assert client.get("/ho-so/").status_code == 200
    assert client.get(f"/ho-so/{d.code}/").status_code == 200
    # the counter pages are for one-stop officers only
    assert client.get("/ho-so/tiep-nhan/").status_code == 403
    assert client.get("/ho-so/truc-tuyen/").status_code == 403


def test_officer_of_another_commune_gets_404_everywhere(client: Any, world: Province) -> None:
    d = receive(world, components=components_for(world, upload=services.UploadInput(TINY_PDF, "tk.pdf")))
    component = d.components.exclude(file=None).get()
    before = snapshot(d)
    as_user(client, world.counter_b)
    for url in [f"/ho-so/{d.code}/", f"/ho-so/{d.code}/giay-tiep-nhan/", f"/ho-so/{d.code}/bieu-mau/01/",
                f"/ho-so/{d.code}/thanh-phan/{component.pk}/tep/"]:
        assert client.get(url).status_code == 404, url
    assert post_action(client, d, "refuse", {"reason": "Không đủ"}).status_code == 404
    assert snapshot(d) == before
    assert client.get("/ho-so/KHONG-CO-MA/").status_code == 404
    # and the other commune's inbox does not list it
    assert d.code not in html(client.get("/ho-so/?viec="))


# --- Counter: receive ----------------------------------------------------------------------------


def test_procedure_search_without_diacritics_and_agency_scope(client: Any, world: Province) -> None:
    as_user(client, world.counter_a)
    page = html(client.get("/ho-so/tiep-nhan/", {"q": "dang ky khai sinh"}))
    assert "Đăng ký khai sinh" in page and f"thu_tuc={world.procedure.code}" in page
    assert "Đăng ký khai sinh" not in html(client.get("/ho-so/tiep-nhan/", {"q": "khai tu"}))
    form = html(client.get("/ho-so/tiep-nhan/", {"thu_tuc": world.procedure.code}))
    assert world.ubnd_a.name in form and world.ubnd_b.name not in form
    assert "Tờ khai đăng ký khai sinh" in form and "Giấy chứng sinh" in form
    assert "8.000 đ" in form  # the fee, Vietnamese money format
    assert client.get("/ho-so/tiep-nhan/", {"thu_tuc": "9.999999"}).status_code == 404


def _receive_data(world: Province, **overrides: Any) -> dict[str, Any]:
    tk, gcs, gttt = world.components
    data: dict[str, Any] = {
        "thu_tuc": world.procedure.code, "agency": str(world.ubnd_a.pk), "channel": str(Channel.DIRECT),
        "applicant_kind": "0", "applicant_name": "Lê Thị Đào", "applicant_id_number": ID_NUMBER,
        "applicant_phone": "0912 345 678", "applicant_email": "dao@example.vn",
        "applicant_address": "Ấp Phú Hiệp, xã An Phú", "summary": "Khai sinh cho con",
        f"tp_{tk.pk}_nop": "on", f"tp_{tk.pk}_so_ban": "1",
        f"tp_{tk.pk}_tep": SimpleUploadedFile("to-khai.pdf", TINY_PDF, content_type="application/pdf"),
        f"tp_{tk.pk}_so_hoa": "on",
        f"tp_{gcs.pk}_nop": "on", f"tp_{gcs.pk}_so_ban": "1",
        f"tp_{gttt.pk}_so_ban": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_counter_receive_happy_path_then_receipt_and_form_01(client: Any, world: Province) -> None:
    as_user(client, world.counter_a)
    response = client.post(f"/ho-so/tiep-nhan/?thu_tuc={world.procedure.code}", _receive_data(world))
    assert response.status_code == 302, html(response)
    d = Dossier.objects.get()
    assert response["Location"] == f"/ho-so/{d.code}/giay-tiep-nhan/"
    assert (d.status, d.agency, d.receiving_agency, d.applicant_name) == (Status.RECEIVED, world.ubnd_a,
                                                                         world.ubnd_a, "Lê Thị Đào")
    assert d.applicant_id_number == ID_NUMBER and d.applicant_phone == "0912345678"
    tk = d.components.get(procedure_component=world.components[0])
    assert tk.digitized and tk.file is not None and tk.file.kind == "pdf" and tk.digitized_by == world.counter_a
    assert d.components.count() == 2 and d.has_digitized
    assert list(d.fees.values_list("amount", flat=True)) == [8000]

    receipt = client.get(response["Location"])
    body = html(receipt)
    assert d.code in body and "In giấy tiếp nhận (Mẫu 01)" in body and MASKED in body and ID_NUMBER not in body
    assert f"/ho-so/{d.code}/bieu-mau/01/" in body
    assert timezone.localtime(d.due_at).strftime("%d/%m/%Y") in body
    pdf = client.get(f"/ho-so/{d.code}/bieu-mau/01/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("field, value, message", [
    ("applicant_name", "", "Vui lòng nhập họ tên chủ hồ sơ"),
    ("applicant_id_number", "12345", "Số định danh cá nhân phải gồm 12 chữ số"),
    ("applicant_email", "khong-phai-email", "Địa chỉ thư điện tử không hợp lệ"),
])
def test_counter_errors_are_shown_next_to_the_field_and_nothing_is_saved(
        client: Any, world: Province, field: str, value: str, message: str) -> None:
    as_user(client, world.counter_a)
    response = client.post("/ho-so/tiep-nhan/", _receive_data(world, **{field: value}))
    assert response.status_code == 400
    body = html(response)
    # Django renders the field's errors with an id the input points to (aria-describedby)
    match = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', body, re.S)
    assert match and message in match.group(1)
    assert 'value="Ấp Phú Hiệp, xã An Phú"' in body  # what the officer typed is kept
    assert Dossier.objects.count() == 0 and StoredFile.objects.count() == 0 and DossierEvent.objects.count() == 0


def test_counter_missing_required_component_and_bad_file(client: Any, world: Province) -> None:
    tk, gcs, _ = world.components
    as_user(client, world.counter_a)
    response = client.post("/ho-so/tiep-nhan/", _receive_data(world, **{f"tp_{gcs.pk}_nop": None,
                                                                        "applicant_name": ""}))
    assert response.status_code == 400
    body = html(response)  # every problem at once: the name and the missing component
    assert "Vui lòng nhập họ tên chủ hồ sơ." in body
    row = re.search(r'<li class="comp-row[^"]*">((?:(?!</li>).)*Giấy chứng sinh.*?)</li>', body, re.S)
    assert row and "Thành phần bắt buộc: đánh dấu đã nộp hoặc đính kèm tệp." in row.group(1)

    fake = SimpleUploadedFile("to-khai.pdf", b"this is not a pdf at all", content_type="application/pdf")
    response = client.post("/ho-so/tiep-nhan/", _receive_data(world, **{f"tp_{tk.pk}_tep": fake}))
    assert response.status_code == 400
    assert "has-error" in html(response)

    response = client.post("/ho-so/tiep-nhan/", _receive_data(world, **{f"tp_{tk.pk}_tep": None}))
    assert response.status_code == 400 and "Thành phần đã số hóa cần đính kèm bản quét." in html(response)

    response = client.post("/ho-so/tiep-nhan/", _receive_data(world, agency=str(world.ubnd_b.pk)))
    assert response.status_code == 400  # not a choice for this officer
    assert Dossier.objects.count() == 0 and StoredFile.objects.count() == 0


def test_service_centre_receives_for_a_department(client: Any, world: Province) -> None:
    """Trung tâm Phục vụ HCC: the handling agency is the Sở, the receiving desk is the centre."""
    procedure = cast(Procedure, ProcedureFactory(name="Cấp Phiếu lý lịch tư pháp", level="province"))
    procedure.handling_agencies.add(world.so_tu_phap)
    component = cast(ProcedureComponent, ProcedureComponentFactory(procedure=procedure, code="TK",
                                                                   name="Tờ khai lý lịch tư pháp"))
    process = ProcessVersionFactory(procedure=procedure)
    ProcessStepFactory(process=process, order=1, role="one_stop_officer", allowed_actions=["forward"])
    ProcessStepFactory(process=process, order=2, role="processing_officer", allowed_actions=["finish"])
    centre_desk = officer("motcua_trungtam", "one_stop_officer", world.centre)
    as_user(client, world.counter_a)  # a commune desk does not receive it
    assert "lý lịch tư pháp" not in html(client.get("/ho-so/tiep-nhan/", {"q": "ly lich tu phap"}))
    as_user(client, centre_desk)
    assert "Cấp Phiếu lý lịch tư pháp" in html(client.get("/ho-so/tiep-nhan/", {"q": "ly lich tu phap"}))
    form = html(client.get("/ho-so/tiep-nhan/", {"thu_tuc": procedure.code}))
    assert world.so_tu_phap.name in form and world.ubnd_a.name not in form
    response = client.post("/ho-so/tiep-nhan/", {
        "thu_tuc": procedure.code, "agency": str(world.so_tu_phap.pk), "channel": "1", "applicant_kind": "0",
        "applicant_name": "Nguyễn Văn An", f"tp_{component.pk}_nop": "on", f"tp_{component.pk}_so_ban": "1"})
    assert response.status_code == 302, html(response)
    d = Dossier.objects.get(procedure=procedure)
    assert (d.agency, d.receiving_agency) == (world.so_tu_phap, world.centre)
    assert d.code.startswith("H01.15-")


# --- Online dossiers ------------------------------------------------------------------------------


def test_online_list_accept_and_refuse(client: Any, world: Province) -> None:
    first, second = online_dossier(world), online_dossier(world)
    as_user(client, world.counter_b)
    assert first.code not in html(client.get("/ho-so/truc-tuyen/"))
    as_user(client, world.counter_a)
    page = html(client.get("/ho-so/truc-tuyen/"))
    assert first.code in page and second.code in page and MASKED in page and ID_NUMBER not in page
    response = client.post(f"/ho-so/{first.code}/thao-tac/accept/",
                           {"expected_version": "1", "next": "/ho-so/truc-tuyen/"})
    assert response.status_code == 302 and response["Location"] == "/ho-so/truc-tuyen/"
    accepted = fresh(first)
    assert accepted.status == Status.RECEIVED and accepted.received_at is not None and accepted.due_at is not None
    response = client.post(f"/ho-so/{second.code}/thao-tac/refuse/",
                           {"expected_version": "1", "reason": "Sai thủ tục", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == f"/ho-so/{second.code}/"  # no open redirect
    assert fresh(second).status == Status.REFUSED
    page = html(client.get("/ho-so/truc-tuyen/"))
    assert first.code not in page and second.code not in page


# --- Inbox ---------------------------------------------------------------------------------------


def test_inbox_columns_masked_id_due_colours_and_my_work(client: Any, world: Province) -> None:
    late = receive(world)  # Feb 2026, 5 working days: long overdue
    on_time = received_now(world)
    as_user(client, world.counter_a)
    body = html(client.get("/ho-so/"))  # default: waiting for me (step 1 is the counter's)
    assert late.code in body and on_time.code in body
    assert MASKED in body and ID_NUMBER not in body
    assert "Đăng ký khai sinh" in body and timezone.localtime(late.due_at).strftime("%d/%m/%Y") in body
    row = re.search(rf"{re.escape(late.code)}.*?</tr>", body, re.S)
    assert row and "due-late" in row.group(0) and "Quá hạn" in row.group(0)
    row = re.search(rf"{re.escape(on_time.code)}.*?</tr>", body, re.S)
    assert row and ("due-ok" in row.group(0) or "due-soon" in row.group(0))

    as_user(client, world.processor_a)
    assert late.code not in html(client.get("/ho-so/"))  # not at their step yet
    assert late.code in html(client.get("/ho-so/", {"viec": ""}))  # but in their scope
    to_processing(world, late)  # step 2, assigned to processor_a
    assert late.code in html(client.get("/ho-so/"))
    assert late.code in html(client.get("/ho-so/", {"viec": "giao-toi"}))
    assert on_time.code not in html(client.get("/ho-so/", {"viec": "giao-toi"}))


def test_inbox_filters_and_search_without_diacritics(client: Any, world: Province) -> None:
    late = receive(world)
    other = received_now(world, applicant=applicant(name="Trần Văn Bình"))
    as_user(client, world.counter_a)

    def codes(**params: Any) -> set[str]:
        body = html(client.get("/ho-so/", {"viec": "", **params}))
        return {c for c in (late.code, other.code) if c in body}

    assert codes(q="dang ky khai sinh") == {late.code, other.code}
    assert codes(q="tran van binh") == {other.code}
    assert codes(q="khai tu") == set()
    assert codes(han="overdue") == {late.code}
    assert codes(trang_thai=str(Status.RECEIVED)) == {late.code, other.code}
    assert codes(trang_thai=str(Status.RETURNED)) == set()
    assert late.code in html(client.get("/ho-so/", {"viec": "cho-toi", "q": "nguyen van an"}))
    assert client.get("/ho-so/", {"cursor": "khong-hop-le"}).status_code == 400


def test_inbox_keyset_pagination_without_count_or_offset(client: Any, world: Province, monkeypatch: Any) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [receive(world) for _ in range(5)]
    as_user(client, world.counter_a)
    seen: list[str] = []
    url = "/ho-so/?viec=&q=khai+sinh"
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        on_dossiers = [q["sql"].upper() for q in ctx.captured_queries if '"DOSSIERS_DOSSIER"' in q["sql"].upper()]
        assert on_dossiers and not [q for q in on_dossiers if "OFFSET" in q or "COUNT(" in q], on_dossiers
        body = html(response)
        seen += [d.code for d in made if d.code in body]
        nxt = re.search(r'href="(\?[^"]*cursor=[^"]*)" rel="next">Trang sau', body)
        url = "/ho-so/" + nxt.group(1).replace("&amp;", "&") if nxt else ""
        pages += 1
        assert "q=khai+sinh" in url or not url  # filters survive paging
    assert pages == 3
    assert sorted(seen) == sorted(d.code for d in made) and len(seen) == len(set(seen))


# --- Dossier page --------------------------------------------------------------------------------


def test_dossier_page_shows_everything_and_the_allowed_actions(client: Any, world: Province) -> None:
    d = receive(world, components=components_for(world, upload=services.UploadInput(TINY_PDF, "tk.pdf"),
                                                 digitized=True))
    as_user(client, world.counter_a)
    body = html(client.get(f"/ho-so/{d.code}/"))
    assert ID_NUMBER in body  # the full ID only here
    for text in ("Được tiếp nhận", "Tờ khai đăng ký khai sinh", "Đã số hóa", "Tiếp nhận hồ sơ", "8.000 đ",
                 "Chuyển bước tiếp theo", "Từ chối tiếp nhận", "Yêu cầu bổ sung hồ sơ", "Thẩm định hồ sơ",
                 "Mẫu 01", "Mẫu 06", "?format=xlsx", f'name="expected_version" value="{d.version}"'):
        assert text in body, text
    assert "Hoàn thành xử lý" not in body and "Trả kết quả</button>" not in body
    assert world.processor_a.display_name in body  # forward: assignee choices hold the next step's role
    assert world.processor_b.display_name not in body
    as_user(client, world.auditor_a)
    body = html(client.get(f"/ho-so/{d.code}/"))
    assert "Bạn không có thao tác nào" in body and "thao-tac/forward" not in body


def test_component_download_and_forms(client: Any, world: Province) -> None:
    d = receive(world, components=components_for(world, upload=services.UploadInput(TINY_PDF, "tk.pdf")))
    component = d.components.exclude(file=None).get()
    as_user(client, world.processor_a)
    response = client.get(f"/ho-so/{d.code}/thanh-phan/{component.pk}/tep/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == TINY_PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    paper = d.components.filter(file=None).get()
    assert client.get(f"/ho-so/{d.code}/thanh-phan/{paper.pk}/tep/").status_code == 404
    xlsx = client.get(f"/ho-so/{d.code}/bieu-mau/06/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    not_yet = client.get(f"/ho-so/{d.code}/bieu-mau/02/")
    assert not_yet.status_code == 409 and "Chưa thể in Mẫu 02" in html(not_yet)


def test_forward_with_assignee_and_return_for_rework(client: Any, world: Province) -> None:
    d = receive(world)
    as_user(client, world.counter_a)
    response = post_action(client, d, "forward", {"assignee": str(world.processor_a.pk), "note": "Đủ giấy tờ"})
    assert response.status_code == 302 and response["Location"] == f"/ho-so/{d.code}/"
    d = fresh(d)
    assert (d.status, d.current_step, d.assignee, d.version) == (Status.PROCESSING, world.steps[1],
                                                                  world.processor_a, 2)
    assert "Đã chuyển hồ sơ sang bước tiếp theo." in html(client.get(f"/ho-so/{d.code}/"))
    as_user(client, world.processor_a)
    assert post_action(client, d, "return_for_rework", {"reason": "Thiếu chữ ký"}).status_code == 302
    assert fresh(d).current_step == world.steps[0]


def test_forward_to_someone_without_the_role_is_refused_next_to_the_form(client: Any, world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    as_user(client, world.counter_a)
    response = post_action(client, d, "forward", {"assignee": str(world.leader_a.pk), "note": "x"})
    assert response.status_code == 400
    body = html(response)
    assert 'id="err-forward"' in body and "Người được giao không có vai trò" in body
    assert snapshot(d) == before


def test_stale_version_shows_the_message_and_changes_nothing(client: Any, world: Province) -> None:
    d = receive(world)
    as_user(client, world.counter_a)
    seen_version = d.version
    services.dossier_forward(dossier=d, actor=world.counter_a)  # someone else, meanwhile
    before = snapshot(d)
    response = post_action(client, d, "refuse", {"reason": "Hồ sơ giả"}, version=seen_version)
    assert response.status_code == 409
    body = html(response)
    assert "Hồ sơ đã được người khác cập nhật" in body
    assert snapshot(d) == before
    assert "Đang xử lý" in body  # the page shows the fresh state


def test_refuse_without_reason_and_missing_version(client: Any, world: Province) -> None:
    d = receive(world)
    before = snapshot(d)
    as_user(client, world.counter_a)
    response = post_action(client, d, "refuse", {"reason": "  "})
    assert response.status_code == 400 and "Vui lòng nhập lý do từ chối" in html(response)
    response = client.post(f"/ho-so/{d.code}/thao-tac/refuse/", {"reason": "x"})
    assert response.status_code == 400 and "Thiếu phiên bản hồ sơ" in html(response)
    assert client.post(f"/ho-so/{d.code}/thao-tac/bay-bien/", {"expected_version": "1"}).status_code == 404
    assert client.get(f"/ho-so/{d.code}/thao-tac/refuse/").status_code == 405
    assert snapshot(d) == before
    assert post_action(client, d, "refuse", {"reason": "Không thuộc thẩm quyền"}).status_code == 302
    assert fresh(d).status == Status.REFUSED
    assert "Mẫu 03" in html(client.get(f"/ho-so/{d.code}/"))


def test_supplement_request_and_receipt(client: Any, world: Province) -> None:
    d = to_processing(world, receive(world))
    as_user(client, world.processor_a)
    response = post_action(client, d, "request_supplement",
                           {"reason": "Thiếu giấy tờ", "items": "Bản sao CCCD của mẹ\n\nGiấy chứng sinh bản chính"})
    assert response.status_code == 302
    d = fresh(d)
    assert d.status == Status.SUPPLEMENT_REQUESTED and d.clock_paused_at is not None
    assert d.supplements.get().items == ["Bản sao CCCD của mẹ", "Giấy chứng sinh bản chính"]
    as_user(client, world.counter_a)
    assert d.code in html(client.get("/ho-so/"))  # counter work waiting for them
    assert "Tiếp nhận hồ sơ bổ sung" in html(client.get(f"/ho-so/{d.code}/"))
    response = client.post(f"/ho-so/{d.code}/thao-tac/receive_supplement/", {
        "expected_version": str(d.version), "component_name": "Bản sao CCCD của mẹ", "digitized": "1",
        "file": SimpleUploadedFile("cccd.pdf", TINY_PDF), "note": "Đã nhận"})
    assert response.status_code == 302
    d = fresh(d)
    assert d.status == Status.PROCESSING and d.clock_paused_at is None
    added = d.components.get(supplement__isnull=False)
    assert added.name == "Bản sao CCCD của mẹ" and added.digitized and added.file is not None


def test_consult_and_answer(client: Any, world: Province) -> None:
    d = to_processing(world, receive(world))
    as_user(client, world.processor_a)
    body = html(client.get(f"/ho-so/{d.code}/"))
    assert world.so_tu_phap.name in body
    response = post_action(client, d, "consult", {"agency": str(world.so_tu_phap.pk),
                                                  "question": "Xin ý kiến về quốc tịch", "due_date": "30/12/2026"})
    assert response.status_code == 302, html(response)
    consultation = d.consultations.get()
    assert consultation.agency == world.so_tu_phap and timezone.localtime(consultation.due_at).day == 30
    as_user(client, world.processor_stp)  # sees the dossier through the consultation
    body = html(client.get(f"/ho-so/{d.code}/"))
    assert "Trả lời xin ý kiến" in body
    assert d.code in html(client.get("/ho-so/"))  # waiting for the consulted agency
    response = post_action(client, d, "answer_consultation", {"consultation": str(consultation.pk),
                                                              "answer": "Đủ điều kiện"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.answer == "Đủ điều kiện" and consultation.answered_by == world.processor_stp


def test_payment_required_then_fulfilled(client: Any, world: Province) -> None:
    d = to_processing(world, receive(world))
    as_user(client, world.processor_a)
    response = post_action(client, d, "require_payment", {"fee_name": "Lệ phí trước bạ", "fee_amount": "1.250.000",
                                                          "reason": "Theo quy định"})
    assert response.status_code == 302
    d = fresh(d)
    assert d.status == Status.PAYMENT_REQUIRED
    assert d.fees.get(stage="obligation").amount == 1_250_000
    assert "1.250.000 đ" in html(client.get(f"/ho-so/{d.code}/"))
    response = post_action(client, d, "payment_fulfilled", {"paid_online": "2", "reference": "BL-001"})
    assert response.status_code == 302
    d = fresh(d)
    assert d.status == Status.PROCESSING and d.paid_online == 2
    assert post_action(client, d, "require_payment", {"fee_name": "x", "fee_amount": "mười nghìn"}).status_code == 400


def test_stop_with_reason_and_withdraw(client: Any, world: Province) -> None:
    d = to_processing(world, receive(world))
    as_user(client, world.processor_a)
    assert post_action(client, d, "stop", {"reason": "Đối tượng không đủ điều kiện"}).status_code == 302
    assert fresh(d).status == Status.STOPPED
    assert "Mẫu 05" in html(client.get(f"/ho-so/{d.code}/"))
    other = receive(world)
    as_user(client, world.counter_a)
    assert post_action(client, other, "withdraw", {"reason": "Công dân xin rút"}).status_code == 302
    assert fresh(other).status == Status.WITHDRAWN


def test_finish_with_result_upload_then_return_result(client: Any, world: Province) -> None:
    d = to_last_step(world, receive(world))
    as_user(client, world.processor_a)
    response = client.post(f"/ho-so/{d.code}/thao-tac/finish/", {
        "expected_version": str(fresh(d).version), "result": str(world.result.pk), "result_code": "KS-12/2026",
        "signed": "1", "note": "Đã ký", "file": SimpleUploadedFile("giay-khai-sinh.pdf", TINY_PDF)})
    assert response.status_code == 302, html(response)
    d = fresh(d)
    result = d.results.get()
    assert d.status == Status.FINISHED and result.code == "KS-12/2026" and result.signed and result.file is not None
    download = client.get(f"/ho-so/{d.code}/ket-qua/{result.pk}/tep/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == TINY_PDF
    as_user(client, world.counter_a)
    assert d.code in html(client.get("/ho-so/"))  # result waiting to be returned
    assert post_action(client, d, "return_result", {"note": "Công dân đã nhận"}).status_code == 302
    assert fresh(d).status == Status.RETURNED


def test_apologize_and_extend(client: Any, world: Province) -> None:
    d = to_processing(world, receive(world))
    old_due = d.due_at
    as_user(client, world.processor_a)
    response = post_action(client, d, "apologize_extend", {"new_due_date": "2026-12-15", "new_due_time": "",
                                                           "reason": "Chờ xác minh"})
    assert response.status_code == 302, html(response)
    d = fresh(d)
    assert timezone.localtime(d.due_at).strftime("%d/%m/%Y %H:%M") == "15/12/2026 17:00"
    assert d.original_due_at == old_due and d.extension_count == 1
    assert "Mẫu 04" in html(client.get(f"/ho-so/{d.code}/"))
    response = post_action(client, d, "apologize_extend", {"new_due_date": "31/02/2026", "reason": "x"})
    assert response.status_code == 400 and "dd/mm/yyyy" in html(response)


def test_mark_component_digitized(client: Any, world: Province) -> None:
    d = receive(world)
    paper = d.components.first()
    assert paper is not None
    as_user(client, world.counter_a)
    body = html(client.get(f"/ho-so/{d.code}/"))
    assert "Đánh dấu đã số hóa" in body
    response = client.post(f"/ho-so/{d.code}/thao-tac/mark_digitized/", {"expected_version": "1",
                                                                         "component": str(paper.pk)})
    assert response.status_code == 400 and "Vui lòng đính kèm bản quét" in html(response)
    response = client.post(f"/ho-so/{d.code}/thao-tac/mark_digitized/", {
        "expected_version": "1", "component": str(paper.pk), "file": SimpleUploadedFile("scan.pdf", TINY_PDF)})
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.digitized and paper.file is not None and paper.digitized_by == world.counter_a

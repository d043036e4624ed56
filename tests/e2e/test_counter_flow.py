"""The counter journey in a real browser: receive with a scanned PDF, print Mẫu 01, forward, approve,
finish with the signed result, return it. Each officer signs in with password + TOTP code."""

from __future__ import annotations

import base64
import re
from typing import Any

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.dossiers.models import Dossier, Status
from tests.dossiers.conftest import TINY_PDF
from tests.dossiers.factories import build_province

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mat-khau-kiem-thu-2026"


def _enrol(user: Any) -> pyotp.TOTP:
    """A password and a confirmed authenticator whose codes the test can compute, like the officer's phone."""
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="điện thoại", confirmed=True)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def _sign_in(browser: Any, base_url: str, user: Any, totp: pyotp.TOTP) -> Any:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(base_url + "/tai-khoan/dang-nhap/?next=/ho-so/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/xac-thuc/"))
    page.locator("input[name=token]").fill(totp.now())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/ho-so/$"))
    return page


def _act(page: Any, action: str) -> Any:
    """Open the action's form (a <details>) if it is closed; return the form."""
    details = page.locator(f"details.action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details.locator("form")


def test_counter_receives_forwards_leader_approves_result_returned(browser: Any, live_server: Any) -> None:
    world = build_province()
    counter, processor, leader = world.counter_a, world.processor_a, world.leader_a
    codes = {u.pk: _enrol(u) for u in (counter, processor, leader)}
    base = live_server.url
    tk, gcs, _ = world.components

    # 1. The one-stop officer finds the procedure without diacritics and receives the dossier.
    desk = _sign_in(browser, base, counter, codes[counter.pk])
    desk.get_by_role("link", name="Tiếp nhận hồ sơ", exact=True).first.click()
    desk.fill("#q", "dang ky khai sinh")
    desk.get_by_role("button", name="Tìm").click()
    desk.get_by_role("link", name=re.compile("Đăng ký khai sinh")).click()
    desk.select_option("#id_agency", str(world.ubnd_a.pk))
    desk.fill("#id_applicant_name", "Lê Thị Đào")
    desk.fill("#id_applicant_id_number", "089203001234")
    desk.fill("#id_applicant_phone", "0912345678")
    desk.fill("#id_applicant_address", "Ấp Phú Hiệp, xã An Phú")
    desk.set_input_files(f"#id_tp_{tk.pk}_tep", files=[{"name": "to-khai.pdf", "mimeType": "application/pdf",
                                                        "buffer": TINY_PDF}])
    desk.check(f"#id_tp_{tk.pk}_so_hoa")
    assert desk.is_checked(f"#id_tp_{gcs.pk}_nop")
    desk.get_by_role("button", name="Tiếp nhận hồ sơ").click()

    # 2. The receipt, and Mẫu 01 as a PDF.
    desk.wait_for_url(re.compile(r"/giay-tiep-nhan/$"))
    dossier = Dossier.objects.get()
    assert dossier.code in desk.locator("h1").inner_text()
    form_01 = desk.get_by_role("link", name="In giấy tiếp nhận (Mẫu 01)")
    pdf = desk.context.request.get(base + form_01.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    assert dossier.components.get(procedure_component=tk).digitized

    # 3. Forward to the processing officer.
    desk.get_by_role("link", name="Xem hồ sơ").click()
    form = _act(desk, "forward")
    form.locator("select[name=assignee]").select_option(str(processor.pk))
    form.get_by_role("button", name="Chuyển bước tiếp theo").click()
    desk.get_by_text("Đã chuyển hồ sơ sang bước tiếp theo.").wait_for()

    # 4. The processing officer finds it waiting in their inbox and passes it to the leader.
    work = _sign_in(browser, base, processor, codes[processor.pk])
    work.get_by_role("link", name=dossier.code).click()
    _act(work, "forward").get_by_role("button", name="Chuyển bước tiếp theo").click()
    work.get_by_text("Đã chuyển hồ sơ sang bước tiếp theo.").wait_for()

    # 5. The leader approves (the step allows "approve") and sends it back for the result.
    boss = _sign_in(browser, base, leader, codes[leader.pk])
    boss.get_by_role("link", name=dossier.code).click()
    form = _act(boss, "forward")
    form.locator("select[name=assignee]").select_option(str(processor.pk))
    form.get_by_role("button", name="Chuyển bước tiếp theo").click()
    boss.get_by_text("Đã chuyển hồ sơ sang bước tiếp theo.").wait_for()

    # 6. The processing officer finishes with the signed result document.
    work.goto(f"{base}/ho-so/{dossier.code}/")
    form = _act(work, "finish")
    form.locator("input[name=result_code]").fill("KS-01/2026")
    form.locator("input[name=file]").set_input_files(files=[{"name": "giay-khai-sinh.pdf",
                                                             "mimeType": "application/pdf", "buffer": TINY_PDF}])
    form.get_by_role("button", name="Hoàn thành xử lý").click()
    work.get_by_text("Đã hoàn thành xử lý hồ sơ.").wait_for()

    # 7. Back at the counter: the result is returned to the applicant.
    desk.goto(f"{base}/ho-so/{dossier.code}/")
    _act(desk, "return_result").get_by_role("button", name="Trả kết quả").click()
    desk.get_by_text("Đã trả kết quả cho công dân, tổ chức.").wait_for()
    assert desk.locator(".dossier-head .status").inner_text().strip() == "Đã trả kết quả"
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RETURNED
    assert list(Dossier.objects.get(pk=dossier.pk).events.values_list("kind", flat=True)) == [
        "received", "forwarded", "forwarded", "forwarded", "finished", "result_returned"]
    for page in (desk, work, boss):
        page.context.close()

"""Reuse at the counter in a real browser: the one-stop officer opens the citizen's store from the
receipt form, finds the citizen by phone, records the consent, and receives the dossier with the
stored ID card as a reused component."""

from __future__ import annotations

import base64
import re
from typing import Any

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.citizens.models import DocumentReuseConsent
from chinhquyenso.dossiers.models import Dossier
from tests.citizens.helpers import register, store_document
from tests.dossiers.conftest import TINY_PDF
from tests.dossiers.factories import build_province

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mat-khau-kiem-thu-2026"


def test_counter_reuses_a_document_from_the_citizen_store(browser: Any, live_server: Any) -> None:
    world = build_province()
    gttt = world.components[2]
    gttt.document_type = "cccd"
    gttt.save(update_fields=["document_type"])
    tk = world.components[0]
    citizen = register("Trần Thị Lan", "0987654321")
    cccd = store_document(citizen, name="Căn cước công dân của Lan")
    officer = world.counter_a
    officer.set_password(PASSWORD)
    officer.save()
    device = TOTPDevice.objects.create(user=officer, name="điện thoại", confirmed=True)
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())

    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url
    page.goto(f"{base}/tai-khoan/dang-nhap/?next=/ho-so/tiep-nhan/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/xac-thuc/"))
    page.locator("input[name=token]").fill(totp.now())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/ho-so/tiep-nhan/$"))

    # the procedure, then "use a document the citizen already has"
    page.fill("#q", "dang ky khai sinh")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name=re.compile("Đăng ký khai sinh")).click()
    page.get_by_role("link", name=re.compile("Kho giấy tờ của công dân")).click()
    page.wait_for_url(re.compile(r"/cong-dan/quay/tai-su-dung/"))

    # find the citizen by phone, pick the ID card, record the signed consent
    page.fill("#id_ma", "0987 654 321")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_text("Trần Thị Lan").first.wait_for()
    page.get_by_label("Căn cước công dân của Lan").check()
    page.get_by_label(re.compile("Công dân đã đồng ý cho cơ quan tái sử dụng")).check()
    page.get_by_role("button", name="Ghi nhận đồng ý và tiếp nhận hồ sơ").click()

    # back on the receipt form: the applicant is prefilled, the component shows the reused document
    page.wait_for_url(re.compile(r"/ho-so/tiep-nhan/\?"))
    assert page.input_value("#id_applicant_name") == "Trần Thị Lan"
    assert page.input_value("#id_applicant_phone") == "0987654321"
    assert page.locator(".comp-row", has_text="Tái sử dụng").count() == 1
    page.select_option("#id_agency", str(world.ubnd_a.pk))
    page.fill("#id_applicant_address", "Ấp Phú Hiệp, xã An Phú")
    page.set_input_files(f"#id_tp_{tk.pk}_tep", files=[{"name": "to-khai.pdf", "mimeType": "application/pdf",
                                                       "buffer": TINY_PDF}])
    page.check(f"#id_tp_{tk.pk}_so_hoa")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(r"/giay-tiep-nhan/$"))

    dossier = Dossier.objects.get()
    component = dossier.components.get(procedure_component=gttt)
    assert dossier.has_reused and component.reused and component.file_id == cccd.file_id
    consent = DocumentReuseConsent.objects.get()
    assert (consent.citizen_id, consent.officer_id, consent.dossier_id) == (citizen.pk, officer.pk, dossier.pk)
    context.close()

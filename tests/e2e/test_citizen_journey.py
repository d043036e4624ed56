"""A citizen's whole journey in headless Chromium: register, find a procedure typed without
diacritics, submit online with one uploaded and one reused document, track it, and rate the
service once an officer has finished it."""

from __future__ import annotations

import re

import pytest

from chinhquyenso.accounts.models import User
from chinhquyenso.citizens.models import CitizenDocument, DocumentOrigin, DossierRating
from chinhquyenso.dossiers.models import Dossier, Status
from chinhquyenso.files.services import file_store
from tests.citizens.helpers import PASSWORD, finish, make_pdf
from tests.dossiers.factories import build_province

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_citizen_registers_submits_tracks_and_rates(page) -> None:  # type: ignore[no-untyped-def]
    world = build_province()
    birth_cert = world.components[1]  # Giấy chứng sinh: reusable from the citizen's store
    birth_cert.document_type, birth_cert.reusable = "giay_chung_sinh", True
    birth_cert.save(update_fields=["document_type", "reusable"])
    base = page.base_url

    # 1. Register.
    page.goto(base + "/cong-dan/dang-ky/")
    page.get_by_label("Họ và tên").fill("Trần Thị Lan")
    page.get_by_label("Thư điện tử hoặc số điện thoại").fill("lan@example.vn")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/cong-dan/$"))
    assert page.get_by_role("heading", name="Hồ sơ của tôi").is_visible()
    citizen = User.objects.get(username="lan@example.vn")

    # The store already holds a birth certificate scanned earlier for her.
    stored = file_store(content=make_pdf("Giay chung sinh"), filename="giay-chung-sinh.pdf")
    CitizenDocument.objects.create(owner=citizen, document_type="giay_chung_sinh", name="Giấy chứng sinh của bé An",
                                   file=stored, origin=DocumentOrigin.DIGITIZED_COMPONENT)

    # 2. Find the procedure by typing without diacritics.
    services = page.get_by_role("navigation", name="Dịch vụ công dân")
    services.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_label("Tìm thủ tục").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("heading", name="Đăng ký khai sinh").wait_for()
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").last.click()

    # 3. The form: prefilled applicant, one upload, one document reused from the store.
    assert page.get_by_label("Họ và tên người nộp (chủ hồ sơ)").input_value() == "Trần Thị Lan"
    page.get_by_label("Nơi tiếp nhận, giải quyết hồ sơ").select_option(label="UBND xã An Phú")
    declaration = page.locator("#tp-TK")
    declaration.get_by_label("Tải tệp lên").check()
    declaration.locator("input[type=file]").set_input_files(
        files=[{"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": make_pdf("To khai")}])
    certificate = page.locator("#tp-GCS")
    certificate.get_by_label("Dùng giấy tờ trong kho của tôi").check()
    certificate.get_by_label("Chọn giấy tờ trong kho").select_option(label="Giấy chứng sinh của bé An")
    page.get_by_role("button", name="Xem lại và nộp").click()
    page.get_by_role("heading", name="Xem lại hồ sơ trước khi nộp").wait_for()
    assert page.get_by_text("tái sử dụng", exact=True).is_visible()
    page.get_by_role("button", name="Nộp hồ sơ").click()

    # 4. The code appears at once.
    page.locator("#dossier-code").wait_for()
    code = page.locator("#dossier-code").inner_text().strip()
    assert page.get_by_text(f"Mã hồ sơ của bạn: {code}").is_visible()
    dossier = Dossier.objects.get(code=code)
    assert dossier.citizen == citizen and dossier.status == Status.NEW and dossier.has_reused
    assert dossier.components.get(procedure_component=birth_cert).reused

    # 5. Track it through the public lookup.
    services.get_by_role("link", name="Tra cứu hồ sơ").click()
    page.get_by_label("Mã hồ sơ (in trên giấy tiếp nhận)").fill(code)
    page.get_by_role("button", name="Tra cứu").click()
    page.get_by_text("Mới đăng ký").first.wait_for()
    assert "Trần Thị Lan" not in page.locator("main").inner_text()  # no personal data in the lookup

    # 6. An officer processes and finishes it; the citizen sees the result and rates the service.
    finish(world, dossier)
    page.goto(f"{base}/cong-dan/ho-so/{code}/")
    assert page.locator("#dossier-status").inner_text() == "Đã xử lý xong"
    assert page.get_by_role("link", name="Tải kết quả").is_visible()
    page.get_by_label("Hài lòng", exact=True).check()
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Nhanh, gọn.")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Cảm ơn bạn đã đánh giá.").wait_for()
    rating = DossierRating.objects.get(dossier=dossier)
    assert rating.satisfied and rating.comment == "Nhanh, gọn."

    # The result is now in her document store, next to the reused certificate.
    services.get_by_role("link", name="Kho giấy tờ").click()
    assert page.get_by_role("cell", name="Giấy khai sinh", exact=True).is_visible()

"""PAKN end to end in headless Chromium: a citizen files feedback, an officer (password + TOTP code)
answers it, the citizen reads the reply and rates it. Plain forms, no JavaScript needed."""

from __future__ import annotations

import base64

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from chinhquyenso.accounts.services import user_create_citizen
from chinhquyenso.feedback.models import Petition, PetitionStatus
from tests.feedback.conftest import build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mật-khẩu-đủ-dài-2026!"


def login(page, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base_url}/tai-khoan/dang-nhap/?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()


def test_citizen_files_feedback_officer_answers_citizen_reads_the_reply(page) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    user_create_citizen(username="hoa.nguyen", full_name="Nguyễn Thị Hoa", password=PASSWORD, phone="0912345678")
    officer = world.processor_a
    officer.set_password(PASSWORD)
    officer.save()
    device = TOTPDevice.objects.create(user=officer, name="điện thoại", confirmed=True)

    # 1. The citizen files feedback.
    login(page, "hoa.nguyen", "/phan-anh-kien-nghi/gui/")
    page.wait_for_url("**/phan-anh-kien-nghi/gui/")
    page.get_by_label("Quy định hành chính, thủ tục hành chính").check()
    page.get_by_label("Cơ quan tiếp nhận").select_option(label="UBND xã An Phú")
    page.get_by_label("Tiêu đề").fill("Quá hẹn trả giấy khai sinh")
    page.get_by_label("Nội dung phản ánh, kiến nghị").fill("Hồ sơ khai sinh của con tôi đã quá hẹn 3 ngày.")
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_url("**/phan-anh-kien-nghi/da-gui/")
    code = page.locator("#petition-code").inner_text().strip()
    petition = Petition.objects.get(code=code)
    assert petition.submitter is not None and petition.submitter.username == "hoa.nguyen"
    logout(page)

    # 2. The officer signs in with password and authenticator code, then answers from the inbox.
    login(page, officer.username, "/phan-anh-kien-nghi/can-bo/")
    page.wait_for_url("**/tai-khoan/xac-thuc/**")
    token = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    page.get_by_label("Mã xác thực (6 chữ số)").fill(token)
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/phan-anh-kien-nghi/can-bo/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/phan-anh-kien-nghi/can-bo/{code}/")
    answer_form = page.locator("#action-tra-loi")
    answer_form.get_by_label("Nội dung trả lời").fill("UBND xã đã trả giấy khai sinh ngày 05/03/2026. Xin lỗi bà.")
    answer_form.get_by_role("button", name="Trả lời", exact=True).click()
    page.wait_for_url(f"**/phan-anh-kien-nghi/can-bo/{code}/")
    assert "Đã trả lời phản ánh." in page.locator(".messages").inner_text()
    assert page.locator("#petition-status").inner_text() == "Đã trả lời"
    logout(page)

    # 3. The citizen reads the reply and rates it.
    login(page, "hoa.nguyen", "/phan-anh-kien-nghi/cua-toi/")
    page.wait_for_url("**/phan-anh-kien-nghi/cua-toi/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/phan-anh-kien-nghi/cua-toi/{code}/")
    assert "đã trả giấy khai sinh ngày 05/03/2026" in page.locator("#petition-answer").inner_text()
    page.get_by_label("Hài lòng", exact=True).check()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_url(f"**/phan-anh-kien-nghi/cua-toi/{code}/")
    assert "Cảm ơn bạn đã đánh giá" in page.locator(".messages").inner_text()

    petition.refresh_from_db()
    assert petition.status == PetitionStatus.ANSWERED and petition.answered_by == officer
    assert petition.like_count == 1

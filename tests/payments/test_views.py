"""Web pages: citizen bills and pay page, officer lists per unit (scope), reconciliation, receipt PDF."""

from __future__ import annotations

import io
import re
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from vietnam_qr_pay import QRPay

from chinhquyenso.accounts.models import Role, RoleAssignment
from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.files.selectors import file_read
from chinhquyenso.payments.models import Bill, BillStatus, Receipt
from chinhquyenso.payments.receipts import amount_in_words
from tests.dossiers.factories import Province, UserFactory
from tests.payments.conftest import notification, online_dossier, post_callback, receive

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


def test_citizen_sees_what_they_owe_and_paid(client: Any, world: Province) -> None:
    owed = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    page = text(client.get("/thanh-toan/"))
    assert "Cần thanh toán" in page and "1.258.000 đ" in page and owed.dossier.code in page
    post_callback(client, notification(transaction_id="GD1", order_id=owed.reference, amount=owed.total))
    page = text(client.get("/thanh-toan/"))
    assert "Bạn không có khoản phí, lệ phí nào cần thanh toán." in page
    assert f"/thanh-toan/hoa-don/{owed.slug}/bien-lai.pdf" in page


def test_pay_page_has_vietqr_and_gateway_buttons_and_no_inline_script(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    response = client.get(f"/thanh-toan/hoa-don/{bill.slug}/")
    page = text(response)
    assert response.status_code == 200
    assert f'src="/thanh-toan/hoa-don/{bill.slug}/vietqr.svg"' in page
    assert bill.reference in page and "113366668888" in page and "1.258.000 đ" in page
    assert 'name="gateway" value="local"' in page and 'name="gateway" value="national"' in page
    main = page[page.index("<main"):page.index("</main>")]
    assert "<script" not in main and " onclick" not in main and 'style="' not in main
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    form_action = re.search(r"form-action ([^;]+)", csp)
    assert form_action is not None
    assert "'self'" in form_action.group(1) and "http://127.0.0.1:8790" in form_action.group(1)


def test_vietqr_image_decodes_to_the_bill(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    png = client.get(f"/thanh-toan/hoa-don/{bill.slug}/vietqr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    qr = QRPay(decoded[0].text)
    assert qr.is_valid and qr.amount == "1258000" and qr.additional_data.purpose == bill.reference
    svg = client.get(f"/thanh-toan/hoa-don/{bill.slug}/vietqr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_other_people_get_404(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(UserFactory(username="congdan_khac", is_citizen=True))
    for suffix in ("", "vietqr.svg", "vietqr.png", "ket-qua/", "bien-lai.pdf"):
        assert client.get(f"/thanh-toan/hoa-don/{bill.slug}/{suffix}").status_code == 404, suffix
    assert client.post(f"/thanh-toan/hoa-don/{bill.slug}/thanh-toan/", {"gateway": "local"}).status_code == 404
    login_verified(client, world.counter_b)
    assert client.get(f"/thanh-toan/hoa-don/{bill.slug}/").status_code == 404
    client.logout()
    assert client.get(f"/thanh-toan/hoa-don/{bill.slug}/").status_code == 302  # to the login page


def test_officer_without_the_second_factor_is_sent_to_it(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=receive(world))
    client.force_login(world.counter_a)
    response = client.get(f"/thanh-toan/hoa-don/{bill.slug}/")
    assert response.status_code == 302 and "/tai-khoan/xac-thuc/" in response["Location"]


def test_return_page_trusts_only_the_notification(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    client.force_login(world.citizen)
    page = text(client.get(f"/thanh-toan/hoa-don/{bill.slug}/ket-qua/?status=paid&transaction_id=GD1"))
    assert "Đang chờ cổng thanh toán xác nhận" in page and 'http-equiv="refresh"' in page
    post_callback(client, notification(transaction_id="GD1", order_id=bill.reference, amount=bill.total))
    page = text(client.get(f"/thanh-toan/hoa-don/{bill.slug}/ket-qua/?status=paid"))
    assert "Thanh toán thành công." in page and "bien-lai.pdf" in page and "refresh" not in page
    cancelled = Bill.objects.get(dossier=online_dossier(world, citizen=UserFactory(username="cd2", is_citizen=True)))
    client.force_login(cancelled.dossier.citizen)
    page = text(client.get(f"/thanh-toan/hoa-don/{cancelled.slug}/ket-qua/?status=cancelled"))
    assert "Bạn đã hủy giao dịch" in page


def test_officer_bills_page_is_scoped_and_summed_per_unit(client: Any, world: Province) -> None:
    mine = Bill.objects.get(dossier=receive(world))
    theirs = Bill.objects.get(dossier=receive_b(world))
    login_verified(client, world.counter_a)
    page = text(client.get("/thanh-toan/can-bo/"))
    assert mine.reference in page and theirs.reference not in page
    assert world.commune_a.name in page and world.commune_b.name not in page
    login_verified(client, world.counter_b)
    page = text(client.get("/thanh-toan/can-bo/"))
    assert theirs.reference in page and mine.reference not in page
    assert client.get(f"/thanh-toan/hoa-don/{mine.slug}/").status_code == 404


def receive_b(world: Province) -> Any:
    from chinhquyenso.dossiers import services as dossier_services
    from tests.dossiers.conftest import applicant, components_for, vn

    return dossier_services.dossier_receive(actor=world.counter_b, procedure=world.procedure, agency=world.ubnd_b,
                                            applicant=applicant(), components=components_for(world),
                                            at=vn(2026, 2, 12, 10))


def test_citizens_cannot_open_officer_pages(client: Any, world: Province) -> None:
    client.force_login(world.citizen)
    assert client.get("/thanh-toan/can-bo/").status_code == 403
    assert client.get("/thanh-toan/can-bo/doi-soat/").status_code == 403


def test_cash_and_cancel_from_the_officer_page(client: Any, world: Province) -> None:
    paid = Bill.objects.get(dossier=receive(world))
    login_verified(client, world.counter_a)
    response = client.post(f"/thanh-toan/can-bo/hoa-don/{paid.slug}/tien-mat/", {"receipt_no": "0009"}, follow=True)
    assert "Đã ghi nhận nộp tiền mặt" in text(response)
    paid.refresh_from_db()
    assert paid.status == BillStatus.PAID
    response = client.post(f"/thanh-toan/can-bo/hoa-don/{paid.slug}/tien-mat/", {"receipt_no": "0010"}, follow=True)
    assert "đã được thanh toán" in text(response)
    other = Bill.objects.get(dossier=receive(world))
    response = client.post(f"/thanh-toan/can-bo/hoa-don/{other.slug}/huy/", {"reason": ""}, follow=True)
    assert "Vui lòng nhập lý do hủy" in text(response)
    client.post(f"/thanh-toan/can-bo/hoa-don/{other.slug}/huy/", {"reason": "Lập nhầm"})
    other.refresh_from_db()
    assert other.status == BillStatus.CANCELLED
    # the processing officer may not take cash
    third = Bill.objects.get(dossier=receive(world))
    login_verified(client, world.processor_a)
    client.post(f"/thanh-toan/can-bo/hoa-don/{third.slug}/tien-mat/", {"receipt_no": "1"})
    third.refresh_from_db()
    assert third.status == BillStatus.OPEN


def test_reconciliation_page(client: Any, world: Province) -> None:
    admin = UserFactory(username="qt_tinh")
    RoleAssignment.objects.create(user=admin, role=Role.PROVINCE_ADMIN, unit=world.province)
    login_verified(client, world.counter_a)
    page = text(client.get("/thanh-toan/can-bo/doi-soat/"))
    assert "Không có chênh lệch." in page and 'name="date"' not in page  # only the province runs it
    response = client.post("/thanh-toan/can-bo/doi-soat/", {"date": "2026-02-12", "gateway": "local"}, follow=True)
    assert "Chỉ quản trị cấp tỉnh" in text(response)
    login_verified(client, admin)
    assert 'name="date"' in text(client.get("/thanh-toan/can-bo/doi-soat/"))


def test_receipt_pdf_says_what_was_paid(client: Any, world: Province) -> None:
    bill = Bill.objects.get(dossier=online_dossier(world))
    post_callback(client, notification(transaction_id="GD-PDF", order_id=bill.reference, amount=bill.total))
    receipt = Receipt.objects.get(bill=bill)
    pdf = pdfium.PdfDocument(file_read(receipt.file))
    page = pdf[0]
    content = page.get_textpage().get_text_range()
    flat = " ".join(content.split())
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", receipt.series, f"{receipt.number:07d}", bill.dossier.code,
                     "Nguyễn Văn An", "Lệ phí đăng ký khai sinh", "1.250.000 đ", "1.258.000 đ", "GD-PDF",
                     "Cổng thanh toán của tỉnh", amount_in_words(1_258_000)):
        assert expected in flat, expected
    image = page.render(scale=3).to_pil()
    codes = [r.text for r in zxingcpp.read_barcodes(image)]
    assert f"BIENLAI|{receipt.label}|{bill.reference}|1258000|GD-PDF" in codes


@pytest.mark.parametrize(("amount", "words"), [
    (0, "Không đồng"), (8000, "Tám nghìn đồng"), (15, "Mười lăm đồng"), (21, "Hai mươi mốt đồng"),
    (105, "Một trăm linh năm đồng"), (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"), (24_000, "Hai mươi tư nghìn đồng"),
    (2_000_000_500, "Hai tỷ năm trăm đồng"), (1_258_000, "Một triệu hai trăm năm mươi tám nghìn đồng"),
])
def test_amount_in_words(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words

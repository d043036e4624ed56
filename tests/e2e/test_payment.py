"""A citizen pays a dossier's fee through the mock gateway in a real browser and gets the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chinhquyenso.payments.mock_gateway import MockGateway
from chinhquyenso.payments.models import Bill, BillStatus, Receipt

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-cong-dan-2026"


@pytest.fixture
def mock_gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockGateway]:
    mock = MockGateway(port=0).start()
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_LOCAL_URL", mock.url)
    monkeypatch.setenv("CHINHQUYENSO_PAYMENT_NATIONAL_URL", mock.url)
    try:
        yield mock
    finally:
        mock.stop()


def test_citizen_pays_through_the_gateway_and_downloads_the_receipt(page: Any, mock_gateway: MockGateway) -> None:
    from tests.dossiers.factories import build_province
    from tests.payments.conftest import online_dossier

    world = build_province()
    citizen = world.citizen
    citizen.set_password(PASSWORD)
    citizen.save()
    dossier = online_dossier(world)
    bill = Bill.objects.get(dossier=dossier)
    assert bill.status == BillStatus.OPEN and bill.total == 8000

    page.goto(page.base_url + "/tai-khoan/dang-nhap/?next=/thanh-toan/")
    page.fill("#id_username", citizen.username)
    page.fill("#id_password", PASSWORD)
    page.locator("#main").get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/thanh-toan/")
    assert page.get_by_role("heading", name="Phí, lệ phí của tôi").is_visible()
    assert page.locator("#main").get_by_text("8.000 đ").first.is_visible()

    page.locator("#main").get_by_role("link", name="Thanh toán", exact=True).click()
    page.wait_for_url(f"**/thanh-toan/hoa-don/{bill.slug}/")
    qr = page.get_by_role("img", name="Mã VietQR để chuyển khoản 8.000 đ")
    assert qr.is_visible()
    assert page.evaluate("document.querySelector('.vietqr img').naturalWidth") > 0  # the SVG really loaded
    assert page.get_by_text(bill.reference, exact=True).is_visible()

    page.locator("#main").get_by_role("button", name="Thanh toán qua Cổng thanh toán của tỉnh").click()
    page.wait_for_url(f"{mock_gateway.url}/pay/**")
    assert page.locator("#amount").inner_text() == "8.000 đ"
    page.get_by_role("button", name="Thanh toán", exact=True).click()

    page.wait_for_url(f"**/thanh-toan/hoa-don/{bill.slug}/ket-qua/**")
    assert page.locator("#pay-result").inner_text() == "Thanh toán thành công."
    receipt = Receipt.objects.get(bill=bill)
    with page.expect_download() as download_info:
        page.locator("#main").get_by_role("link", name=f"Tải biên lai điện tử {receipt.label}").click()
    download = download_info.value
    assert download.suggested_filename == f"bien-lai-{receipt.label}.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    bill.refresh_from_db()
    dossier.refresh_from_db()
    assert bill.status == BillStatus.PAID and dossier.paid_online == 2
    assert [d.http_status for d in mock_gateway.state.deliveries] == [200]

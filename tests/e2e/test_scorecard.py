"""The 766 scorecard in headless Chromium: an officer (password + TOTP) opens the scorecard of February,
sees the trend chart drawn by the locally served Chart.js, drills down into 1.4 and opens a dossier."""

from __future__ import annotations

import base64

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.indicators.scorecard_world import build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _seed_766_definitions() -> None:
    """An earlier transactional test flushes every table, including the 766 definitions a data migration
    seeds: load them again the way the migration does."""
    import importlib

    from django.apps import apps

    from chinhquyenso.indicators.models import IndicatorDefinition

    if not IndicatorDefinition.objects.exists():
        importlib.import_module("chinhquyenso.indicators.migrations.0002_decision_766_2022").load(apps, None)

PASSWORD = "Mật-khẩu-đủ-dài-2026!"


def test_scorecard_drill_down_to_a_dossier(page) -> None:  # type: ignore[no-untyped-def]
    _seed_766_definitions()
    sw = build()
    officer = sw.world.processor_a
    officer.set_password(PASSWORD)
    officer.save()
    device = TOTPDevice.objects.create(user=officer, name="điện thoại", confirmed=True)

    target = "/chi-so/bang-diem/?period=month&year=2026&month=2"
    page.goto(f"{page.base_url}/tai-khoan/dang-nhap/?next={target.replace('?', '%3F').replace('&', '%26')}")
    page.get_by_label("Tên đăng nhập").fill(officer.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/tai-khoan/xac-thuc/**")
    page.get_by_label("Mã xác thực (6 chữ số)").fill(pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/chi-so/bang-diem/**")

    assert page.locator("#card-label").inner_text() == "UBND xã An Phú"
    assert "Kỳ 01/02/2026 – 28/02/2026" in page.locator(".score-head").inner_text()
    # Chart.js (served from our static files under the CSP) drew the trend
    # (waited for, not just read: on a loaded machine the deferred script may run after the load event)
    page.wait_for_function("window.Chart && window.Chart.getChart(document.getElementById('trend-chart'))")
    assert page.evaluate("typeof window.Chart") == "function"

    page.get_by_role("link", name="Chi tiết chỉ số 1.4").click()
    page.wait_for_url("**/chi-so/bang-diem/chi-tiet/DOSSIER_SYNC/**")
    table = page.locator("#gap-table")
    assert sw.late.code in table.inner_text() and sw.on_time.code not in table.inner_text()
    table.get_by_role("link", name=sw.late.code).click()
    page.wait_for_url(f"**/ho-so/{sw.late.code}/")
    assert sw.late.code in page.locator("h1").inner_text()

"""The public commune list, the load-units command and the read-only admin."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.units.models import Unit


def test_commune_list_lists_current_communes(client, an_giang):
    response = client.get(reverse("units:commune_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Phường Long Xuyên" in body
    assert "Đặc khu Phú Quốc" in body
    assert "102" in body
    assert "Huyện An Phú" in body  # shown where the new communes came from


def test_commune_list_search_by_former_name(client, an_giang):
    response = client.get(reverse("units:commune_list"), {"q": "da phuoc"})
    body = response.content.decode()
    assert "Xã Vĩnh Hậu" in body
    assert "Phường Long Xuyên" not in body


def test_commune_list_without_data(client, db):
    response = client.get(reverse("units:commune_list"))
    assert response.status_code == 200
    assert "Chưa có dữ liệu" in response.content.decode()


def test_load_units_command_is_idempotent(db):
    out = StringIO()
    call_command("load_units", stdout=out)
    assert "+429" in out.getvalue()
    out = StringIO()
    call_command("load_units", stdout=out)
    assert "+0 (tổng / total 429)" in out.getvalue()
    assert Unit.objects.count() == 429


def test_admin_is_read_only(client, an_giang):
    admin = get_user_model().objects.create_superuser("quantri", "qt@example.org", "mat-khau-rat-dai-123")
    login_verified(client, admin)
    for model in ("unit", "unitchange", "agency"):
        assert client.get(reverse(f"admin:units_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:units_{model}_add")).status_code == 403
    unit = Unit.objects.first()
    assert unit is not None
    page = client.get(reverse("admin:units_unit_change", args=[unit.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content

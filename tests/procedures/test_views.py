"""Public catalog pages: search without JavaScript, filters, pagination, the detail page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_catalog_lists_and_searches_without_diacritics(client, demo):
    response = client.get("/thu-tuc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_q">' in html and 'role="search"' in html
    response = client.get("/thu-tuc/", {"q": "chung thuc ban sao"})
    html = response.content.decode()
    assert "2.000815" in html and "1.001193" not in html


def test_catalog_filters_and_paginates(client, demo):
    html = client.get("/thu-tuc/", {"level": "province"}).content.decode()
    assert "1.009972" in html and "1.001193" not in html
    first = client.get("/thu-tuc/").content.decode()
    assert 'aria-current="page"' in first  # 30+ procedures → more than one page of 20
    second = client.get("/thu-tuc/", {"page": 2}).content.decode()
    codes_first = set(re.findall(r"/thu-tuc/(\d\.\d{6})/", first))
    codes_second = set(re.findall(r"/thu-tuc/(\d\.\d{6})/", second))
    assert codes_second and codes_first.isdisjoint(codes_second)
    # the filter is kept in the pager links (24 commune procedures: two pages)
    html = client.get("/thu-tuc/", {"level": "commune"}).content.decode()
    assert "?level=commune&amp;page=2" in html


def test_invalid_filter_is_ignored_not_an_error(client, demo):
    response = client.get("/thu-tuc/", {"level": "district", "page": "abc"})
    assert response.status_code == 200


def test_detail_shows_components_fees_and_legal_bases(client, demo):
    response = client.get("/thu-tuc/2.000635/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "8.000 đ" in html
    for heading in ("Trình tự thực hiện", "Cách thức thực hiện", "Thành phần, số lượng hồ sơ",
                    "Thời hạn giải quyết", "Đối tượng thực hiện", "Cơ quan thực hiện", "Căn cứ pháp lý"):
        assert heading in html, heading
    assert "Có thể dùng lại giấy tờ" in html
    assert "<script" not in html.split("<main", 1)[1]  # CSP: no inline script


def test_detail_formats_large_fees(client, demo):
    html = client.get("/thu-tuc/2.000488/").content.decode()
    assert "200.000 đ" in html and "Thông tư 244/2016/TT-BTC" in html


def test_unknown_procedure_is_404(client, db):
    assert client.get("/thu-tuc/9.999999/").status_code == 404

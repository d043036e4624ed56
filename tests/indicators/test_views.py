"""The what-if page and the definitions page, plain HTML forms that work without JavaScript."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_urls_are_mounted_under_chi_so() -> None:
    assert reverse("indicators:what_if") == "/chi-so/"
    assert reverse("indicators:definitions") == "/chi-so/dinh-nghia/"


def test_what_if_form_is_shown(client: Client) -> None:
    response = client.get("/chi-so/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tính thử điểm chỉ số 766" in html
    assert '<form method="get"' in html and "<script" not in html
    assert 'value="DOSSIER_ON_TIME"' in html


def test_what_if_gives_points_and_points_at_stake(client: Client) -> None:
    response = client.get("/chi-so/", {"indicator": "DOSSIER_ON_TIME", "numerator": "393087",
                                       "denominator": "443565", "on": "10/10/2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="points-big">17,72</span> / 20 điểm' in html
    assert "88,62%" in html
    assert '<dd class="at-stake">2,28</dd>' in html


def test_what_if_zero_denominator_and_uncertain_weight(client: Client) -> None:
    html = client.get("/chi-so/", {"indicator": "PETITION_PROCESSING_ON_TIME", "numerator": "0",
                                   "denominator": "0"}).content.decode()
    assert '<span class="points-big">6,00</span>' in html and "Điểm tối đa" in html
    html = client.get("/chi-so/", {"indicator": "ONLINE_DOSSIER", "numerator": "1",
                                   "denominator": "4"}).content.decode()
    assert '<span class="points-big">3,00</span>' in html and "trọng số chưa chắc chắn" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"indicator": "DOSSIER_ON_TIME", "numerator": "5", "denominator": "2"}, "Tử số không được lớn hơn mẫu số"),
        ({"indicator": "NOPE", "numerator": "1", "denominator": "2"}, "Hãy chọn"),
        ({"indicator": "DOSSIER_ON_TIME", "numerator": "-1", "denominator": "2"}, "Không được âm."),
        ({"indicator": "DOSSIER_ON_TIME", "numerator": "mười", "denominator": "2"}, "Hãy nhập một số."),
        ({"indicator": "DOSSIER_ON_TIME", "numerator": "", "denominator": "2"}, "bắt buộc"),
    ],
)
def test_what_if_errors(client: Client, params, message) -> None:
    response = client.get("/chi-so/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "points-big" not in html


def test_definitions_page(client: Client) -> None:
    response = client.get("/chi-so/dinh-nghia/", {"on": "10/10/2026"})
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("CKMB — Công khai, minh bạch", "TDGQ — Tiến độ giải quyết", "CLGQ — Dịch vụ công trực tuyến",
                    "TTTT — Thanh toán trực tuyến", "MDSH — Số hóa hồ sơ", "MDHL — Mức độ hài lòng"):
        assert heading in html
    assert "tổng điểm tối đa 100" in html
    # 3 CLGQ + 3 TTTT sub-indicators, plus one badge on each of those two groups
    assert html.count('class="badge badge-uncertain"') == 8
    assert "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn" in html and "90%" in html
    assert "Xuất sắc: từ 90 điểm" in html


def test_definitions_page_before_the_decision(client: Client) -> None:
    html = client.get("/chi-so/dinh-nghia/", {"on": "01/01/2021"}).content.decode()
    assert "Chưa có bộ chỉ số áp dụng cho ngày này." in html

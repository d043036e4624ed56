"""Scorecard, drill-down, ranking and public pages through the Django test client, with the scope rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from chinhquyenso.accounts.testing import login_verified
from tests.indicators.scorecard_world import FEBRUARY, ScoreWorld, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(db: Any) -> ScoreWorld:
    return build()


def test_anonymous_and_citizens_cannot_open_scorecards(client: Client, sw: ScoreWorld) -> None:
    response = client.get("/chi-so/bang-diem/")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]
    client.force_login(sw.world.citizen)
    assert client.get("/chi-so/bang-diem/").status_code == 403
    assert client.get("/chi-so/xep-hang/").status_code == 403


def test_commune_officer_sees_own_agency_scorecard(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    response = client.get("/chi-so/bang-diem/", FEBRUARY)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span id="card-label">UBND xã An Phú</span>' in html
    assert 'id="line-DOSSIER_SYNC"' in html and "1 / 3" not in html  # the table, not a fraction string
    sync_row = html.split('id="line-DOSSIER_SYNC"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in sync_row and '<td class="num">3</td>' in sync_row
    assert "33,33%" in sync_row and "<strong>2,00</strong>" in sync_row
    # 2.2 is an average in working days, not a percent
    avg_row = html.split('id="line-AVERAGE_PROCESSING_TIME"')[1].split("</tr>")[0]
    assert "ngày làm việc (trung bình)" in avg_row and "%" not in avg_row.split("</th>")[1].split("</td>")[2]
    assert "trọng số chưa chắc chắn" in html
    assert 'id="kpi-online_share"' in html and 'id="trend-data"' in html
    assert "indicators/vendor/chart.umd.min.js" in html
    assert 'id="card-rank">Xếp hạng' in html
    assert "/chi-so/bang-diem/chi-tiet/DOSSIER_SYNC/" in html
    # no other agency to choose, no province option
    assert "Toàn tỉnh</option>" not in html and "UBND phường Long Xuyên" not in html


def test_commune_officer_cannot_open_another_commune(client: Client, sw: ScoreWorld) -> None:
    w = sw.world
    login_verified(client, w.processor_a)
    assert client.get("/chi-so/bang-diem/", {"agency": w.ubnd_b.code}).status_code == 403
    assert client.get("/chi-so/bang-diem/", {"unit": w.commune_b.pk}).status_code == 403
    assert client.get("/chi-so/bang-diem/", {"unit": w.province.pk}).status_code == 403
    assert client.get("/chi-so/bang-diem/chi-tiet/DOSSIER_SYNC/",
                      {"agency": w.ubnd_b.code, **FEBRUARY}).status_code == 403
    assert client.get("/chi-so/bang-diem/tai-ve.xlsx", {"agency": w.ubnd_b.code}).status_code == 403
    assert client.get("/chi-so/bang-diem/", {"agency": "NO-SUCH"}).status_code == 404
    assert client.get("/chi-so/bang-diem/", {"unit": "abc"}).status_code == 404


def test_drilldown_lists_dossiers_linking_to_their_pages(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    response = client.get("/chi-so/bang-diem/chi-tiet/DOSSIER_SYNC/", FEBRUARY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 hồ sơ chưa đạt" in html
    assert f'<a href="/ho-so/{sw.late.code}/">{sw.late.code}</a>' in html
    assert f'<a href="/ho-so/{sw.open_a.code}/">{sw.open_a.code}</a>' in html
    assert sw.on_time.code not in html and sw.other_b.code not in html
    assert html.index(sw.late.code) < html.index(sw.open_a.code)
    assert client.get(f"/ho-so/{sw.late.code}/").status_code == 200
    assert client.get("/chi-so/bang-diem/chi-tiet/NOPE/", FEBRUARY).status_code == 404


def test_drilldown_of_procedures_and_petitions(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.province_user)
    html = client.get("/chi-so/bang-diem/chi-tiet/ONLINE_SERVICE_WITH_DOSSIERS/", FEBRUARY).content.decode()
    assert 'id="procedure-table"' in html and sw.world.procedure.code in html
    html = client.get("/chi-so/bang-diem/chi-tiet/PETITION_PROCESSING_ON_TIME/", FEBRUARY).content.decode()
    assert "/phan-anh-kien-nghi/can-bo/" in html


def test_province_user_sees_the_province_and_level_kpis(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.province_user)
    html = client.get("/chi-so/bang-diem/", FEBRUARY).content.decode()
    assert '<span id="card-label">An Giang</span>' in html
    assert "Cơ quan cấp tỉnh" in html and "UBND cấp xã" in html  # KPIs split by level
    assert "Toàn tỉnh</option>" in html
    sync_row = html.split('id="line-DOSSIER_SYNC"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in sync_row and '<td class="num">4</td>' in sync_row
    # drill-down on the province lists the other commune too
    html = client.get("/chi-so/bang-diem/chi-tiet/DOSSIER_SYNC/", FEBRUARY).content.decode()
    assert sw.other_b.code in html and "3 hồ sơ chưa đạt" in html


def test_ranking_by_level_with_links_only_where_allowed(client: Client, sw: ScoreWorld) -> None:
    w = sw.world
    login_verified(client, w.processor_a)
    html = client.get("/chi-so/xep-hang/", {"level": "xa", **FEBRUARY}).content.decode()
    assert "UBND xã An Phú" in html and "UBND phường Long Xuyên" in html
    assert "Sở Tư pháp" not in html
    assert f"?agency={w.ubnd_a.code}" in html and f"?agency={w.ubnd_b.code}" not in html
    rows = html.split('id="rank-table"')[1]
    assert rows.index("UBND xã An Phú") < rows.index("UBND phường Long Xuyên")  # more points, ranked first
    assert '<td class="num">1/2</td>' in rows and '<td class="num">2/2</td>' in rows
    assert "badge-weak" in rows
    html = client.get("/chi-so/xep-hang/", {"level": "tinh", **FEBRUARY}).content.decode()
    assert "Sở Tư pháp" in html and "UBND xã An Phú" not in html


def test_bad_period_is_a_clear_error(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    response = client.get("/chi-so/bang-diem/", {"period": "custom", "start": "01/03/2026", "end": "01/02/2026"})
    assert response.status_code == 400
    assert "Ngày cuối kỳ phải sau ngày đầu kỳ." in response.content.decode()
    response = client.get("/chi-so/bang-diem/", {"period": "custom", "start": "01/02/2026"})
    assert response.status_code == 400 and "Hãy nhập cả ngày đầu và ngày cuối kỳ" in response.content.decode()


def test_custom_range_and_quarter(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    html = client.get("/chi-so/bang-diem/", {"period": "custom", "start": "10/02/2026",
                                             "end": "28/02/2026"}).content.decode()
    sync_row = html.split('id="line-DOSSIER_SYNC"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in sync_row  # received 12/02 and 20/02
    html = client.get("/chi-so/bang-diem/", {"period": "quarter", "year": "2026", "quarter": "1"}).content.decode()
    assert "Kỳ 01/01/2026 – 31/03/2026" in html


def test_public_page_shows_aggregates_only(client: Client, sw: ScoreWorld) -> None:
    response = client.get("/chi-so/cong-khai/", FEBRUARY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "An Giang" in html and 'id="card-total"' in html and 'id="line-DOSSIER_SYNC"' in html
    for d in (sw.late, sw.on_time, sw.open_a, sw.other_b):
        assert d.code not in html
        assert d.applicant_name not in html
    assert "chi-tiet" not in html and "/ho-so/" not in html and "Điểm còn mất —" not in html


def test_navigation_and_home_link_for_officers(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    html = client.get("/").content.decode()
    assert 'href="/chi-so/bang-diem/"' in html

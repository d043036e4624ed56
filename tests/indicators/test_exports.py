"""XLSX and CSV exports carry the same numbers as the scorecard and the ranking."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from chinhquyenso.accounts.testing import login_verified
from chinhquyenso.indicators import exports
from chinhquyenso.indicators.computations import Window
from chinhquyenso.indicators.scorecards import agency_target, agency_targets, ranking, scorecards
from tests.indicators.scorecard_world import FEBRUARY, ScoreWorld, build

pytestmark = pytest.mark.django_db

FEB = Window(dt.date(2026, 2, 1), dt.date(2026, 2, 28), today=dt.date(2026, 11, 25))


@pytest.fixture
def sw(db: Any) -> ScoreWorld:
    return build()


def _row(rows: list[list[Any]], code: str) -> list[Any]:
    return next(r for r in rows if len(r) > 2 and r[2] == code)


def test_scorecard_rows_match_the_card(sw: ScoreWorld) -> None:
    card = scorecards(FEB, [agency_target(sw.world.ubnd_a)])[0]
    rows = exports.scorecard_rows(card)
    assert rows[1] == ["Đơn vị", "UBND xã An Phú"]
    assert rows[3][1] == card.total
    sync = _row(rows, "DOSSIER_SYNC")
    assert sync[4:10] == [1, 3, card.line("DOSSIER_SYNC").result.percent, "%", 2, 6]
    avg = _row(rows, "AVERAGE_PROCESSING_TIME")
    assert avg[7] == "ngày làm việc"
    assert len([r for r in rows if len(r) > 3 and str(r[3]).startswith("Cộng nhóm")]) == len(card.groups)


def test_xlsx_and_csv_downloads(client: Client, sw: ScoreWorld) -> None:
    login_verified(client, sw.world.processor_a)
    response = client.get("/chi-so/bang-diem/tai-ve.xlsx", FEBRUARY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1][:2] == ["Đơn vị", "UBND xã An Phú"]
    sync = _row(values, "DOSSIER_SYNC")
    assert sync[4:6] == [1, 3] and sync[8] == 2

    response = client.get("/chi-so/bang-diem/tai-ve.csv", FEBRUARY)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    sync_csv = _row(rows, "DOSSIER_SYNC")
    assert sync_csv[4:10] == ["1.00", "3.00", "33.33", "%", "2.00", "6.00"]
    assert client.get("/chi-so/bang-diem/tai-ve.pdf", FEBRUARY).status_code == 404


def test_ranking_exports(client: Client, sw: ScoreWorld) -> None:
    ranked = ranking(FEB, agency_targets(level="xa"))
    rows = exports.ranking_rows(ranked)
    assert rows[0][:6] == ["Hạng", "Trong số", "Cấp", "Cơ quan, đơn vị", "Tổng điểm", "Xếp loại"]
    assert [r[3] for r in rows[1:]] == ["UBND xã An Phú", "UBND phường Long Xuyên"]
    assert [r[0] for r in rows[1:]] == [1, 2]

    login_verified(client, sw.world.processor_a)
    response = client.get("/chi-so/xep-hang/tai-ve.xlsx", {"level": "xa", **FEBRUARY})
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert [r[3] for r in values[1:]] == ["UBND xã An Phú", "UBND phường Long Xuyên"]
    assert values[1][4] == float(ranked[0].card.total)
    text = client.get("/chi-so/xep-hang/tai-ve.csv", {"level": "xa", **FEBRUARY}).content.decode("utf-8")
    assert "UBND phường Long Xuyên" in text

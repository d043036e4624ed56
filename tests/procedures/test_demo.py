"""The An Giang demo catalog: real codes, both levels, complete, processes that fit."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from chinhquyenso.procedures.models import Procedure, ProcedureComponent, ProcedureFee, ProcessVersion
from chinhquyenso.procedures.selectors import procedures_incomplete
from chinhquyenso.procedures.services import DEMO_PATH, procedures_load_demo

pytestmark = pytest.mark.django_db


def test_demo_has_at_least_30_procedures_on_both_levels(demo):
    assert demo >= 30
    assert Procedure.objects.count() == demo
    assert Procedure.objects.filter(level="commune").count() >= 10
    assert Procedure.objects.filter(level="province").count() >= 5
    assert all(re.fullmatch(r"[12]\.\d{6}", p.code) for p in Procedure.objects.all())


def test_demo_is_complete_and_realistic(demo):
    assert procedures_incomplete() == []
    assert Procedure.objects.filter(service_level="full_online").count() >= 5
    assert Procedure.objects.filter(result_on_paper=False).exists()
    assert ProcedureComponent.objects.filter(reusable=True, document_type="cccd").count() >= 10
    assert ProcedureComponent.objects.filter(reusable=True, document_type="giay_khai_sinh").exists()
    assert ProcedureFee.objects.get(procedure__code="2.000635").amount == 8000
    assert not ProcedureFee.objects.filter(procedure__code="1.001193").exists()  # khai sinh đúng hạn: miễn
    khai_sinh = Procedure.objects.get(code="1.001193")
    assert khai_sinh.name == "Thủ tục đăng ký khai sinh" and khai_sinh.field.name == "Hộ tịch"


def test_every_demo_process_has_3_to_5_steps_summing_to_the_time_limit(demo):
    hours = {"hour": Decimal(1), "working_day": Decimal(8)}
    for version in ProcessVersion.objects.select_related("procedure").prefetch_related("steps"):
        steps = list(version.steps.all())
        assert 3 <= len(steps) <= 5, version
        p = version.procedure
        if p.time_limit_unit in hours:
            total = sum(s.duration_amount * hours[s.duration_unit] for s in steps)
            assert total == p.time_limit_amount * hours[p.time_limit_unit], p.code
        else:
            assert sum(s.duration_amount for s in steps) == p.time_limit_amount, p.code
        assert steps[0].role == "one_stop_officer" and steps[-1].allowed_actions == ["finish"]
        assert any(s.role == "leader" and "sign" in s.allowed_actions for s in steps)


def test_demo_load_is_idempotent(demo):
    counts = (Procedure.objects.count(), ProcessVersion.objects.count(), ProcedureComponent.objects.count())
    ids = list(ProcedureComponent.objects.order_by("id").values_list("id", flat=True))
    assert procedures_load_demo() == demo
    assert (Procedure.objects.count(), ProcessVersion.objects.count(), ProcedureComponent.objects.count()) == counts
    assert list(ProcedureComponent.objects.order_by("id").values_list("id", flat=True)) == ids


def test_demo_links_province_agencies_when_they_exist(agencies, db):
    procedures_load_demo()
    gpxd = Procedure.objects.get(code="1.009972")
    assert list(gpxd.handling_agencies.all()) == [agencies["xay_dung"]]


def test_demo_file_codes_are_unique():
    codes = [item["code"] for item in json.loads(DEMO_PATH.read_text(encoding="utf-8"))]
    assert len(codes) == len(set(codes))

"""import-feedback: ratings and petitions of a generated year round-trip into the 766 scorecard (MDHL),
restart without duplicates, rejects with reasons, follow-ups and live petition codes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.citizens.importing_feedback import feedback_import, rejected_path
from chinhquyenso.citizens.models import DossierRating
from chinhquyenso.dossiers.generate import Rates, dossiers_generate, feedback_path
from chinhquyenso.dossiers.importing import dossiers_import, parse_moment
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.feedback import rules
from chinhquyenso.feedback.models import FeedbackRuleSet, Petition, PetitionCodeCounter, PetitionEvent
from chinhquyenso.feedback.services import rule_set_create
from chinhquyenso.indicators.models import IndicatorRollup
from chinhquyenso.indicators.rollups import rollups_verify
from chinhquyenso.procedures.services import procedures_load_demo
from chinhquyenso.units.services import units_load_an_giang
from chinhquyenso.workdays.calendar import TIMEZONE, get_calendar

#: More feedback than the calibrated defaults, so that a small year has some of everything.
BUSY = Rates(rated=0.5, petition_dossier=0.08, petition_other=0.06, petition_raised_again=0.3)
FROM, TO = "2026-01-01", "2026-06-30"  # a past period: the scorecard does not depend on today


@pytest.fixture
def province(db: Any) -> None:
    units_load_an_giang()
    procedures_load_demo()
    if not FeedbackRuleSet.objects.filter(code="QD766-2022").exists():  # a flushed DB lost the migration's row
        rule_set_create(code="QD766-2022", name="Bộ chỉ số 766", valid_from=dt.date(2022, 6, 23), reply_days=15,
                        refuse_days=2, first_info_request_days=5, publish_days=2, in_progress_days=15)


def _year(tmp_path: Path, count: int = 300, seed: int = 5, rates: Rates = BUSY) -> tuple[Path, Path]:
    out = tmp_path / "year.jsonl"
    dossiers_generate(count=count, year=2026, seed=seed, out=out, rates=rates)
    report = dossiers_import(path=out, batch_size=100)
    assert report.rejected == 0
    return out, feedback_path(out)


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    "utf-8")
    return path


def _card() -> dict[str, dict[str, Any]]:
    out = StringIO()
    call_command("indicators", "scorecard", "--from", FROM, "--to", TO, "--json", stdout=out)
    data = json.loads(out.getvalue())
    lines = {i["code"]: i for g in data["groups"] for i in g["indicators"]}
    lines.update({g["code"]: g for g in data["groups"]})
    for line in lines.values():  # the JSON carries decimals as strings
        for key in ("numerator", "denominator", "points", "rate_percent"):
            if line.get(key) is not None:
                line[key] = Decimal(str(line[key]))
    return lines


def _in_window(moment: str) -> bool:
    return FROM.replace("-", "") <= moment[:8] <= TO.replace("-", "")


def test_round_trip_sets_what_the_766_rules_read(province: None, tmp_path: Path) -> None:
    _, fb = _year(tmp_path)
    records = _records(fb)
    ratings = [r for r in records if r["LoaiBanGhi"] == "DanhGiaHoSo"]
    petitions = [r for r in records if r["LoaiBanGhi"] == "PAKN"]
    assert ratings and petitions and any("MaPAKNGoc" in p for p in petitions)
    before = _card()
    assert before["PETITION_PROCESSING_ON_TIME"]["denominator"] == 0

    report = feedback_import(path=fb, batch_size=40)
    assert (report.ratings, report.petitions, report.rejected, report.skipped_existing) == (
        len(ratings), len(petitions), 0, 0)
    assert not rejected_path(fb).exists()
    assert DossierRating.objects.count() == len(ratings) and Petition.objects.count() == len(petitions)
    assert AuditEvent.objects.filter(action="feedback.imported").count() == report.batches

    for r in ratings:
        row = DossierRating.objects.select_related("dossier").get(dossier__code=r["MaHoSo"])
        assert (row.satisfied, row.rated_at, row.agency_id) == (
            bool(r["HaiLong"]), parse_moment(r["NgayDanhGia"]), row.dossier.agency_id)
    cal = get_calendar(years=(2026, 2027))
    limits = rules.PetitionRules(15, 2, 5, 2, 15)
    statuses = set()
    for p in petitions:
        row = Petition.objects.select_related("dossier", "follow_up_of").get(code=p["MaPAKN"])
        received = parse_moment(p["NgayTiepNhan"])
        dues = rules.due_dates(received, limits, cal)
        assert (row.received_at, row.clock_started_at, row.reply_due_at, row.refuse_due_at,
                row.info_request_due_at) == (received, received, dues.reply, dues.refuse, dues.first_info_request)
        assert row.rule_set.code == "QD766-2022" and row.unit_id == row.agency.unit_id
        for field, key in (("answered_at", "NgayTraLoi"), ("refused_at", "NgayTuChoi"),
                           ("published_at", "NgayCongKhai"), ("first_info_request_at", "NgayYeuCauBoSung"),
                           ("raised_again_at", "NgayPhanAnhLai")):
            assert getattr(row, field) == (parse_moment(p[key]) if key in p else None), (p["MaPAKN"], field)
        expected = ("published" if "NgayCongKhai" in p else "answered" if "NgayTraLoi" in p
                    else "refused" if "NgayTuChoi" in p else None)
        if expected:
            assert row.status == expected
        statuses.add(row.status)
        vote = p.get("DanhGiaTraLoi")
        assert (row.like_count, row.dislike_count) == (int(vote == 1), int(vote == 0))
        assert (row.dossier.code if row.dossier else None) == p.get("MaHoSo")
        assert (row.follow_up_of.code if row.follow_up_of else None) == p.get("MaPAKNGoc")
        if "NgayTraLoi" in p and p.get("CongKhai"):
            assert row.publish_due_at == rules.publish_due(row.answered_at, limits, cal)
        events = list(PetitionEvent.objects.filter(petition=row).order_by("seq"))
        assert events[0].kind == "submitted" and all(e.payload["imported"] for e in events)
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert row.version == len(events)
        assert row.search_text  # filled although bulk_create skips save()
    assert {"answered", "published"} <= statuses

    after = _card()
    on_time = after["PETITION_PROCESSING_ON_TIME"]
    assert on_time["denominator"] == sum(_in_window(p["NgayTiepNhan"]) for p in petitions)
    assert after["PETITION_HANDLING_SATISFACTION"]["denominator"] == sum(
        _in_window(p["NgayTiepNhan"]) and "MaPAKNGoc" not in p for p in petitions)
    # 5.4: a received dossier of the window with a dislike or a petition about it
    flagged = {r["MaHoSo"] for r in ratings if r["HaiLong"] == 0} | {p["MaHoSo"] for p in petitions if "MaHoSo" in p}
    expected_unhappy = Dossier.objects.filter(
        code__in=flagged, received_at__gte=dt.datetime(2026, 1, 1, tzinfo=TIMEZONE),
        received_at__lt=dt.datetime(2026, 7, 1, tzinfo=TIMEZONE)).count()
    assert expected_unhappy > 0
    unhappy = IndicatorRollup.objects.filter(metric="unsatisfied", grain="D", period_start__gte=FROM,
                                             period_start__lte=TO).aggregate(n=Sum("numerator"))["n"]
    assert unhappy == expected_unhappy
    assert rollups_verify() == []  # the per-batch refresh equals a rebuild
    assert after["MDHL"]["points"] < before["MDHL"]["points"]
    assert after["DOSSIER_RECEIVING_SATISFACTION"]["points"] < before["DOSSIER_RECEIVING_SATISFACTION"]["points"]


def test_dislikes_lower_5_4_and_likes_do_not(province: None, tmp_path: Path) -> None:
    _year(tmp_path, count=200, seed=8, rates=Rates(rated=0, petition_dossier=0, petition_other=0))
    base = _card()["DOSSIER_RECEIVING_SATISFACTION"]
    finished = list(Dossier.objects.filter(status__in=(9, 10), received_at__lt=dt.datetime(2026, 7, 1, tzinfo=TIMEZONE))
                    .order_by("code"))
    dislikes, likes = finished[:6], finished[6:20]

    def rating(d: Dossier, satisfied: int) -> dict[str, Any]:
        moment = (d.returned_at or d.finished_at) + dt.timedelta(hours=3)  # type: ignore[operator]
        return {"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo": d.code, "HaiLong": satisfied,
                "NgayDanhGia": moment.astimezone(TIMEZONE).strftime("%Y%m%d%H%M%S")}

    feedback_import(path=_write(tmp_path / "likes.jsonl", [rating(d, 1) for d in likes]))
    liked = _card()["DOSSIER_RECEIVING_SATISFACTION"]
    assert (liked["numerator"], liked["points"]) == (base["numerator"], base["points"])

    feedback_import(path=_write(tmp_path / "dislikes.jsonl", [rating(d, 0) for d in dislikes]))
    after = _card()["DOSSIER_RECEIVING_SATISFACTION"]
    received = base["denominator"]
    drop = base["rate_percent"] - after["rate_percent"]
    assert abs(drop - Decimal(600) / Decimal(received)) < Decimal("0.01")  # 6 dossiers of `received`
    assert after["points"] <= base["points"]
    assert DossierRating.objects.filter(satisfied=False).count() == 6


def test_restart_after_a_crash_and_rerun_add_nothing_twice(province: None, tmp_path: Path) -> None:
    _, fb = _year(tmp_path, count=200, seed=9)
    records = _records(fb)
    wanted = (sum(r["LoaiBanGhi"] == "DanhGiaHoSo" for r in records), sum(r["LoaiBanGhi"] == "PAKN" for r in records))

    def crash(batch: int) -> None:
        if batch == 2:
            raise RuntimeError("mất điện")

    with pytest.raises(RuntimeError):
        feedback_import(path=fb, batch_size=7, after_batch=crash)
    done = DossierRating.objects.count() + Petition.objects.count()
    assert 0 < done <= 14
    second = feedback_import(path=fb, batch_size=7)
    assert second.skipped_existing == done
    assert (DossierRating.objects.count(), Petition.objects.count()) == wanted
    events, audits = PetitionEvent.objects.count(), AuditEvent.objects.filter(action="feedback.imported").count()
    third = feedback_import(path=fb, batch_size=50)
    assert (third.ratings, third.petitions, third.skipped_existing) == (0, 0, sum(wanted))
    assert (DossierRating.objects.count(), Petition.objects.count(), PetitionEvent.objects.count()) == (*wanted, events)
    assert AuditEvent.objects.filter(action="feedback.imported").count() == audits  # nothing written, no audit row
    # every follow-up points at its original, which is marked raised again
    for follow_up in Petition.objects.filter(follow_up_of__isnull=False).select_related("follow_up_of"):
        assert follow_up.follow_up_of is not None and follow_up.follow_up_of.raised_again_at is not None


def test_rejects_with_reasons_and_nothing_of_them_written(province: None, tmp_path: Path) -> None:
    _year(tmp_path, count=120, seed=3, rates=Rates(rated=0, petition_dossier=0, petition_other=0))
    done = Dossier.objects.filter(status__in=(9, 10)).order_by("code").first()
    open_one = Dossier.objects.exclude(status__in=(9, 10)).order_by("code").first()
    assert done is not None and open_one is not None
    end = (done.returned_at or done.finished_at).astimezone(TIMEZONE)  # type: ignore[union-attr]
    later = (end + dt.timedelta(days=1)).strftime("%Y%m%d%H%M%S")
    good = {"LoaiBanGhi": "PAKN", "MaPAKN": "PAKN-260302-0007", "DonViXuLy": done.agency.portal_code, "ChuDe": 1,
            "NoiDung": "Đề nghị đơn giản hóa thành phần hồ sơ.", "HoTenNguoiPhanAnh": "Lê Văn Tâm",
            "NgayTiepNhan": "20260302100000", "NgayTraLoi": "20260305100000", "NoiDungTraLoi": "Đã tiếp thu."}
    bad = [
        {"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo": "KHONG-CO", "HaiLong": 0, "NgayDanhGia": later},
        {"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo": open_one.code, "HaiLong": 0, "NgayDanhGia": later},
        {"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo": done.code, "HaiLong": 2, "NgayDanhGia": "20261345090000"},
        {**good, "MaPAKN": "PAKN-X1", "DonViXuLy": "KHONG-CO"},
        {**good, "MaPAKN": "PAKN-X2", "NgayTuChoi": "20260303100000"},
        {**good, "MaPAKN": "PAKN-X3", "MaPAKNGoc": "PAKN-CHUA-CO"},
        {**good, "MaPAKN": "PAKN-X4", "ChuDe": 9, "MaHoSo": "KHONG-CO"},
        {**good, "MaPAKN": "PAKN-X5", "NgayTraLoi": "20260301100000", "DanhGiaTraLoi": 0},
        {"LoaiBanGhi": "Khac"},
        "{không phải json",
    ]
    ok_rating = {"LoaiBanGhi": "DanhGiaHoSo", "MaHoSo": done.code, "HaiLong": 0, "NgayDanhGia": later}
    path = _write(tmp_path / "fb.jsonl", [good, *bad, ok_rating, good])
    report = feedback_import(path=path)
    assert (report.petitions, report.ratings, report.rejected, report.skipped_existing) == (1, 1, len(bad), 1)
    rejects = [json.loads(line) for line in rejected_path(path).read_text("utf-8").splitlines()]
    assert [r["dong"] for r in rejects] == list(range(2, 2 + len(bad)))
    reasons = [" | ".join(r["ly_do"]) for r in rejects]
    assert "Không có hồ sơ «KHONG-CO»" in reasons[0]
    assert "chưa có kết quả" in reasons[1]
    assert "HaiLong «2» phải là 0 hoặc 1" in reasons[2] and "NgayDanhGia «20261345090000»" in reasons[2]
    assert "Không có cơ quan mã «KHONG-CO»" in reasons[3]
    assert "vừa bị từ chối" in reasons[4]
    assert "Không có PAKN gốc «PAKN-CHUA-CO»" in reasons[5]
    assert "ChuDe «9»" in reasons[6] and "Không có hồ sơ «KHONG-CO»" not in reasons[6]  # checked later, once valid
    assert "NgayTraLoi (20260301100000) trước NgayTiepNhan" in reasons[7]
    assert "LoaiBanGhi «Khac»" in reasons[8]
    assert "không phải JSON" in reasons[9] and rejects[9]["noi_dung"] == "{không phải json"
    assert list(Petition.objects.values_list("code", flat=True)) == ["PAKN-260302-0007"]
    assert DossierRating.objects.get().dossier_id == done.pk
    # a live petition code of that day comes after the imported one
    assert PetitionCodeCounter.objects.get(day=dt.date(2026, 3, 2)).last == 7


def test_follow_up_marks_its_original_raised_again(province: None, tmp_path: Path) -> None:
    _year(tmp_path, count=20, seed=4, rates=Rates(rated=0, petition_dossier=0, petition_other=0))
    agency = Dossier.objects.first().agency.code  # type: ignore[union-attr]
    first = {"LoaiBanGhi": "PAKN", "MaPAKN": "PAKN-260105-0001", "DonViXuLy": agency, "ChuDe": 2,
             "NoiDung": "Cán bộ hướng dẫn không đầy đủ.", "HoTenNguoiPhanAnh": "Trần Thị Hoa",
             "NgayTiepNhan": "20260105090000", "NgayTraLoi": "20260106090000", "DanhGiaTraLoi": 0}
    feedback_import(path=_write(tmp_path / "a.jsonl", [first]))
    follow = {**first, "MaPAKN": "PAKN-260110-0001", "MaPAKNGoc": "PAKN-260105-0001", "NgayTiepNhan": "20260110090000",
              "NgayTraLoi": "20260112090000", "DanhGiaTraLoi": 1}
    feedback_import(path=_write(tmp_path / "b.jsonl", [follow]))
    original = Petition.objects.get(code="PAKN-260105-0001")
    assert original.raised_again_at == parse_moment("20260110090000")
    assert list(original.events.values_list("kind", flat=True)) == ["submitted", "answered", "rated", "raised_again"]
    assert original.version == 4
    follow_up = Petition.objects.get(code="PAKN-260110-0001")
    assert follow_up.follow_up_of_id == original.pk
    card = _card()
    assert card["PETITION_HANDLING_SATISFACTION"]["denominator"] == 1  # follow-ups are not newly received (5.3)
    assert card["PETITION_HANDLING_SATISFACTION"]["numerator"] == 0  # disliked and raised again
    assert card["PETITION_PROCESSING_ON_TIME"]["denominator"] == 2


def test_command_prints_a_summary(province: None, tmp_path: Path) -> None:
    _, fb = _year(tmp_path, count=60, seed=2)
    out = StringIO()
    call_command("import_feedback", str(fb), "--batch", "25", stdout=out)
    assert "đánh giá hồ sơ" in out.getvalue() and "phản ánh, kiến nghị" in out.getvalue()
    missing = tmp_path / "khong-co.jsonl"
    with pytest.raises(Exception, match="Không tìm thấy tệp"):
        call_command("import_feedback", str(missing))

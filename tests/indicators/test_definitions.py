"""The loaded QĐ 766 definition set, the portal's own figures through it, and dated revisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.core.errors import Conflict, NotFound, ValidationFailed
from chinhquyenso.indicators import scoring, selectors, services
from chinhquyenso.indicators.models import ClassificationBand, IndicatorDefinition, IndicatorGroup

from .portal_data import PAIRS, UNIT_TOTALS

pytestmark = pytest.mark.django_db
D = Decimal
ON = date(2026, 10, 10)
DECISION_DAY = date(2022, 6, 23)

EXPECTED_GROUPS = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDSH": 22, "MDHL": 18}
EXPECTED_WEIGHTS = {
    "PUBLISH_ON_TIME": 6, "PUBLIC_UPDATE_ON_TIME": 4, "PUBLIC_CONTENT_FULL": 2, "DOSSIER_SYNC": 6,
    "DOSSIER_ON_TIME": 20, "AVERAGE_PROCESSING_TIME": 0,
    "ONLINE_SERVICE_PROVIDED": 2, "ONLINE_SERVICE_WITH_DOSSIERS": 4, "ONLINE_DOSSIER": 6,
    "PAYMENT_DOSSIER_RATE": 6, "PAYMENT_PROCEDURE_TRANSACTION": 2, "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER": 2,
    "ORIGINAL_RESULT_AVAILABLE": 6, "SO_HOA_GIAY_TO_GIAI_QUYET": 4, "REUSED_DIGITIZED_DATA": 2,
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": 4, "CITIZEN_DATA_CONNECTED_DOSSIER": 2,
    "CITIZEN_DATA_CONNECTED_FORMALITY": 2, "ELECTRONIC_CERTIFIED_COPY": 2,
    "PETITION_CLASSIFICATION_TTHC": 0, "PETITION_CLASSIFICATION_STAFF": 0, "PETITION_PROCESSING_ON_TIME": 6,
    "PETITION_HANDLING_SATISFACTION": 6, "DOSSIER_RECEIVING_SATISFACTION": 6,
}


def test_the_decision_766_set_is_loaded_from_the_decision_date() -> None:
    defs = {d.code: d for d in selectors.definitions_on(on=DECISION_DAY)}
    assert {c: int(d.max_points) for c, d in defs.items()} == EXPECTED_WEIGHTS
    assert {g.code: int(g.max_points) for g in selectors.groups_on(on=DECISION_DAY)} == EXPECTED_GROUPS
    assert not selectors.definitions_on(on=date(2022, 6, 22)).exists()
    assert defs["DOSSIER_ON_TIME"].ref == "2.1"
    assert defs["DOSSIER_ON_TIME"].name == "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"
    assert {c: d.target for c, d in defs.items() if d.target != 1} == {
        "ONLINE_SERVICE_PROVIDED": D("0.8"), "ONLINE_DOSSIER": D("0.5"), "PAYMENT_PROCEDURE_TRANSACTION": D("0.8"),
        "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER": D("0.8"), "REUSED_DIGITIZED_DATA": D("0.8"),
        "DOSSIER_RECEIVING_SATISFACTION": D("0.9"),
    }
    assert all(d.numerator_text and d.denominator_text and d.subject and d.source for d in defs.values())


def test_maxima_add_up_to_100() -> None:
    groups = list(selectors.groups_on(on=ON))
    definitions = list(selectors.definitions_on(on=ON))
    assert sum(g.max_points for g in groups) == 100
    assert sum(d.max_points for d in definitions) == 100
    services.check_definition_set(groups, definitions)  # each group's sub-indicators sum to the group


def test_uncertain_weights_are_flagged() -> None:
    uncertain = {d.code for d in selectors.definitions_on(on=ON) if not d.weight_certain}
    assert uncertain == {"ONLINE_SERVICE_PROVIDED", "ONLINE_SERVICE_WITH_DOSSIERS", "ONLINE_DOSSIER",
                         "PAYMENT_DOSSIER_RATE", "PAYMENT_PROCEDURE_TRANSACTION",
                         "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER"}
    clgq = IndicatorGroup.objects.get(code="CLGQ", valid_from=DECISION_DAY)
    assert clgq.scoring == "composite_ratio" and "[R]" in clgq.note


def test_zero_denominator_policy_per_indicator() -> None:
    policy = {d.code: d.zero_denominator for d in selectors.definitions_on(on=ON)}
    full = {c for c, p in policy.items() if p == "full_points"}
    assert full == {"PETITION_PROCESSING_ON_TIME", "PETITION_HANDLING_SATISFACTION", "ELECTRONIC_CERTIFIED_COPY",
                    "PETITION_CLASSIFICATION_TTHC", "PETITION_CLASSIFICATION_STAFF"}
    assert policy["DOSSIER_SYNC"] == "prior_year"
    dossier_based = {d.code for d in selectors.definitions_on(on=ON) if d.subject == "dossier"}
    assert all(policy[c] in {"zero", "prior_year"} for c in dossier_based)
    for code in dossier_based - {"AVERAGE_PROCESSING_TIME"}:
        result = scoring.score_code(code, 0, 0, ON)
        assert result.points == 0 and result.zero_denominator_applied, code
    for code in ("PETITION_PROCESSING_ON_TIME", "PETITION_HANDLING_SATISFACTION", "ELECTRONIC_CERTIFIED_COPY"):
        result = scoring.score_code(code, 0, 0, ON)
        assert result.points == result.max_points > 0, code


@pytest.mark.parametrize(("code", "numerator", "denominator", "expected", "unit"), PAIRS)
def test_portal_pairs_to_the_cent(code: str, numerator: int, denominator: int, expected: str, unit: str) -> None:
    assert scoring.score_code(code, numerator, denominator, ON).points == D(expected), unit


def test_quoted_rates() -> None:
    """The reference's quoted rate → points pairs, through rates the portal displayed."""
    quoted = {"DOSSIER_ON_TIME": ("88.62", "17.72"), "PUBLIC_UPDATE_ON_TIME": ("96.34", "3.85"),
              "SO_HOA_GIAY_TO_GIAI_QUYET": ("21.12", "0.84"), "REUSED_DIGITIZED_DATA": ("18.63", "0.47"),
              "PETITION_PROCESSING_ON_TIME": ("49.69", "2.98"), "DOSSIER_RECEIVING_SATISFACTION": ("88.57", "5.90")}
    for code, (percent, expected) in quoted.items():
        d = selectors.definition_get(code=code, on=ON)
        assert scoring.points(d.max_points, D(percent) / 100, d.target) == D(expected), code
        # and as counts giving exactly that rate
        assert scoring.score(d, int(D(percent) * 100), 10000).points == D(expected), code


@pytest.mark.parametrize(("unit", "groups", "expected_total", "label"), UNIT_TOTALS)
def test_unit_totals_and_classification(unit: str, groups: dict[str, str], expected_total: str, label: str) -> None:
    results = [
        scoring.ScoreResult(code=code, group_code=code, numerator=None, denominator=None, rate=None,
                            points=D(pts), max_points=D(EXPECTED_GROUPS[code]))
        for code, pts in groups.items()
    ]
    totals = scoring.total(results)
    assert totals.points == D(expected_total) and totals.max_points == 100, unit
    assert scoring.classify(totals.points, ON) == label


def test_full_unit_scorecard_h15_15() -> None:
    """Sở VHTTDL Đắk Lắk (H15.15), year 2026: every sub-indicator → 76.37, Khá."""
    counts = {
        "PUBLISH_ON_TIME": (0, 82), "PUBLIC_UPDATE_ON_TIME": (79, 82), "PUBLIC_CONTENT_FULL": (79, 79),
        "DOSSIER_SYNC": (462, 462), "DOSSIER_ON_TIME": (579, 587),
        "PAYMENT_DOSSIER_RATE": (95, 126), "PAYMENT_PROCEDURE_TRANSACTION": (11, 17),
        "PAYMENT_FEE_PROCEDURE_WITH_DOSSIER": (6, 17),
        "ORIGINAL_RESULT_AVAILABLE": (492, 587), "SO_HOA_GIAY_TO_GIAI_QUYET": (490, 587),
        "REUSED_DIGITIZED_DATA": (585, 587), "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (0, 587),
        "CITIZEN_DATA_CONNECTED_DOSSIER": (144, 587), "CITIZEN_DATA_CONNECTED_FORMALITY": (14, 147),
        "ELECTRONIC_CERTIFIED_COPY": (0, 0), "PETITION_CLASSIFICATION_TTHC": (0, 0),
        "PETITION_PROCESSING_ON_TIME": (0, 0), "PETITION_HANDLING_SATISFACTION": (0, 0),
        "DOSSIER_RECEIVING_SATISFACTION": (579, 587),
    }
    results = [scoring.score_code(code, n, d, ON) for code, (n, d) in counts.items()]
    results.append(scoring.score_ratio("CLGQ", "CLGQ", 12, "0.56"))
    totals = scoring.total(results)
    assert {c: g.points for c, g in totals.groups.items()} == {
        "CKMB": D("11.85"), "TDGQ": D("19.73"), "TTTT": D("7.02"), "MDSH": D("13.05"), "MDHL": D("18.00"),
        "CLGQ": D("6.72"),
    }
    assert totals.points == D("76.37") and totals.max_points == 100
    assert scoring.classify(totals.points, ON) == "Khá"


def test_lookup_errors() -> None:
    with pytest.raises(NotFound, match="NOPE"):
        scoring.score_code("NOPE", 1, 2, ON)
    with pytest.raises(NotFound):
        scoring.score_code("DOSSIER_ON_TIME", 1, 2, date(2020, 1, 1))
    assert scoring.score_code("dossier_on_time", 1, 2, ON).points == D("10.00")  # codes are case-insensitive


def _revise_2027(actor=None) -> list[IndicatorDefinition]:
    return services.definitions_revise(
        valid_from=date(2027, 1, 1), actor=actor, reason="Thử: trọng số năm 2027",
        definition_changes={"DOSSIER_ON_TIME": {"max_points": "18"}, "ONLINE_DOSSIER": {"max_points": "8"}},
        group_changes={"TDGQ": {"max_points": "18"}, "CLGQ": {"max_points": "14"}},
    )


def test_next_years_weights_change_scores_only_from_their_date() -> None:
    before = scoring.score_code("DOSSIER_ON_TIME", 393087, 443565, date(2026, 12, 31))
    _revise_2027()
    assert scoring.score_code("DOSSIER_ON_TIME", 393087, 443565, date(2026, 12, 31)) == before
    assert before.points == D("17.72")
    assert scoring.score_code("DOSSIER_ON_TIME", 393087, 443565, date(2027, 1, 1)).points == D("15.95")
    assert scoring.score_code("DOSSIER_ON_TIME", 393087, 443565, ON).points == D("17.72")
    # untouched indicators carry over unchanged
    assert scoring.score_code("PETITION_PROCESSING_ON_TIME", 241, 485, date(2027, 6, 1)).points == D("2.98")
    assert {g.code: int(g.max_points) for g in selectors.groups_on(on=date(2027, 1, 1))}["CLGQ"] == 14
    assert sum(d.max_points for d in selectors.definitions_on(on=date(2027, 1, 1))) == 100
    assert selectors.definitions_on(on=date(2026, 12, 31)).count() == 24
    assert selectors.definitions_on(on=date(2027, 1, 1)).count() == 24
    event = AuditEvent.objects.filter(action="indicators.definitions_revised").get()
    assert event.object_id == "2027-01-01" and event.summary["definitions"]["DOSSIER_ON_TIME"] == {"max_points": "18"}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"definition_changes": {"DOSSIER_ON_TIME": {"max_points": "18"}}}, ValidationFailed, "khác điểm tối đa"),
        ({"definition_changes": {"NOPE": {"max_points": "1"}}}, ValidationFailed, "Không có chỉ số"),
        ({"definition_changes": {"DOSSIER_ON_TIME": {"code": "X"}}}, ValidationFailed, "Không sửa được"),
        ({"definition_changes": {"DOSSIER_ON_TIME": {"target": "1.5"}}}, ValidationFailed, "không quá 1"),
        ({"definition_changes": {"DOSSIER_ON_TIME": {"zero_denominator": "maybe"}}}, ValidationFailed,
         "không hợp lệ"),
        ({"group_changes": {"TDGQ": {"max_points": "21"}}, "definition_changes": {"DOSSIER_ON_TIME": {
            "max_points": "21"}}}, ValidationFailed, "phải bằng 100"),
        ({}, ValidationFailed, "Không có thay đổi"),
        ({"reason": " ", "definition_changes": {"DOSSIER_ON_TIME": {"target": "0.9"}}}, ValidationFailed,
         "lý do"),
    ],
)
def test_bad_revisions_change_nothing(kwargs, error, message) -> None:
    rows_before = list(IndicatorDefinition.objects.values_list("pk", "valid_to", "max_points"))
    kwargs = {"reason": "Thử", **kwargs}
    with pytest.raises(error, match=message):
        services.definitions_revise(valid_from=date(2027, 1, 1), actor=None, **kwargs)
    assert list(IndicatorDefinition.objects.values_list("pk", "valid_to", "max_points")) == rows_before
    assert not AuditEvent.objects.filter(action="indicators.definitions_revised").exists()


def test_revision_cannot_go_behind_a_later_set() -> None:
    _revise_2027()
    with pytest.raises(Conflict):
        services.definitions_revise(valid_from=date(2026, 7, 1), actor=None, reason="muộn",
                                    definition_changes={"DOSSIER_ON_TIME": {"target": "0.9"}})


def test_classification_bands_are_dated() -> None:
    assert scoring.classify("76.37", ON) == "Khá"
    services.classification_bands_set(valid_from=date(2027, 1, 1), actor=None, reason="Thang mới",
                                      bands=[("85", "Tốt"), ("0", "Chưa tốt")])
    assert scoring.classify("76.37", date(2026, 12, 31)) == "Khá"
    assert scoring.classify("76.37", date(2027, 1, 1)) == "Chưa tốt"
    assert scoring.classify("85", date(2027, 1, 1)) == "Tốt"
    assert ClassificationBand.objects.filter(valid_to=date(2027, 1, 1)).count() == 5
    assert AuditEvent.objects.filter(action="indicators.bands_set").count() == 1
    with pytest.raises(ValidationFailed, match="từ 0 điểm"):
        services.classification_bands_set(valid_from=date(2028, 1, 1), actor=None, reason="x", bands=[("50", "A")])
    with pytest.raises(NotFound):
        scoring.classify("50", date(2020, 1, 1))

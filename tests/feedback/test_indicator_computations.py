"""The batch petition computations behind the 766 scorecard give, for every target at once, exactly
what the per-unit selectors give one target at a time."""

from __future__ import annotations

import datetime as dt

from chinhquyenso.feedback import selectors, services
from chinhquyenso.feedback.indicators import petition_on_time, petition_satisfaction
from chinhquyenso.feedback.models import RatingValue, Topic
from chinhquyenso.indicators import computations
from chinhquyenso.indicators.computations import Target, Window

from .conftest import World, submit, vn


def test_batch_counts_equal_the_per_unit_selectors(world: World) -> None:
    answered = submit(world, title="Đúng hạn", at=vn(2026, 3, 2))
    services.petition_answer(petition=answered, actor=world.processor_a, answer="OK", publish=False,
                             at=vn(2026, 3, 10))
    late = submit(world, title="Trễ", at=vn(2026, 3, 2), topic=Topic.STAFF_CONDUCT)
    services.petition_answer(petition=late, actor=world.processor_a, answer="Muộn", publish=False,
                             at=vn(2026, 3, 25))
    disliked = submit(world, title="Không hài lòng", at=vn(2026, 3, 3))
    services.petition_answer(petition=disliked, actor=world.processor_a, answer="Trả lời", publish=False,
                             at=vn(2026, 3, 4))
    services.petition_rate(petition=disliked, actor=world.citizen, value=RatingValue.DISLIKE)
    submit(world, title="Đang xử lý", at=vn(2026, 3, 20))
    submit(world, title="Phường B", at=vn(2026, 3, 2), agency=world.ubnd_b)

    window = Window(dt.date(2026, 3, 1), dt.date(2026, 3, 31), today=dt.date(2026, 4, 15))
    targets = [
        Target("a", frozenset({world.ubnd_a.pk}), None),
        Target("b", frozenset({world.ubnd_b.pk}), None),
        Target("unit-b", None, frozenset({world.commune_b.pk})),
        Target("all", None, None),
    ]
    on_time = petition_on_time(window, targets)
    satisfaction = petition_satisfaction(window, targets)
    staff = computations.get("PETITION_CLASSIFICATION_STAFF")
    assert staff is not None
    classified = staff(window, targets)
    for t in targets:
        narrowing = {"agency_ids": sorted(t.agency_ids) if t.agency_ids is not None else None,
                     "unit_ids": sorted(t.unit_ids) if t.unit_ids is not None else None}
        period = {"start": window.start, "end": window.end}
        want_on_time = selectors.indicator_petition_on_time(**period, today=window.today, **narrowing)
        want_satisfaction = selectors.indicator_petition_satisfaction(**period, today=window.today, **narrowing)
        _, want_staff, want_total = selectors.indicator_petition_classification(**period, **narrowing)
        assert (on_time[t.key].numerator, on_time[t.key].denominator) == want_on_time, t.key
        assert (satisfaction[t.key].numerator, satisfaction[t.key].denominator) == want_satisfaction, t.key
        assert (classified[t.key].numerator, classified[t.key].denominator) == (want_staff, want_total), t.key
    assert on_time["a"].denominator == 4 and on_time["b"].denominator == 1 and on_time["all"].denominator == 5

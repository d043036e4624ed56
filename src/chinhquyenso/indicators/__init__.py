"""Chỉ số đánh giá chất lượng phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg).

Indicator definitions are dated data (:mod:`.models`), the scoring arithmetic is a pure module
(:mod:`.scoring`), and per-indicator numerator/denominator computations plug into
:mod:`.computations`. See docs/indicators.md.
"""

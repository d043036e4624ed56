"""Public pages: the what-if calculator and the definitions in force, in Vietnamese."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chinhquyenso.core.errors import DomainError
from chinhquyenso.indicators import scoring, selectors
from chinhquyenso.indicators.forms import WhatIfForm, parse_on


def what_if(request: HttpRequest) -> HttpResponse:
    """Tính thử: which points an indicator gives for given counts, and how many are still at stake."""
    on = parse_on(request.GET.get("on")) or selectors.today()
    definitions = list(selectors.definitions_on(on=on))
    context: dict[str, Any] = {"on": on}
    if "indicator" in request.GET:
        form = WhatIfForm(request.GET, definitions=definitions)
        if form.is_valid():
            definition = next(d for d in definitions if d.code == form.cleaned_data["indicator"])
            try:
                result = scoring.score(
                    definition, form.cleaned_data["numerator"], form.cleaned_data["denominator"],
                    fallback_denominator=form.cleaned_data["fallback_denominator"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                context.update(result=result, definition=definition)
    else:
        form = WhatIfForm(definitions=definitions, initial={"on": on})
    context["form"] = form
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "indicators/what_if.html", context, status=status)


def definitions(request: HttpRequest) -> HttpResponse:
    """Bộ chỉ số áp dụng một ngày: nhóm, chỉ số thành phần, trọng số và độ chắc chắn."""
    on = parse_on(request.GET.get("on")) or selectors.today()
    rows = list(selectors.definitions_on(on=on))
    group_rows = list(selectors.groups_on(on=on))
    groups = []
    for group in group_rows:
        members = [d for d in rows if d.group_id == group.pk]
        groups.append({"group": group, "definitions": members,
                       "uncertain": any(not d.weight_certain for d in members)})
    context = {"on": on, "groups": groups, "bands": list(selectors.bands_on(on=on)),
               "total_max": sum((g.max_points for g in group_rows), start=scoring.ZERO)}
    return render(request, "indicators/definitions.html", context)

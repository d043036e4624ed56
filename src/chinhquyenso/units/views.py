"""Public page: the province's current communes, searchable by current or former name."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chinhquyenso.core.errors import DomainError
from chinhquyenso.units.selectors import commune_predecessor_names, communes_search, province_current


def commune_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    try:
        province = province_current()
        communes = communes_search(query)
    except DomainError:  # no province loaded yet (or units made without the services)
        return render(request, "units/commune_list.html", {"province": None, "query": query, "rows": []})
    origins = commune_predecessor_names(communes)
    rows = [{"unit": c, "origins": origins.get(c.pk, [])} for c in communes]
    context = {"province": province, "query": query, "rows": rows}
    return render(request, "units/commune_list.html", context)

"""Public catalog pages: search (works without JavaScript) and the detail of one TTHC."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chinhquyenso.core.errors import NotFound
from chinhquyenso.procedures.models import AuthorityLevel, ServiceLevel
from chinhquyenso.procedures.selectors import (
    PUBLIC_COMPONENTS,
    procedure_active_process,
    procedure_field_list,
    procedure_get,
    procedure_missing_components,
    procedure_search,
)

PAGE_SIZE = 20


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Ví dụ: dang ky khai sinh")}))
    field = forms.ChoiceField(label=_("Lĩnh vực"), required=False)
    level = forms.ChoiceField(label=_("Cấp thực hiện"), required=False,
                              choices=[("", _("Tất cả")), *AuthorityLevel.choices])
    service_level = forms.ChoiceField(label=_("Mức độ dịch vụ công"), required=False,
                                      choices=[("", _("Tất cả")), *ServiceLevel.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Tất cả"))]
        choices += [(f.code, f.name) for f in procedure_field_list() if f.procedure_count]  # type: ignore[attr-defined]
        self.fields["field"].choices = choices  # type: ignore[attr-defined]


def catalog(request: HttpRequest) -> HttpResponse:
    """Danh mục thủ tục hành chính: search box and filters in a plain GET form."""
    form = CatalogFilterForm(request.GET or None)
    filters: dict[str, str] = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v}
    rows = procedure_search(
        q=filters.get("q", ""), field=filters.get("field"), level=filters.get("level"),
        service_level=filters.get("service_level"),
    )
    paginator = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = urlencode(filters)
    return render(request, "procedures/catalog.html", {
        "form": form, "page": page, "total": paginator.count, "query": query, "filtered": bool(filters),
    })


def detail(request: HttpRequest, code: str) -> HttpResponse:
    """All 7 public components of one TTHC, its current fees, results, legal bases and process."""
    try:
        procedure = procedure_get(code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    today = timezone.localdate()
    fees = [f for f in procedure.fees.all() if f.valid_to is None or f.valid_to > today]
    try:
        process = procedure_active_process(procedure, today)
    except NotFound:
        process = None
    return render(request, "procedures/detail.html", {
        "procedure": procedure,
        "fees": fees,
        "today": today,
        "process": process,
        "missing": procedure_missing_components(procedure),
        "public_components": PUBLIC_COMPONENTS,
        "handling_agencies": list(procedure.handling_agencies.all()),
        "has_online": procedure.service_level != ServiceLevel.DIRECT_ONLY,
    })

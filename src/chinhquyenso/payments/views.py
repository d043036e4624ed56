"""Web pages for payments (Vietnamese, no JavaScript: CSP ``script-src 'self'`` and nothing inline).

Citizens: what they owe and have paid, a pay page per bill (VietQR image, "pay by gateway"
button), the return page after the gateway, the receipt. Officers: bills and payments of the
units in their scope, cash at the counter, cancellation, reconciliation.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chinhquyenso.accounts.decorators import officer_gate, officer_required
from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role, is_officer
from chinhquyenso.core.errors import DomainError, NotFound
from chinhquyenso.files.responses import file_response
from chinhquyenso.payments import selectors, services
from chinhquyenso.payments.conf import gateway_configs, vietqr_account
from chinhquyenso.payments.gateway import gateway_names
from chinhquyenso.payments.links import callback_url, return_url
from chinhquyenso.payments.models import (
    Bill,
    BillStatus,
    DiscrepancyKind,
    DiscrepancyStatus,
    reference_for,
)
from chinhquyenso.payments.vietqr import qr_png, qr_svg
from chinhquyenso.units.models import Unit

PAGE_SIZE = 50


def _bill_for(request: HttpRequest, slug: str) -> tuple[Bill | None, HttpResponse | None]:
    """The citizen's own bill, or a bill in an officer's scope once the officer passed the second
    factor (the officer gate answers otherwise); 404 for anyone else."""
    reference = reference_for(slug)
    own = selectors.bills_for_citizen(request.user).filter(reference=reference).first()
    if own is not None:
        return own, None
    if is_officer(request.user):
        blocked = officer_gate(request, ())
        if blocked is not None:
            return None, blocked
        try:
            return selectors.bill_get_for_user(request.user, reference), None
        except NotFound:
            pass
    raise Http404(_("Không tìm thấy thông báo phí, lệ phí."))


def _next(request: HttpRequest, default: str) -> str:
    """Back to the page the form was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _gateways() -> list[dict[str, str]]:
    configs = gateway_configs()
    return [{"name": name, "label": configs[name].label} for name in gateway_names()]


# --- citizen ---------------------------------------------------------------------------------------


@login_required
def my_bills(request: HttpRequest) -> HttpResponse:
    """Phí, lệ phí của tôi: open bills first, then what was paid, with receipts."""
    return render(request, "payments/my_bills.html", selectors.citizen_summary(request.user))


@login_required
def bill_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Thanh toán một thông báo phí: VietQR for a bank app, or the gateway button."""
    bill, blocked = _bill_for(request, slug)
    if blocked is not None:
        return blocked
    assert bill is not None
    payable = bill.is_payable
    response = render(request, "payments/bill.html", {
        "bill": bill, "lines": list(bill.lines.all()), "payable": payable, "account": vietqr_account(),
        "gateways": _gateways() if payable and services.may_pay(request.user, bill) else [],
        "receipt": getattr(bill, "receipt", None) if bill.status == BillStatus.PAID else None,
        "payments": list(bill.payments.all()),
        "can_cash": payable and services.officer_may_act(request.user, bill.dossier, services.CASH_ROLES),
    })
    # The gateway button posts here and is redirected to the gateway: CSP form-action must allow it.
    origins = sorted({_origin(c.base_url) for c in gateway_configs().values() if c.enabled})
    response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


@login_required
@require_POST
def bill_checkout(request: HttpRequest, slug: str) -> HttpResponse:
    bill, blocked = _bill_for(request, slug)
    if blocked is not None:
        return blocked
    assert bill is not None
    gateway = request.POST.get("gateway", "local")
    try:
        checkout = services.bill_checkout(
            bill=bill, actor=request.user, gateway_name=gateway,
            return_url=return_url(request, bill.slug),
            callback_url=callback_url(request, gateway),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:bill", slug=bill.slug)
    return HttpResponseRedirect(checkout.redirect_url)


@login_required
def bill_return(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the gateway sends the citizen back. It never trusts the query string: the bill is
    paid only when the signed notification arrived; until then the page refreshes itself."""
    bill, blocked = _bill_for(request, slug)
    if blocked is not None:
        return blocked
    assert bill is not None
    return render(request, "payments/return.html", {
        "bill": bill, "cancelled": request.GET.get("status") == "cancelled",
        "receipt": getattr(bill, "receipt", None) if bill.status == BillStatus.PAID else None,
    })


def _qr(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    bill, blocked = _bill_for(request, slug)
    if blocked is not None:
        return blocked
    assert bill is not None
    if not bill.is_payable:
        raise Http404(_("Thông báo phí không còn chờ thanh toán."))
    payload = selectors.vietqr_payload(bill)
    if kind == "svg":
        response = HttpResponse(qr_svg(payload), content_type="image/svg+xml")
    else:
        response = HttpResponse(qr_png(payload), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def vietqr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    return _qr(request, slug, "svg")


@login_required
def vietqr_png(request: HttpRequest, slug: str) -> HttpResponse:
    return _qr(request, slug, "png")


@login_required
def receipt_pdf(request: HttpRequest, slug: str) -> HttpResponseBase:
    bill, blocked = _bill_for(request, slug)
    if blocked is not None:
        return blocked
    assert bill is not None
    receipt = getattr(bill, "receipt", None) if bill.status == BillStatus.PAID else None
    if receipt is None:
        raise Http404(_("Thông báo phí chưa có biên lai."))
    return file_response(receipt.file, download_name=f"bien-lai-{receipt.label}.pdf")


# --- officers ---------------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@officer_required()
def officer_bills(request: HttpRequest) -> HttpResponse:
    """Thu phí, lệ phí: bills and payments of the units in scope, a summary per unit."""
    bills = selectors.bills_for_officer(request.user)
    units = Unit.objects.filter(pk__in=bills.values("dossier__unit_id")).order_by("name")
    status = request.GET.get("status", "")
    unit_id = _int(request.GET.get("unit"))
    q = request.GET.get("q", "").strip()
    rows = bills
    if status in BillStatus.values:
        rows = rows.filter(status=status)
    if unit_id:
        rows = rows.filter(dossier__unit_id=unit_id)
    if q:
        rows = rows.filter(Q(dossier__code__icontains=q) | Q(reference__icontains=q) | Q(payer_name__icontains=q))
    summary = (
        bills.order_by().values("dossier__unit_id", "dossier__unit__name")
        .annotate(open_count=Count("pk", filter=Q(status=BillStatus.OPEN)),
                  open_total=Sum("total", filter=Q(status=BillStatus.OPEN)),
                  paid_count=Count("pk", filter=Q(status=BillStatus.PAID)),
                  paid_total=Sum("total", filter=Q(status=BillStatus.PAID)))
        .order_by("dossier__unit__name")
    )
    page = Paginator(rows.prefetch_related("payments").order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    payments = selectors.payments_for_officer(request.user)
    if unit_id:
        payments = payments.filter(bill__dossier__unit_id=unit_id)
    return render(request, "payments/officer_bills.html", {
        "page": page, "units": units, "summary": list(summary), "status": status, "unit_id": unit_id, "q": q,
        "statuses": BillStatus.choices, "payments": list(payments[:20]),
        "can_cash": has_role(request.user, *services.CASH_ROLES),
    })


@officer_required()
@require_POST
def officer_cash(request: HttpRequest, slug: str) -> HttpResponse:
    bill, _blocked = _bill_for(request, slug)
    assert bill is not None
    try:
        services.bill_mark_paid_cash(bill=bill, actor=request.user, receipt_no=request.POST.get("receipt_no", ""))
        messages.success(request, _("Đã ghi nhận nộp tiền mặt và phát hành biên lai điện tử."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_next(request, reverse("payments:officer_bills")))


@officer_required()
@require_POST
def officer_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    bill, _blocked = _bill_for(request, slug)
    assert bill is not None
    try:
        services.bill_cancel(bill=bill, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Đã hủy thông báo phí."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_next(request, reverse("payments:officer_bills")))


@officer_required()
@require_http_methods(["GET", "POST"])
def officer_reconciliation(request: HttpRequest) -> HttpResponse:
    """Đối soát: run a day against a gateway (province administrators), resolve differences."""
    if request.method == "POST":
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            messages.error(request, _("Ngày đối soát không hợp lệ (dd/mm/yyyy)."))
            return redirect("payments:officer_reconciliation")
        try:
            run = services.reconciliation_run(day=day, gateway_name=request.POST.get("gateway", "local"),
                                              actor=request.user)
            messages.success(request, _("Đã đối soát %(n)s giao dịch, khớp %(m)s.") % {
                "n": run.gateway_count, "m": run.matched_count})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("payments:officer_reconciliation")
    show_all = request.GET.get("all") == "1"
    items = selectors.discrepancies_for_officer(request.user, open_only=not show_all)
    return render(request, "payments/reconciliation.html", {
        "items": list(items[:200]), "show_all": show_all, "gateways": _gateways(),
        "can_run": has_role(request.user, Role.PROVINCE_ADMIN), "kinds": DiscrepancyKind,
        "open_status": DiscrepancyStatus.OPEN, "paid_unrecorded": DiscrepancyKind.PAID_UNRECORDED,
    })


@officer_required()
@require_POST
def officer_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.discrepancy_get_for_user(request.user, pk)
        services.discrepancy_resolve(item=item, actor=request.user, action=request.POST.get("action", ""),
                                     note=request.POST.get("note", ""))
        messages.success(request, _("Đã xử lý chênh lệch đối soát."))
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("payments:officer_reconciliation")


"""Reads for payments. Officers see bills of dossiers whose handling or receiving agency is in
their scope (:func:`chinhquyenso.accounts.scope.scope_queryset`); citizens see the bills of their
own dossiers (``dossier.citizen == user``). Anything else does not exist for them (NotFound)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from chinhquyenso.accounts.scope import is_officer, scope_queryset
from chinhquyenso.core.errors import NotFound
from chinhquyenso.payments.conf import vietqr_account
from chinhquyenso.payments.models import Bill, BillStatus, Discrepancy, DiscrepancyStatus, Payment, ReconciliationRun
from chinhquyenso.payments.vietqr import build_payload

_BILL_RELATED = ("dossier", "dossier__procedure", "dossier__agency", "dossier__receiving_agency", "dossier__unit")


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)


def bills_for_officer(user: Any) -> QuerySet[Bill]:
    """Bills an officer may see: the dossier's handling or receiving agency is in scope."""
    if not _authenticated(user) or not is_officer(user):
        return Bill.objects.none()
    base = Bill.objects.all()
    handling = scope_queryset(base, user, agency_field="dossier__agency")
    receiving = scope_queryset(base, user, agency_field="dossier__receiving_agency")
    # Both filters are on the dossier's own foreign keys: OR-ing them cannot duplicate a row.
    return (handling | receiving).select_related(*_BILL_RELATED)


def bills_for_citizen(user: Any) -> QuerySet[Bill]:
    """The bills of the user's own online dossiers."""
    if not _authenticated(user):
        return Bill.objects.none()
    return Bill.objects.filter(dossier__citizen_id=user.pk).select_related(*_BILL_RELATED)


def bill_get_for_user(user: Any, reference: str) -> Bill:
    """One bill by reference, for its owner or an officer in scope; NotFound for anyone else."""
    bill = bills_for_citizen(user).filter(reference=reference).first()
    if bill is None:
        bill = bills_for_officer(user).filter(reference=reference).first()
    if bill is None:
        raise NotFound("Không tìm thấy thông báo phí, lệ phí.", code="bill_not_found")
    return bill


def citizen_summary(user: Any) -> dict[str, Any]:
    """What the citizen owes (open bills) and has paid, with totals."""
    bills = bills_for_citizen(user).prefetch_related("lines")
    owed = list(bills.filter(status=BillStatus.OPEN).order_by("created_at", "id"))
    paid = list(bills.filter(status=BillStatus.PAID).select_related("receipt").order_by("-paid_at", "-id"))
    other = list(bills.filter(status__in=[BillStatus.WAIVED, BillStatus.CANCELLED]).order_by("-created_at"))
    return {"owed": owed, "paid": paid, "other": other,
            "owed_total": sum(b.total for b in owed), "paid_total": sum(b.total for b in paid)}


def bill_totals(bills: QuerySet[Bill]) -> dict[str, int]:
    rows = bills.order_by().values("status").annotate(total=Sum("total"))
    return {row["status"]: int(row["total"] or 0) for row in rows}


def payments_for_officer(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(bill__in=bills_for_officer(user).values("pk")).select_related(
        "bill", "bill__dossier", "recorded_by"
    )


def discrepancies_for_officer(user: Any, *, open_only: bool = False) -> QuerySet[Discrepancy]:
    """Differences on bills in scope; differences with no bill only for whoever sees everything."""
    if not _authenticated(user) or not is_officer(user):
        return Discrepancy.objects.none()
    in_scope = Discrepancy.objects.filter(bill__in=bills_for_officer(user).values("pk"))
    from chinhquyenso.accounts.scope import scope_for

    if scope_for(user).everything:
        in_scope = in_scope | Discrepancy.objects.filter(bill__isnull=True)
    qs = in_scope.select_related("run", "bill", "bill__dossier", "payment", "resolved_by")
    if open_only:
        qs = qs.filter(status=DiscrepancyStatus.OPEN)
    return qs.order_by("-run__started_at", "id")


def discrepancy_get_for_user(user: Any, pk: int) -> Discrepancy:
    item = discrepancies_for_officer(user).filter(pk=pk).first()
    if item is None:
        raise NotFound("Không tìm thấy chênh lệch đối soát.", code="discrepancy_not_found")
    return item


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.all()


def vietqr_payload(bill: Bill) -> str:
    """The dynamic VietQR of an open bill: exact amount, bill reference as the transfer content."""
    account = vietqr_account()
    return build_payload(bank_bin=account.bank_bin, account=account.account, amount=int(bill.total),
                         purpose=bill.reference)

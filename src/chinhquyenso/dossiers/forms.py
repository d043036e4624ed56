"""Fill the one-stop forms (Mẫu 01–07, TT 03/2025/TT-VPCP) from a dossier and its events.

Reads only: the printing package renders, this module decides what goes on each form.
A form that does not apply yet (a refusal slip for a dossier nobody refused) is a Conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings

from chinhquyenso.core.errors import Conflict, ValidationFailed
from chinhquyenso.dossiers.models import Channel, Dossier, DossierEvent
from chinhquyenso.procedures.models import CopyType, TimeUnit
from chinhquyenso.units.models import Agency

FORMATS = {"pdf": "application/pdf",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORM_NUMBERS = ("01", "02", "03", "04", "05", "06", "07")
_HANDOVER_KINDS = ("received", "accepted", "forwarded", "returned_for_rework", "supplement_requested",
                   "supplement_received", "finished", "result_returned", "stopped", "refused", "withdrawn")


def _province_name() -> str:
    return str(getattr(settings, "CHINHQUYENSO", {}).get("PROVINCE_NAME", "An Giang"))


def agency_info(agency: Agency) -> Any:
    from chinhquyenso.printing import AgencyInfo

    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    return AgencyInfo(name=agency.name, parent_name=parent, province_name=_province_name())


def _time_limit_label(dossier: Dossier) -> str:
    amount = dossier.procedure.time_limit_amount
    if not amount:
        return ""
    number = f"{float(amount):g}".replace(".", ",")
    return f"{number} {TimeUnit(dossier.procedure.time_limit_unit).label.lower()}"


def _last_event(dossier: Dossier, *kinds: str) -> DossierEvent | None:
    return DossierEvent.objects.filter(dossier_id=dossier.pk, kind__in=kinds).order_by("-seq").first()


def dossier_info(dossier: Dossier, *, lookup_url: str = "") -> Any:
    from chinhquyenso.printing import ComponentLine, DossierInfo, FeeLine

    receipt = _last_event(dossier, "received", "accepted")
    copy_labels = dict(CopyType.choices)
    return DossierInfo(
        code=dossier.code, procedure_code=dossier.procedure.code, procedure_name=dossier.procedure.name,
        applicant_name=dossier.applicant_name, applicant_address=dossier.applicant_address,
        applicant_phone=dossier.applicant_phone, applicant_email=dossier.applicant_email,
        received_at=dossier.received_at or dossier.submitted_at or dossier.created_at, due_at=dossier.due_at,
        channel_label=Channel(dossier.channel).label,
        components=[ComponentLine(name=c.name, copy_type_label=str(copy_labels.get(c.copy_type, c.copy_type)),
                                  count=c.count) for c in dossier.components.order_by("id")],
        fees=[FeeLine(name=f.name, amount_vnd=f.amount) for f in dossier.fees.order_by("id")],
        lookup_url=lookup_url, officer_name=receipt.actor_label if receipt and receipt.actor_id else "",
        processing_time_label=_time_limit_label(dossier),
        result_delivery_label=dossier.receiving_agency.name if dossier.channel != Channel.POSTAL
        else "Dịch vụ bưu chính công ích",
        handling_agency_name=dossier.agency.name,
    )


def _not_available(number: str, why: str) -> Conflict:
    return Conflict(f"Chưa thể in Mẫu {number}: {why}", code="form_not_available")


def control_rows(dossier: Dossier) -> list[Any]:
    """Mẫu 06 rows: every hand-over, who gave it to whom, its step deadline and when the step ended."""
    from chinhquyenso.printing import ControlRow

    events = list(DossierEvent.objects.filter(dossier_id=dossier.pk, kind__in=_HANDOVER_KINDS)
                  .select_related("step").order_by("seq"))
    process = dossier.process_version
    steps = {s.order: s for s in process.steps.all()} if process is not None else {}
    rows = []
    for i, event in enumerate(events):
        following = events[i + 1].occurred_at if i + 1 < len(events) else None
        target = ""
        to_order = event.payload.get("to_step")
        if isinstance(to_order, int) and to_order in steps:
            target = steps[to_order].name
        elif event.kind in ("received", "accepted"):
            target = event.step.name if event.step else ""
        step_label = event.step.name if event.step else ""
        name = {
            "received": "Bộ phận Một cửa tiếp nhận hồ sơ", "accepted": "Tiếp nhận hồ sơ trực tuyến",
            "finished": "Hoàn thành xử lý", "result_returned": "Trả kết quả cho cá nhân, tổ chức",
            "supplement_requested": "Yêu cầu bổ sung hồ sơ", "supplement_received": "Nhận hồ sơ bổ sung",
            "stopped": "Dừng xử lý", "refused": "Từ chối tiếp nhận", "withdrawn": "Rút hồ sơ",
        }.get(event.kind, step_label or event.kind)
        rows.append(ControlRow(
            step_name=f"{name}" + (f" ({step_label})" if step_label and name != step_label else ""),
            from_party=event.actor_label, to_party=target, handed_over_at=event.occurred_at,
            due_at=dossier.due_at if event.kind in ("finished", "result_returned") else None,
            finished_at=event.occurred_at if event.kind in ("finished", "result_returned") else following,
            result_note=str(event.payload.get("note") or event.payload.get("reason") or "")[:300],
        ))
    return rows


def register_rows(dossiers: Iterable[Dossier]) -> list[Any]:
    """Mẫu 07 lines."""
    from chinhquyenso.printing import RegisterRow

    rows = []
    for d in dossiers:
        if d.received_at is None:
            continue
        forwarded = _first_event_time(d, "forwarded")
        rows.append(RegisterRow(
            code=d.code, procedure_name=d.procedure.name, applicant_name=d.applicant_name, received_at=d.received_at,
            due_at=d.due_at, applicant_address=d.applicant_address, applicant_phone=d.applicant_phone,
            handling_agency=d.agency.name, transferred_at=forwarded, result_received_at=d.finished_at,
            returned_at=d.returned_at, note=d.get_status_display(),
        ))
    return rows


def _first_event_time(dossier: Dossier, kind: str) -> datetime | None:
    return (DossierEvent.objects.filter(dossier_id=dossier.pk, kind=kind).order_by("seq")
            .values_list("occurred_at", flat=True).first())


def _local_date(moment: datetime) -> date:
    from chinhquyenso.workdays.calendar import TIMEZONE

    return moment.astimezone(TIMEZONE).date()


def dossier_form_render(dossier: Dossier, number: str, *, fmt: str = "pdf", lookup_url: str = "",
                        user: Any = None) -> tuple[bytes, str, str]:
    """(content, content type, file name) of Mẫu ``number`` for ``dossier``."""
    from chinhquyenso.printing import Signer, render_form

    key = str(number).strip().zfill(2)
    fmt = (fmt or "pdf").lower()
    if key not in FORM_NUMBERS:
        raise ValidationFailed(f"Không có biểu mẫu số {number}; các mẫu: 01–07.", code="form_unknown")
    if fmt not in FORMATS or (fmt == "xlsx" and key not in ("06", "07")):
        raise ValidationFailed("Định dạng không hỗ trợ: PDF cho mọi mẫu, XLSX cho Mẫu 06 và 07.",
                               code="format_unknown")
    info = dossier_info(dossier, lookup_url=lookup_url)
    desk = agency_info(dossier.receiving_agency)
    handling = agency_info(dossier.agency)
    kwargs: dict[str, Any]
    if key == "01":
        if dossier.received_at is None:
            raise _not_available(key, "hồ sơ chưa được tiếp nhận.")
        kwargs = {"agency": desk, "dossier": info}
    elif key == "02":
        supplement = dossier.supplements.order_by("-requested_at", "-id").first()
        if supplement is None:
            raise _not_available(key, "hồ sơ chưa có yêu cầu bổ sung.")
        kwargs = {"agency": desk, "dossier": info, "requested_items": list(supplement.items),
                  "reason": supplement.reason, "issued_on": _local_date(supplement.requested_at)}
    elif key in ("03", "05"):
        kind, what = (("refused", "hồ sơ không bị từ chối.") if key == "03"
                      else ("stopped", "hồ sơ không bị dừng xử lý."))
        event = _last_event(dossier, kind)
        if event is None:
            raise _not_available(key, what)
        kwargs = {"agency": desk if key == "03" else handling, "dossier": info,
                  "reason": str(event.payload.get("reason", "")), "issued_on": _local_date(event.occurred_at)}
        if key == "05":
            kwargs["signer"] = Signer()
    elif key == "04":
        event = _last_event(dossier, "extended")
        if event is None:
            raise _not_available(key, "hồ sơ chưa được gia hạn.")
        new_due = datetime.fromisoformat(str(event.payload["due_after"]))
        kwargs = {"agency": handling, "dossier": info, "reason": str(event.payload.get("reason", "")),
                  "new_due_at": new_due, "signer": Signer(), "issued_on": _local_date(event.occurred_at)}
    elif key == "06":
        if dossier.received_at is None:
            raise _not_available(key, "hồ sơ chưa được tiếp nhận.")
        consulted = ", ".join(sorted({c.agency.name for c in dossier.consultations.select_related("agency")}))
        kwargs = {"agency": desk, "dossier": info, "rows": control_rows(dossier), "coordinating_agencies": consulted}
    else:
        kwargs = {"agency": desk, "rows": register_rows([dossier])}
    content = render_form(key, fmt=fmt, **kwargs)
    return content, FORMATS[fmt], f"mau-{key}-{dossier.code}.{fmt}"


def dossier_register_render(dossiers: Sequence[Dossier], *, agency: Agency, period_label: str = "",
                            fmt: str = "pdf") -> tuple[bytes, str, str]:
    """Mẫu 07 (Sổ theo dõi hồ sơ) for many dossiers of one receiving desk."""
    from chinhquyenso.printing import render_form

    fmt = (fmt or "pdf").lower()
    if fmt not in FORMATS:
        raise ValidationFailed("Định dạng không hỗ trợ: pdf hoặc xlsx.", code="format_unknown")
    content = render_form("07", fmt=fmt, agency=agency_info(agency), rows=register_rows(dossiers),
                          period_label=period_label)
    return content, FORMATS[fmt], f"so-theo-doi-ho-so-{agency.portal_code}.{fmt}"


def public_lookup_url(request: Any, code: str) -> str:
    """Where the QR code on a form leads: the citizens' public lookup page (tra cứu hồ sơ), which shows
    status and dates without personal data."""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse("citizens:lookup")
    except NoReverseMatch:  # a deployment without the citizen portal
        path = "/cong-dan/tra-cuu/"
    return str(request.build_absolute_uri(f"{path}?{urlencode({'ma': code})}"))

"""Officer web pages for one-stop dossiers (giao diện cán bộ).

Thin, like the API: parse the request, look the dossier up through the scope
(``selectors.dossier_get_for_user``: unknown or out of scope → 404), call one service, render.
Every view is behind ``officer_required`` (login + TOTP + role). Pages work without JavaScript;
``static/dossiers/dossiers.js`` only adds confirmations and small conveniences.

Pages:

* ``tiep-nhan/`` — Bộ phận Một cửa receives a dossier at the counter (``services.dossier_receive``),
  then the receipt page with Mẫu 01;
* ``truc-tuyen/`` — online dossiers waiting for acceptance (status 1), accept or refuse;
* ``""`` — the inbox (Hồ sơ cần xử lý), keyset-paginated through ``selectors.dossier_inbox``;
* ``<code>/`` — one dossier with the actions allowed now, each a small form posting to
  ``<code>/thao-tac/<action>/`` with the version the officer saw (stale → 409, nothing changes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chinhquyenso.accounts.decorators import officer_required
from chinhquyenso.accounts.models import Role, RoleAssignment, User
from chinhquyenso.accounts.scope import has_role, scope_for
from chinhquyenso.core import counter_documents
from chinhquyenso.core.errors import DomainError, NotFound, ValidationFailed
from chinhquyenso.dossiers import selectors, services
from chinhquyenso.dossiers.models import (
    ACTIVE_STATUSES,
    ApplicantKind,
    Channel,
    Dossier,
    DossierComponent,
    DossierConsultation,
    DossierResult,
    OnlinePayment,
    Status,
)
from chinhquyenso.dossiers.templatetags.dossier_ui import DueState, due_state
from chinhquyenso.dossiers.workflow import TRANSITIONS, Action, step_agency
from chinhquyenso.files.models import StoredFile
from chinhquyenso.procedures.models import CopyType, Procedure, ProcedureResult, ProcessStep
from chinhquyenso.procedures.selectors import procedure_fees_on, procedure_search
from chinhquyenso.units.models import Agency, AgencyKind
from chinhquyenso.workdays.calendar import TIMEZONE

ONE_STOP = Role.ONE_STOP_OFFICER.value
PROCESSING = Role.PROCESSING_OFFICER.value
LEADER = Role.LEADER.value

PAGE_SIZE = 50
ONLINE_PAGE_SIZE = 20
PROCEDURE_CHOICES_SHOWN = 30
#: Counts on the home page stop here ("999+"): never a COUNT(*) over a million rows.
WORK_COUNT_CAP = 1000
#: Office hours end: a new appointment typed as a date alone means the end of that working day.
END_OF_DAY = time(17, 0)
ACCEPT_UPLOADS = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

STALE_MESSAGE = _lazy(
    "Hồ sơ đã được người khác cập nhật trong lúc bạn đang xem. Trang dưới đây là dữ liệu mới nhất; "
    "vui lòng kiểm tra lại rồi thực hiện thao tác."
)


# --- Small helpers ---------------------------------------------------------------------------------


def _dossier_or_404(user: Any, code: str) -> Dossier:
    """The dossier if the user may see it; unknown and out-of-scope look the same (404)."""
    try:
        return selectors.dossier_get_for_user(user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _current_agencies() -> QuerySet[Agency]:
    today = timezone.localdate()
    return Agency.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today), valid_from__lte=today)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return fallback


def _parse_date(value: str, *, label: str) -> date | None:
    """``dd/mm/yyyy`` (what officers type) or ``yyyy-mm-dd`` (what a date input sends)."""
    text = (value or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed(_("%(label)s không đúng định dạng ngày dd/mm/yyyy.") % {"label": label},
                           code="date_invalid")


def _parse_moment(day_text: str, time_text: str, *, label: str) -> datetime | None:
    day = _parse_date(day_text, label=label)
    if day is None:
        return None
    clock = END_OF_DAY
    if (time_text or "").strip():
        match = re.fullmatch(r"\s*(\d{1,2})[:hH](\d{2})\s*", time_text)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValidationFailed(_("Giờ không đúng định dạng hh:mm."), code="time_invalid")
        clock = time(int(match[1]), int(match[2]))
    return datetime.combine(day, clock, tzinfo=TIMEZONE)


def _parse_amount(value: str) -> int:
    """``1.250.000``, ``1 250 000`` or ``1250000`` (đồng)."""
    digits = re.sub(r"[\s.,_]|đ$|đồng$", "", (value or "").strip(), flags=re.IGNORECASE)
    if not digits.isdigit():
        raise ValidationFailed(_("Số tiền phải là số nguyên (đồng), ví dụ 1.250.000."), code="amount_invalid")
    return int(digits)


def _upload_input(upload: UploadedFile | None) -> services.UploadInput | None:
    """An uploaded file, checked the way the file store will check it (type from the bytes, content),
    so an error can be shown next to the right field before the service runs."""
    if upload is None:
        return None
    _check_upload(upload)
    upload.seek(0)
    return services.UploadInput(content=upload.read(), filename=upload.name or "tep")


def _check_upload(upload: UploadedFile) -> None:
    from chinhquyenso.files import storage
    from chinhquyenso.files.services import DEFAULT_ALLOWED, MAX_UPLOAD_BYTES
    from chinhquyenso.files.validation import check_content, check_kind, normalize_allowed, sanitize_filename

    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise storage.too_large(MAX_UPLOAD_BYTES)
    spooled = storage.spool(upload.chunks(), max_bytes=MAX_UPLOAD_BYTES)
    try:
        if spooled.size == 0:
            raise ValidationFailed(_("Tệp rỗng, không có nội dung."), code="file_empty")
        info = check_kind(head=spooled.head, filename=sanitize_filename(upload.name or ""),
                          allowed=normalize_allowed(DEFAULT_ALLOWED))
        check_content(spooled.path, info)
    finally:
        spooled.path.unlink(missing_ok=True)


# --- "Waiting for me" and the officer's counts (home page) ----------------------------------------


@dataclass(frozen=True)
class WorkCount:
    key: str
    label: str
    count: int
    capped: bool
    url: str
    css: str = ""

    @property
    def shown(self) -> str:
        return f"{WORK_COUNT_CAP - 1}+" if self.capped else str(self.count)


def _capped_count(qs: QuerySet[Dossier]) -> tuple[int, bool]:
    """``SELECT COUNT(*) FROM (… LIMIT cap)``: bounded work whatever the size of the table."""
    n = qs.values("pk")[:WORK_COUNT_CAP].count()
    return n, n >= WORK_COUNT_CAP


def officer_work_summary(user: Any, *, now: datetime | None = None) -> list[WorkCount]:
    """The officer's real work, through the scope-filtered selectors: waiting for me, due within one
    working day, late, and (one-stop officers) online dossiers waiting for acceptance."""
    moment = now or timezone.now()
    inbox = reverse("dossiers:inbox")
    rows: list[WorkCount] = []

    def add(key: str, label: str, filters: selectors.InboxFilters, url: str, css: str = "") -> None:
        n, capped = _capped_count(selectors.dossier_inbox_queryset(user, filters=filters, now=moment))
        rows.append(WorkCount(key=key, label=label, count=n, capped=capped, url=url, css=css))

    add("waiting", _("Chờ tôi xử lý"), selectors.InboxFilters(waiting_for_me=True), f"{inbox}?viec=cho-toi")
    add("soon", _("Đến hạn trong 1 ngày làm việc"), selectors.InboxFilters(due="soon"),
        f"{inbox}?{urlencode({'viec': '', 'han': 'soon'})}", "due-soon")
    add("late", _("Quá hạn"), selectors.InboxFilters(due="overdue"),
        f"{inbox}?{urlencode({'viec': '', 'han': 'overdue'})}", "due-late")
    if has_role(user, ONE_STOP):
        add("online", _("Hồ sơ trực tuyến chờ tiếp nhận"),
            selectors.InboxFilters(statuses=[Status.NEW], channel=Channel.ONLINE), reverse("dossiers:online"))
    return rows


# --- Counter: receive a dossier (Tiếp nhận hồ sơ) --------------------------------------------------


def _desks(user: Any) -> QuerySet[Agency] | None:
    """Agencies where the user holds the one-stop role (their receiving desks); None = everywhere."""
    scope = scope_for(user, [ONE_STOP])
    if scope.everything:
        return None
    return _current_agencies().filter(scope.agency_q()).select_related("unit")


def _handling_allowed_q(user: Any) -> Q | None:
    """Handling agencies an officer may receive for: their own desks, and every agency of a unit
    whose service centre (Trung tâm Phục vụ HCC) they staff. None = no limit (province-wide)."""
    desks = _desks(user)
    if desks is None:
        return None
    centre_units = desks.filter(kind=AgencyKind.SERVICE_CENTRE).values("unit_id")
    return Q(pk__in=desks.values("pk")) | Q(unit_id__in=centre_units)


def _handling_choices(user: Any, procedure: Procedure) -> list[Agency]:
    """Competent agencies for the procedure (its handling agencies, else any agency of its level),
    limited to what this officer receives for."""
    qs = _current_agencies().select_related("unit")
    if procedure.handling_agencies.exists():
        qs = qs.filter(pk__in=procedure.handling_agencies.values("pk"))
    else:
        qs = qs.filter(unit__level=procedure.level)
    allowed = _handling_allowed_q(user)
    if allowed is not None:
        qs = qs.filter(allowed)
    return list(qs.order_by("name")[:500])


def _receivable_procedures(user: Any, q: str) -> QuerySet[Procedure]:
    """Public procedures with a competent agency this officer receives for; diacritics-insensitive."""
    rows = procedure_search(q=q)
    allowed = _handling_allowed_q(user)
    if allowed is None:
        return rows
    agencies = _current_agencies().filter(allowed)
    linked = Procedure.handling_agencies.through.objects.filter(procedure_id=OuterRef("pk"),
                                                                agency_id__in=agencies.values("pk"))
    any_link = Procedure.handling_agencies.through.objects.filter(procedure_id=OuterRef("pk"))
    levels = agencies.values("unit__level")
    return rows.filter(Q(Exists(linked)) | (~Q(Exists(any_link)) & Q(level__in=levels)))


class ReceiveForm(forms.Form):
    """Applicant, agency and one row per component of the procedure (tp_<id>_*)."""

    agency = forms.TypedChoiceField(label=_lazy("Cơ quan giải quyết"), coerce=int)
    receiving_agency = forms.TypedChoiceField(label=_lazy("Nơi tiếp nhận"), coerce=int, required=False)
    channel = forms.TypedChoiceField(
        label=_lazy("Hình thức nộp"), coerce=int, initial=Channel.DIRECT,
        choices=[(Channel.DIRECT, Channel.DIRECT.label), (Channel.POSTAL, Channel.POSTAL.label)],
    )
    applicant_kind = forms.TypedChoiceField(label=_lazy("Loại đối tượng"), coerce=int, choices=ApplicantKind.choices,
                                            initial=ApplicantKind.CITIZEN)
    applicant_name = forms.CharField(label=_lazy("Họ tên chủ hồ sơ"), max_length=255,
                                     error_messages={"required": _lazy("Vui lòng nhập họ tên chủ hồ sơ.")},
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    applicant_id_number = forms.CharField(label=_lazy("Số định danh cá nhân / mã số doanh nghiệp"), max_length=20,
                                          required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    applicant_phone = forms.CharField(label=_lazy("Số điện thoại"), max_length=20, required=False,
                                      widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    applicant_email = forms.CharField(label=_lazy("Thư điện tử"), max_length=254, required=False,
                                      widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    applicant_address = forms.CharField(label=_lazy("Địa chỉ"), max_length=500, required=False,
                                        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    summary = forms.CharField(label=_lazy("Trích yếu hồ sơ"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    vneid_verified = forms.BooleanField(label=_lazy("Đã xác thực danh tính qua VNeID"), required=False)

    def __init__(self, *args: Any, procedure: Procedure, agencies: list[Agency], desks: list[Agency] | None,
                 reused: list[counter_documents.CounterDocument] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        #: Components filled from a document source (core.counter_documents), by procedure component id.
        self.reused = {d.procedure_component_id: d for d in reused or []}
        self.agencies = {a.pk: a for a in agencies}
        self.desks = {a.pk: a for a in desks} if desks else {}
        agency_field: Any = self.fields["agency"]
        agency_field.choices = [(a.pk, a.name) for a in agencies]
        if len(agencies) == 1:
            agency_field.initial = agencies[0].pk
        desk_field: Any = self.fields["receiving_agency"]
        desk_field.choices = [("", _("Tự động theo cơ quan giải quyết")), *[(a.pk, a.name) for a in (desks or [])]]
        self.components = list(procedure.components.order_by("order", "id"))
        for c in self.components:
            self.fields[f"tp_{c.pk}_nop"] = forms.BooleanField(label=_lazy("Đã nộp"), required=False,
                                                              initial=c.required)
            self.fields[f"tp_{c.pk}_so_ban"] = forms.IntegerField(label=_lazy("Số bản"), min_value=1, max_value=100,
                                                                  initial=c.count or 1)
            self.fields[f"tp_{c.pk}_tep"] = forms.FileField(
                label=_lazy("Tệp (PDF, JPEG, PNG)"), required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_UPLOADS}))
            self.fields[f"tp_{c.pk}_so_hoa"] = forms.BooleanField(label=_lazy("Đã số hóa"), required=False)

    @property
    def show_desk_choice(self) -> bool:
        return len(self.desks) > 1

    def component_rows(self) -> list[dict[str, Any]]:
        return [{
            "component": c,
            "submitted": self[f"tp_{c.pk}_nop"], "count": self[f"tp_{c.pk}_so_ban"],
            "file": self[f"tp_{c.pk}_tep"], "digitized": self[f"tp_{c.pk}_so_hoa"],
            "errors": self.errors.get(f"tp_{c.pk}_tep"), "reused": self.reused.get(c.pk),
        } for c in self.components]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if set(self.reused) - {c.pk for c in self.components}:
            self.add_error(None, _("Giấy tờ tái sử dụng không thuộc thành phần hồ sơ của thủ tục này."))
        for c in self.components:
            upload = data.get(f"tp_{c.pk}_tep")
            if c.pk in self.reused:
                if upload or data.get(f"tp_{c.pk}_so_hoa"):
                    self.add_error(f"tp_{c.pk}_tep", _("Thành phần này dùng giấy tờ tái sử dụng từ kho: "
                                                       "bỏ tệp đính kèm, hoặc bỏ tái sử dụng."))
                continue
            if c.required and not (data.get(f"tp_{c.pk}_nop") or upload):
                # the service refuses it too; saying it here shows every missing row at once
                self.add_error(f"tp_{c.pk}_nop", _("Thành phần bắt buộc: đánh dấu đã nộp hoặc đính kèm tệp."))
            if data.get(f"tp_{c.pk}_so_hoa") and not upload:
                self.add_error(f"tp_{c.pk}_tep", _("Thành phần đã số hóa cần đính kèm bản quét."))
            if upload:
                try:
                    _check_upload(upload)
                except ValidationFailed as exc:
                    self.add_error(f"tp_{c.pk}_tep", exc.message)
        return data

    def receiving(self) -> Agency | None:
        """The desk that receives: the one chosen; none (= the handling agency) when that agency is
        itself one of the officer's desks; else the service centre of the handling agency's unit,
        else the officer's first desk."""
        pk = self.cleaned_data.get("receiving_agency")
        if pk and pk in self.desks:
            return self.desks[pk]
        handling = self.agencies.get(self.cleaned_data.get("agency") or 0)
        if not self.desks or handling is None or handling.pk in self.desks:
            return None
        centres = [d for d in self.desks.values()
                   if d.kind == AgencyKind.SERVICE_CENTRE and d.unit_id == handling.unit_id]
        return (centres or list(self.desks.values()))[0]

    def inputs(self) -> tuple[services.ApplicantInput, list[services.ComponentInput]]:
        data = self.cleaned_data
        applicant = services.ApplicantInput(
            name=data["applicant_name"], id_number=data["applicant_id_number"], kind=data["applicant_kind"],
            phone=data["applicant_phone"], email=data["applicant_email"], address=data["applicant_address"],
        )
        components = []
        for c in self.components:
            upload = data.get(f"tp_{c.pk}_tep")
            reused = self.reused.get(c.pk)
            if reused is not None:  # the source's file itself (content-addressed): no copy
                components.append(services.ComponentInput(procedure_component=c, copy_type=CopyType.ELECTRONIC,
                                                          file=reused.file, reused=True))
                continue
            if not (data.get(f"tp_{c.pk}_nop") or upload):
                continue
            components.append(services.ComponentInput(
                procedure_component=c, copy_type=c.copy_type, count=data.get(f"tp_{c.pk}_so_ban") or 1,
                upload=_upload_input(upload), digitized=bool(data.get(f"tp_{c.pk}_so_hoa")),
            ))
        return applicant, components

    #: Service error codes → the field the message belongs next to.
    ERROR_FIELDS = {
        "id_number_invalid": "applicant_id_number", "phone_invalid": "applicant_phone",
        "email_invalid": "applicant_email", "applicant_kind_invalid": "applicant_kind",
        "agency_not_competent": "agency", "role_required": "receiving_agency", "channel_invalid": "channel",
    }
    LABEL_FIELDS = {"họ tên chủ hồ sơ": "applicant_name", "địa chỉ": "applicant_address",
                    "trích yếu hồ sơ": "summary"}

    def add_service_error(self, exc: DomainError) -> None:
        """Put a service's refusal next to the field it is about (or on top of the form)."""
        details = exc.details if isinstance(exc.details, dict) else {}
        if exc.code == "components_missing":
            missing = set(details.get("missing") or [])
            for c in self.components:
                if c.name in missing:
                    self.add_error(f"tp_{c.pk}_nop", _("Thành phần bắt buộc: đánh dấu đã nộp hoặc đính kèm tệp."))
            self.add_error(None, exc.message)
            return
        name = self.ERROR_FIELDS.get(exc.code) or self.LABEL_FIELDS.get(str(details.get("field", "")))
        if name == "receiving_agency" and not self.show_desk_choice:
            name = None
        self.add_error(name, exc.message)


def _procedure_for_counter(user: Any, code: str) -> Procedure | None:
    if not code:
        return None
    return _receivable_procedures(user, "").filter(code=code).select_related("field").first()


@officer_required(ONE_STOP)
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest) -> HttpResponse:
    """Tiếp nhận hồ sơ: choose the procedure (search without diacritics), then the receipt form."""
    user = request.user
    q = (request.GET.get("q") or "")[:200]
    code = (request.POST.get("thu_tuc") or request.GET.get("thu_tuc") or "").strip()[:40]
    procedure = _procedure_for_counter(user, code)
    context: dict[str, Any] = {"q": q, "procedure": procedure, "code": code}
    if procedure is None:
        matches = _receivable_procedures(user, q)
        shown = list(matches[: PROCEDURE_CHOICES_SHOWN + 1])
        context.update(matches=shown[:PROCEDURE_CHOICES_SHOWN], more=len(shown) > PROCEDURE_CHOICES_SHOWN,
                       unknown_code=bool(code))
        return render(request, "dossiers/receive.html", context, status=404 if code else 200)

    desks_qs = _desks(user)
    desks = list(desks_qs.order_by("name")[:50]) if desks_qs is not None else None
    agencies = _handling_choices(user, procedure)
    reused, reuse_error, initial = _counter_reuse(request)
    form = ReceiveForm(request.POST or None, request.FILES or None, procedure=procedure, agencies=agencies,
                       desks=desks, reused=reused, initial=initial)
    status = 200
    if reuse_error:
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            try:
                applicant, components = form.inputs()
                with transaction.atomic():  # the receipt and the reuse consents it used: all or nothing
                    dossier = services.dossier_receive(
                        actor=user, procedure=procedure, agency=form.agencies[form.cleaned_data["agency"]],
                        receiving_agency=form.receiving(), applicant=applicant, components=components,
                        summary=form.cleaned_data["summary"], channel=form.cleaned_data["channel"],
                        vneid_verified=form.cleaned_data["vneid_verified"],
                    )
                    if reused:
                        counter_documents.attach(officer=user, refs=[d.ref for d in reused], dossier=dossier)
            except DomainError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("dossiers:receipt", code=dossier.code)
        status = 400
    fees = procedure_fees_on(procedure, timezone.localdate())
    context.update(form=form, fees=fees, fees_total=sum(f.amount for f in fees), no_agency=not agencies,
                   reused=reused, reuse_error=reuse_error, reuse_param=counter_documents.PARAM,
                   reuse_sources=[(source.label, source.start_url(procedure_code=procedure.code))
                                  for _name, source in counter_documents.sources()])
    return render(request, "dossiers/receive.html", context, status=status)


def _counter_reuse(request: HttpRequest) -> tuple[list[counter_documents.CounterDocument], str, dict[str, Any]]:
    """Documents a source (``core.counter_documents``, e.g. the citizen's store after their consent)
    released for this receipt (``?tai_lieu=<source>:<key>``), an error message when a reference is
    not this officer's or was used already, and the applicant to prefill on the first display."""
    data = request.POST if request.method == "POST" else request.GET
    refs = [r[:100] for r in data.getlist(counter_documents.PARAM)[: counter_documents.MAX_REFS + 1]]
    if not refs:
        return [], "", {}
    try:
        reused = counter_documents.documents(officer=request.user, refs=refs)
    except DomainError as exc:
        return [], exc.message, {}
    initial: dict[str, Any] = {}
    if request.method != "POST":
        person = counter_documents.applicant(officer=request.user, refs=refs)
        if person is not None:
            initial = {"applicant_name": person.name, "applicant_id_number": person.id_number,
                       "applicant_phone": person.phone, "applicant_email": person.email}
    return reused, "", initial


@officer_required()
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """After receipt: the code, the appointment, and Mẫu 01 to print for the applicant."""
    dossier = _dossier_or_404(request.user, code)
    if dossier.received_at is None:
        return redirect("dossiers:detail", code=dossier.code)
    return render(request, "dossiers/receipt.html", {
        "dossier": dossier, "components": list(dossier.components.all()), "fees": list(dossier.fees.all()),
        "fees_total": sum(f.amount for f in dossier.fees.all()),
    })


# --- Online dossiers waiting for acceptance -------------------------------------------------------


@officer_required(ONE_STOP)
@require_GET
def online(request: HttpRequest) -> HttpResponse:
    """Tiếp nhận hồ sơ trực tuyến: status 1 in the officer's scope, oldest first, accept or refuse."""
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.dossier_inbox(
            request.user, filters=selectors.InboxFilters(statuses=[Status.NEW], channel=Channel.ONLINE),
            cursor=cursor, limit=ONLINE_PAGE_SIZE,
        )
    except ValidationFailed as exc:
        return render(request, "dossiers/online.html", {"rows": [], "error": exc.message}, status=400)
    # Every row is in status 1, so accept/refuse depend only on the officer's roles at the two desks:
    # ask the workflow once per (handling, receiving) pair instead of once per row.
    by_desks: dict[tuple[int, int], list[str]] = {}
    rows = []
    for d in page.items:
        key = (d.agency_id, d.receiving_agency_id)
        if key not in by_desks:
            by_desks[key] = [a for a in selectors.dossier_allowed_actions(request.user, d)
                             if a in (Action.ACCEPT, Action.REFUSE)]
        rows.append({"dossier": d, "actions": by_desks[key]})
    next_url = f"?{urlencode({'cursor': page.next_cursor})}" if page.next_cursor else ""
    return render(request, "dossiers/online.html", {"rows": rows, "next_url": next_url, "paged": bool(cursor)})


# --- Inbox (Hồ sơ cần xử lý) ----------------------------------------------------------------------


def _due(dossier: Dossier, now: datetime, working_calendar: Any = None) -> DueState:
    hours = selectors.dossier_remaining_working_hours(dossier, now, working_calendar=working_calendar)
    return due_state(hours=hours, due_at=dossier.due_at, paused=dossier.clock_paused_at is not None, now=now)


class InboxForm(forms.Form):
    q = forms.CharField(label=_lazy("Tìm kiếm"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _lazy("Mã hồ sơ, chủ hồ sơ, thủ tục"),
               "aria-describedby": "q-hint"}))
    viec = forms.ChoiceField(label=_lazy("Hồ sơ"), required=False, choices=[
        ("cho-toi", _lazy("Chờ tôi xử lý")), ("giao-toi", _lazy("Được giao cho tôi")),
        ("", _lazy("Mọi hồ sơ trong phạm vi")),
    ])
    trang_thai = forms.TypedChoiceField(label=_lazy("Trạng thái"), required=False, coerce=int, empty_value=None,
                                        choices=[("", _lazy("Mọi trạng thái")), *Status.choices])
    han = forms.ChoiceField(label=_lazy("Hạn xử lý"), required=False, choices=[
        ("", _lazy("Mọi hạn")), ("open", _lazy("Đang giải quyết")), ("overdue", _lazy("Quá hạn")),
        ("today", _lazy("Đến hạn hôm nay")), ("soon", _lazy("Đến hạn trong 1 ngày làm việc")),
        ("paused", _lazy("Tạm dừng chờ bổ sung")),
    ])


@officer_required()
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Hồ sơ cần xử lý: what waits for me by default; filters, search without diacritics, "Trang sau"."""
    params = request.GET.copy()
    if not any(k in params for k in ("viec", "q", "trang_thai", "han")):
        params["viec"] = "cho-toi"
    form = InboxForm(params)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    now = timezone.now()
    statuses = [data["trang_thai"]] if data.get("trang_thai") else []
    filters = selectors.InboxFilters(statuses=statuses, due=data.get("han") or None, q=data.get("q") or "",
                                     assigned_to_me=data.get("viec") == "giao-toi",
                                     waiting_for_me=data.get("viec") == "cho-toi")
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.dossier_inbox(request.user, filters=filters, cursor=cursor, limit=PAGE_SIZE, now=now)
    except ValidationFailed as exc:
        return render(request, "dossiers/inbox.html", {"form": form, "rows": [], "error": exc.message}, status=400)
    cal = selectors.inbox_working_calendar(page.items, now)
    rows = [{"dossier": d, "due": _due(d, now, cal)} for d in page.items]
    base = params.copy()
    base.pop("cursor", None)
    next_url = ""
    if page.next_cursor:
        nxt = base.copy()
        nxt["cursor"] = page.next_cursor
        next_url = f"?{nxt.urlencode()}"
    return render(request, "dossiers/inbox.html", {
        "form": form, "rows": rows, "next_url": next_url, "first_url": f"?{base.urlencode()}" if cursor else "",
        "is_one_stop": has_role(request.user, ONE_STOP),
    })


# --- One dossier ----------------------------------------------------------------------------------

FORM_AVAILABILITY: dict[str, Callable[[Dossier], bool]] = {
    "01": lambda d: d.received_at is not None,
    "02": lambda d: d.supplement_count > 0,
    "03": lambda d: d.refused_at is not None,
    "04": lambda d: d.extension_count > 0,
    "05": lambda d: d.stopped_at is not None,
    "06": lambda d: d.received_at is not None,
    "07": lambda d: d.received_at is not None,
}
XLSX_FORMS = ("06", "07")


def _forms_available(dossier: Dossier) -> list[dict[str, Any]]:
    from chinhquyenso.printing.forms import FORM_TITLES

    return [{"number": n, "title": FORM_TITLES[n], "xlsx": n in XLSX_FORMS}
            for n, applies in FORM_AVAILABILITY.items() if applies(dossier)]


def _assignee_candidates(dossier: Dossier, step: ProcessStep | None) -> list[User]:
    """Active users holding the step's role at the step's agency (checked with ``has_role``)."""
    if step is None:
        return []
    agency = step_agency(dossier, step)
    unit_ids = [int(p) for p in (agency.unit.path or "").strip("/").split("/") if p.isdigit()]
    parents = []
    current: Agency | None = agency
    for _i in range(4):
        if current is None:
            break
        parents.append(current.pk)
        current = current.parent
    rows = (RoleAssignment.objects.filter(role=step.role, user__is_active=True, user__is_citizen=False)
            .filter(Q(agency_id__in=parents) | Q(agency__isnull=True, unit_id__in=unit_ids))
            .select_related("user").order_by("user__full_name", "user__username")[:100])
    seen: dict[int, User] = {}
    for row in rows:
        if row.user_id not in seen and has_role(row.user, step.role, agency=agency):
            seen[row.user_id] = row.user
    return list(seen.values())[:50]


def _neighbour_step(dossier: Dossier, *, later: bool) -> ProcessStep | None:
    step = dossier.current_step
    if step is None:
        return None
    steps = ProcessStep.objects.filter(process_id=step.process_id)
    if later:
        return steps.filter(order__gt=step.order).order_by("order").first()
    return steps.filter(order__lt=step.order).order_by("-order").first()


def _consult_agencies(dossier: Dossier) -> list[Agency]:
    """Province-level bodies and the handling agency's neighbours (the usual people to ask)."""
    return list(_current_agencies().filter(Q(unit__parent__isnull=True) | Q(unit_id=dossier.agency.unit_id))
                .exclude(pk=dossier.agency_id).select_related("unit").order_by("name")[:200])


def _answerable(user: Any, dossier: Dossier) -> list[DossierConsultation]:
    return [c for c in dossier.consultations.filter(answered_at__isnull=True).select_related("agency")
            if has_role(user, PROCESSING, LEADER, agency=c.agency)]


def _detail_context(user: Any, dossier: Dossier) -> dict[str, Any]:
    allowed = selectors.dossier_allowed_actions(user, dossier)
    components = list(dossier.components.select_related("file", "digitized_by", "supplement"))
    action_names = [a for a in allowed if a != Action.MARK_DIGITIZED]
    context: dict[str, Any] = {
        "dossier": dossier,
        "status_label": Status(dossier.status).label,
        "due": _due(dossier, timezone.now()),
        "allowed": allowed,
        "actions": [{"name": a, "label": TRANSITIONS[Action(a)].label, "form": TRANSITIONS[Action(a)].form}
                    for a in action_names],
        "can_digitize": Action.MARK_DIGITIZED in allowed,
        "components": components,
        "results": list(dossier.results.select_related("file")),
        "fees": list(dossier.fees.all()),
        "supplements": list(dossier.supplements.all()),
        "consultations": list(dossier.consultations.select_related("agency")),
        "timeline": selectors.dossier_timeline(dossier),
        "forms": _forms_available(dossier),
        "is_active": dossier.status in ACTIVE_STATUSES,
    }
    context["fees_total"] = sum(f.amount for f in context["fees"])
    if Action.FORWARD in allowed:
        nxt = _neighbour_step(dossier, later=True)
        context["forward_step"] = nxt
        context["forward_candidates"] = _assignee_candidates(dossier, nxt)
    if Action.RETURN_FOR_REWORK in allowed:
        context["rework_step"] = _neighbour_step(dossier, later=False)
    if Action.CONSULT in allowed:
        context["consult_agencies"] = _consult_agencies(dossier)
    if Action.ANSWER_CONSULTATION in allowed:
        context["answerable"] = _answerable(user, dossier)
    if Action.FINISH in allowed:
        context["procedure_results"] = list(ProcedureResult.objects.filter(procedure_id=dossier.procedure_id))
    if Action.PAYMENT_FULFILLED in allowed:
        context["payment_choices"] = OnlinePayment.choices
    return context


def _render_detail(request: HttpRequest, dossier: Dossier, *, status: int = 200, error_action: str = "",
                   error: str = "", posted: QueryDict | None = None, stale: bool = False) -> HttpResponse:
    context = _detail_context(request.user, dossier)
    shown = {a["name"] for a in context["actions"]}
    if context["can_digitize"]:
        shown.add(str(Action.MARK_DIGITIZED))
    context.update(error_action=error_action, error=error, posted=posted or {}, stale=stale,
                   error_elsewhere=bool(error and not stale and error_action not in shown))
    return render(request, "dossiers/detail.html", context, status=status)


@officer_required()
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """Hồ sơ: state, appointment, applicant (full ID only here), components, timeline, the actions
    this officer may take now."""
    return _render_detail(request, _dossier_or_404(request.user, code))


# --- Actions --------------------------------------------------------------------------------------

Handler = Callable[[HttpRequest, Dossier, int], Any]


def _text(request: HttpRequest, name: str) -> str:
    return (request.POST.get(name) or "")[:4000]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _file(request: HttpRequest, name: str) -> UploadedFile | None:
    upload = request.FILES.get(name)
    return upload if upload else None


def _assignee(request: HttpRequest) -> User | None:
    raw = (request.POST.get("assignee") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(_("Người được giao không hợp lệ."), code="assignee_invalid")
    user = User.objects.filter(pk=int(raw), is_active=True).first()
    if user is None:
        raise ValidationFailed(_("Không tìm thấy cán bộ được giao."), code="assignee_unknown")
    return user


def _act_accept(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_accept_online(dossier=d, actor=request.user, expected_version=version)


def _act_refuse(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_refuse(dossier=d, actor=request.user, reason=_text(request, "reason"),
                                   expected_version=version)


def _act_request_supplement(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_request_supplement(dossier=d, actor=request.user, reason=_text(request, "reason"),
                                               items=_lines(_text(request, "items")), expected_version=version)


def _act_receive_supplement(request: HttpRequest, d: Dossier, version: int) -> Any:
    name = (request.POST.get("component_name") or "").strip()[:500]
    upload = _file(request, "file")
    components = []
    if name or upload:
        if not name:
            raise ValidationFailed(_("Vui lòng nhập tên giấy tờ bổ sung kèm theo tệp."), code="component_name_required")
        components.append(services.ComponentInput(name=name, upload=_upload_input(upload),
                                                  digitized=bool(request.POST.get("digitized")) and upload is not None))
    return services.dossier_receive_supplement(dossier=d, actor=request.user, components=components,
                                               note=_text(request, "note"), expected_version=version)


def _act_forward(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_forward(dossier=d, actor=request.user, assignee=_assignee(request),
                                    note=_text(request, "note"), expected_version=version)


def _act_return_for_rework(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_return_for_rework(dossier=d, actor=request.user, reason=_text(request, "reason"),
                                              assignee=_assignee(request), expected_version=version)


def _act_consult(request: HttpRequest, d: Dossier, version: int) -> Any:
    raw = (request.POST.get("agency") or "").strip()
    agency = _current_agencies().filter(pk=int(raw)).first() if raw.isdigit() else None
    if agency is None:
        raise ValidationFailed(_("Vui lòng chọn cơ quan được xin ý kiến."), code="agency_required")
    due = _parse_moment(request.POST.get("due_date", ""), "", label=_("Hạn trả lời"))
    return services.dossier_consult(dossier=d, actor=request.user, agency=agency, question=_text(request, "question"),
                                    due_at=due, expected_version=version)


def _act_answer_consultation(request: HttpRequest, d: Dossier, version: int) -> Any:
    raw = (request.POST.get("consultation") or "").strip()
    row = DossierConsultation.objects.filter(pk=int(raw), dossier_id=d.pk).first() if raw.isdigit() else None
    if row is None:
        raise ValidationFailed(_("Vui lòng chọn yêu cầu xin ý kiến cần trả lời."), code="consultation_required")
    return services.dossier_consultation_answer(consultation=row, actor=request.user, answer=_text(request, "answer"),
                                                expected_version=version)


def _act_require_payment(request: HttpRequest, d: Dossier, version: int) -> Any:
    name = (request.POST.get("fee_name") or "").strip()[:300]
    amount = _parse_amount(request.POST.get("fee_amount", ""))
    return services.dossier_require_payment(dossier=d, actor=request.user,
                                            fees=[services.FeeInput(name=name, amount=amount)],
                                            reason=_text(request, "reason"), expected_version=version)


def _act_payment_fulfilled(request: HttpRequest, d: Dossier, version: int) -> Any:
    raw = (request.POST.get("paid_online") or "0").strip()
    if not raw.isdigit():
        raise ValidationFailed(_("Hình thức thanh toán không hợp lệ."), code="paid_online_invalid")
    return services.dossier_payment_fulfilled(dossier=d, actor=request.user, paid_online=int(raw),
                                              reference=(request.POST.get("reference") or "")[:200],
                                              expected_version=version)


def _act_stop(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_stop(dossier=d, actor=request.user, reason=_text(request, "reason"),
                                 expected_version=version)


def _act_withdraw(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_withdraw(dossier=d, actor=request.user, reason=_text(request, "reason"),
                                     expected_version=version)


def _act_finish(request: HttpRequest, d: Dossier, version: int) -> Any:
    raw = (request.POST.get("result") or "").strip()
    chosen = ProcedureResult.objects.filter(pk=int(raw), procedure_id=d.procedure_id).first() if raw.isdigit() else None
    name = (request.POST.get("result_name") or "").strip()[:300]
    if chosen is None and not name:
        raise ValidationFailed(_("Vui lòng chọn hoặc nhập tên giấy tờ kết quả."), code="result_name_required")
    result = services.ResultInput(
        procedure_result=chosen, name=name, code=(request.POST.get("result_code") or "")[:100],
        upload=_upload_input(_file(request, "file")), signed=bool(request.POST.get("signed")))
    return services.dossier_finish(dossier=d, actor=request.user, results=[result], note=_text(request, "note"),
                                   expected_version=version)


def _act_return_result(request: HttpRequest, d: Dossier, version: int) -> Any:
    return services.dossier_return_result(dossier=d, actor=request.user, note=_text(request, "note"),
                                          expected_version=version)


def _act_apologize_extend(request: HttpRequest, d: Dossier, version: int) -> Any:
    new_due = _parse_moment(request.POST.get("new_due_date", ""), request.POST.get("new_due_time", ""),
                            label=_("Ngày hẹn trả mới"))
    if new_due is None:
        raise ValidationFailed(_("Vui lòng nhập ngày hẹn trả mới."), code="new_due_required")
    return services.dossier_apologize_extend(dossier=d, actor=request.user, new_due_at=new_due,
                                             reason=_text(request, "reason"), expected_version=version)


def _act_mark_digitized(request: HttpRequest, d: Dossier, version: int) -> Any:
    raw = (request.POST.get("component") or "").strip()
    row = DossierComponent.objects.filter(pk=int(raw), dossier_id=d.pk).first() if raw.isdigit() else None
    if row is None:
        raise ValidationFailed(_("Không tìm thấy thành phần hồ sơ này."), code="component_not_found")
    return services.dossier_mark_digitized(dossier=d, actor=request.user, component=row,
                                           upload=_upload_input(_file(request, "file")), expected_version=version)


ACTION_HANDLERS: dict[str, Handler] = {
    Action.ACCEPT: _act_accept,
    Action.REFUSE: _act_refuse,
    Action.REQUEST_SUPPLEMENT: _act_request_supplement,
    Action.RECEIVE_SUPPLEMENT: _act_receive_supplement,
    Action.FORWARD: _act_forward,
    Action.RETURN_FOR_REWORK: _act_return_for_rework,
    Action.CONSULT: _act_consult,
    Action.ANSWER_CONSULTATION: _act_answer_consultation,
    Action.REQUIRE_PAYMENT: _act_require_payment,
    Action.PAYMENT_FULFILLED: _act_payment_fulfilled,
    Action.STOP: _act_stop,
    Action.WITHDRAW: _act_withdraw,
    Action.FINISH: _act_finish,
    Action.RETURN_RESULT: _act_return_result,
    Action.APOLOGIZE_EXTEND: _act_apologize_extend,
    Action.MARK_DIGITIZED: _act_mark_digitized,
}

SUCCESS_MESSAGES: dict[str, Any] = {
    Action.ACCEPT: _lazy("Đã tiếp nhận hồ sơ trực tuyến; thời hạn giải quyết bắt đầu tính."),
    Action.REFUSE: _lazy("Đã từ chối tiếp nhận hồ sơ (Mẫu 03)."),
    Action.REQUEST_SUPPLEMENT: _lazy("Đã yêu cầu bổ sung hồ sơ (Mẫu 02); thời hạn tạm dừng."),
    Action.RECEIVE_SUPPLEMENT: _lazy("Đã tiếp nhận hồ sơ bổ sung; ngày hẹn trả được tính lại."),
    Action.FORWARD: _lazy("Đã chuyển hồ sơ sang bước tiếp theo."),
    Action.RETURN_FOR_REWORK: _lazy("Đã trả hồ sơ về bước trước."),
    Action.CONSULT: _lazy("Đã gửi xin ý kiến."),
    Action.ANSWER_CONSULTATION: _lazy("Đã trả lời xin ý kiến."),
    Action.REQUIRE_PAYMENT: _lazy("Đã yêu cầu thực hiện nghĩa vụ tài chính."),
    Action.PAYMENT_FULFILLED: _lazy("Đã xác nhận hoàn thành nghĩa vụ tài chính."),
    Action.STOP: _lazy("Đã dừng xử lý hồ sơ (Mẫu 05)."),
    Action.WITHDRAW: _lazy("Đã ghi nhận rút hồ sơ."),
    Action.FINISH: _lazy("Đã hoàn thành xử lý hồ sơ."),
    Action.RETURN_RESULT: _lazy("Đã trả kết quả cho công dân, tổ chức."),
    Action.APOLOGIZE_EXTEND: _lazy("Đã gia hạn và lập văn bản xin lỗi (Mẫu 04)."),
    Action.MARK_DIGITIZED: _lazy("Đã đánh dấu thành phần hồ sơ được số hóa."),
}


@officer_required()
@require_POST
def action(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """One action on one dossier, with the version the officer saw. Errors come back on the dossier
    page next to the action's form (nothing changed); a stale version is a 409."""
    dossier = _dossier_or_404(request.user, code)
    handler = ACTION_HANDLERS.get(name)
    if handler is None:
        raise Http404(_("Không có thao tác này."))
    raw_version = (request.POST.get("expected_version") or "").strip()
    if not raw_version.isdigit():
        return _render_detail(request, dossier, status=400, error_action=name, posted=request.POST,
                              error=_("Thiếu phiên bản hồ sơ; vui lòng tải lại trang."))
    try:
        handler(request, dossier, int(raw_version))
    except DomainError as exc:
        fresh = _dossier_or_404(request.user, code)
        if exc.code == "stale_version":
            return _render_detail(request, fresh, status=409, stale=True, error=str(STALE_MESSAGE))
        return _render_detail(request, fresh, status=exc.status, error_action=name, error=exc.message,
                              posted=request.POST)
    messages.success(request, str(SUCCESS_MESSAGES[name]))
    return redirect(_safe_next(request, reverse("dossiers:detail", kwargs={"code": dossier.code})))


# --- Files and printed forms ----------------------------------------------------------------------


def _serve_stored(stored: StoredFile | None, name: str) -> HttpResponse:
    """``files.responses.file_response`` (a streaming FileResponse; typed as HttpResponse because
    ``officer_required`` is declared for HttpResponse views)."""
    from chinhquyenso.files.responses import file_response

    if stored is None:
        raise Http404(_("Thành phần này không có tệp đính kèm."))
    try:
        return cast(HttpResponse, file_response(stored, download_name=name))
    except NotFound as exc:
        raise Http404(exc.message) from None


@officer_required()
@require_GET
def component_file(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A submitted document, after the dossier scope check."""
    dossier = _dossier_or_404(request.user, code)
    row = DossierComponent.objects.filter(pk=pk, dossier_id=dossier.pk).select_related("file").first()
    if row is None:
        raise Http404(_("Không tìm thấy thành phần hồ sơ."))
    return _serve_stored(row.file, f"{dossier.code}-{row.name}"[:150])


@officer_required()
@require_GET
def result_file(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A result document, after the dossier scope check."""
    dossier = _dossier_or_404(request.user, code)
    row = DossierResult.objects.filter(pk=pk, dossier_id=dossier.pk).select_related("file").first()
    if row is None:
        raise Http404(_("Không tìm thấy giấy tờ kết quả."))
    return _serve_stored(row.file, f"{dossier.code}-{row.name}"[:150])


@officer_required()
@require_GET
def form(request: HttpRequest, code: str, number: str) -> HttpResponse:
    """Mẫu 01–07 (PDF; 06 and 07 also XLSX with ``?format=xlsx``) rendered by ``forms.dossier_form_render``."""
    from chinhquyenso.dossiers.forms import dossier_form_render, public_lookup_url

    dossier = _dossier_or_404(request.user, code)
    fmt = (request.GET.get("format") or "pdf").lower()[:10]
    try:
        content, content_type, filename = dossier_form_render(dossier, number, fmt=fmt,
                                                              lookup_url=public_lookup_url(request, dossier.code),
                                                              user=request.user)
    except DomainError as exc:
        return render(request, "dossiers/form_error.html", {"dossier": dossier, "message": exc.message},
                      status=exc.status)
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = [
    "WorkCount",
    "officer_work_summary",
]

"""Citizen pages under ``/cong-dan/``: account and e-ID login, "Hồ sơ của tôi", online submission,
"Kho giấy tờ", and the public dossier lookup. Server-rendered, no JavaScript needed.

Every page of a citizen's own data goes through :func:`citizen_required` and reads through
``selectors`` filtered by owner, so another citizen's code or id is a 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chinhquyenso.accounts.decorators import forbidden, officer_required
from chinhquyenso.accounts.models import Role, User
from chinhquyenso.accounts.selectors import otp_verified, totp_device_confirmed
from chinhquyenso.accounts.views import CITIZEN_EID_SESSION_KEY
from chinhquyenso.citizens import oidc, ratelimit, selectors, services
from chinhquyenso.citizens.forms import (
    CitizenLoginForm,
    CounterConsentForm,
    CounterFindForm,
    DocumentUploadForm,
    OtpCodeForm,
    RatingForm,
    RegisterForm,
    SubmissionForm,
    WithdrawForm,
    component_field,
)
from chinhquyenso.citizens.models import ComponentSource, DossierRating, SubmissionDraft
from chinhquyenso.core.errors import DomainError, NotFound
from chinhquyenso.dossiers.models import Status
from chinhquyenso.files.responses import file_response
from chinhquyenso.procedures.models import Procedure, ServiceLevel

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])
#: Set in the session when the citizen signed in through the identity provider (strong login:
#: the provider's own factors count, so the optional TOTP step is not asked again).
SESSION_EID_LOGIN = CITIZEN_EID_SESSION_KEY  # "citizens_eid_login"; the officer login page clears it too
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PAGE_SIZE = 20


# --- Guards --------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str | None, default: str = "") -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default or reverse("citizens:home")


def _next(request: HttpRequest, default: str = "") -> str:
    return _safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


def second_factor_pending(request: HttpRequest) -> bool:
    """A citizen who enabled TOTP signed in with a password but has not entered the code yet."""
    user = request.user
    if not user.is_authenticated or request.session.get(SESSION_EID_LOGIN):
        return False
    return totp_device_confirmed(user) is not None and not otp_verified(user)


def citizen_gate(request: HttpRequest) -> HttpResponse | None:
    """None when a signed-in, active citizen (past their optional TOTP step) may go on."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return redirect_to_login(request.get_full_path(), login_url=reverse("citizens:login"))
    if not getattr(user, "is_citizen", False):
        return forbidden(request, _("Trang này dành cho tài khoản công dân."))
    if second_factor_pending(request):
        return redirect(f"{reverse('citizens:totp_verify')}?{urlencode({'next': request.get_full_path()})}")
    return None


def citizen_required(view: ViewFunc) -> ViewFunc:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        blocked = citizen_gate(request)
        if blocked is not None:
            return blocked
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return cast(ViewFunc, wrapper)


def _citizen(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Register, log in, second factor -------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Đăng ký tài khoản công dân."""
    next_url = _next(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.citizen_register(full_name=data["full_name"], identifier=data["identifier"],
                                             password=data["password1"])
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            if "password" in details:
                for problem in details["password"]:
                    form.add_error("password1", problem)
            elif exc.code in {"identifier_taken", "identifier_invalid", "identifier_required", "username_taken"}:
                form.add_error("identifier", exc.message)
            elif exc.code == "required" or "full_name" in details:
                form.add_error("full_name", exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Đã tạo tài khoản. Chào mừng %(name)s!") % {"name": user.display_name})
            return redirect(next_url)
    return render(request, "citizens/register.html", {"form": form, "next": next_url,
                                                       "oidc": oidc.oidc_config()})


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Đăng nhập: e-mail/phone + password, then the 6-digit code if the citizen enabled TOTP;
    or the identity provider (VNeID)."""
    next_url = _next(request)
    form = CitizenLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if not user.is_citizen:
            form.add_error(None, _("Tài khoản cán bộ, công chức vui lòng đăng nhập tại trang dành cho cán bộ."))
        else:
            auth_login(request, user)
            request.session.pop(SESSION_EID_LOGIN, None)
            if totp_device_confirmed(user) is not None:
                return redirect(f"{reverse('citizens:totp_verify')}?{urlencode({'next': next_url})}")
            return redirect(next_url)
    return render(request, "citizens/login.html", {"form": form, "next": next_url, "oidc": oidc.oidc_config()})


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def totp_verify(request: HttpRequest) -> HttpResponse:
    """Bước 2 for citizens who enabled TOTP."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("citizens:login"))
    user = _citizen(request)
    next_url = _next(request)
    if not second_factor_pending(request):
        return redirect(next_url)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from chinhquyenso.accounts.services import totp_token_verify

        try:
            device = totp_token_verify(user=user, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
    return render(request, "citizens/totp_verify.html", {"form": form, "next": next_url})


# --- Identity provider (OpenID Connect) ----------------------------------------------------------


def _eid_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 503 if exc.code in {"oidc_unreachable", "oidc_bad_response", "oidc_disabled"} else 400
    return render(request, "citizens/eid_error.html", {"message": exc.message}, status=status)


@never_cache
@require_GET
def eid_start(request: HttpRequest) -> HttpResponse:
    """Chuyển sang nhà cung cấp định danh (``?mode=link`` from the account page links instead)."""
    mode = "link" if request.GET.get("mode") == "link" else "login"
    if mode == "link" and (blocked := citizen_gate(request)) is not None:
        return blocked
    default = reverse("citizens:account") if mode == "link" else ""
    try:
        auth = oidc.begin(request.session, redirect_uri=request.build_absolute_uri(reverse("citizens:eid_callback")),
                          next_url=_next(request, default), mode=mode)
    except DomainError as exc:
        return _eid_error(request, exc)
    return redirect(auth.url)


@never_cache
@require_GET
def eid_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with ``code`` and ``state``."""
    try:
        done = oidc.complete(request.session, params=request.GET.dict())
        if done.mode == "link":
            if (blocked := citizen_gate(request)) is not None:
                return blocked
            services.identity_link(user=_citizen(request), identity=done.identity)
            messages.success(request, _("Đã liên kết tài khoản định danh điện tử."))
            return redirect(_safe_next(request, done.next_url, reverse("citizens:account")))
        user, created = services.identity_sign_in(identity=done.identity)
    except DomainError as exc:
        return _eid_error(request, exc)
    auth_login(request, user, backend=MODEL_BACKEND)
    request.session[SESSION_EID_LOGIN] = True
    request.session.cycle_key()
    if created:
        messages.success(request, _("Đã tạo tài khoản công dân từ định danh điện tử."))
    return redirect(_safe_next(request, done.next_url))


@require_POST
@citizen_required
def eid_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    identity = selectors.citizen_identities(request.user).filter(pk=pk).first()
    if identity is None:
        raise Http404
    try:
        services.identity_unlink(user=_citizen(request), identity=identity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy liên kết tài khoản định danh."))
    return redirect("citizens:account")


# --- Account page --------------------------------------------------------------------------------


@never_cache
@citizen_required
def account(request: HttpRequest) -> HttpResponse:
    """Tài khoản: linked e-ID, two-step login on/off, password."""
    user = _citizen(request)
    config = oidc.oidc_config()
    identities = list(selectors.citizen_identities(user))
    return render(request, "citizens/account.html", {
        "identities": identities,
        "oidc": config,
        "can_link": config.enabled and not any(i.issuer == config.issuer for i in identities),
        "vneid_verified": selectors.citizen_vneid_verified(user),
        "totp_enabled": totp_device_confirmed(user) is not None,
        "otp_form": OtpCodeForm(),
    })


def _qr_data_uri(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2))


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
@citizen_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Bật xác thực hai lớp: scan the QR, confirm with the first code."""
    import base64

    from chinhquyenso.accounts.services import totp_device_begin, totp_device_confirm

    user = _citizen(request)
    if totp_device_confirmed(user) is not None:
        return redirect("citizens:account")
    device = totp_device_begin(user=user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_device_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return redirect("citizens:account")
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(request, "citizens/totp_setup.html", {
        "form": form, "qr_data_uri": _qr_data_uri(device.config_url),
        "secret": " ".join(secret[i: i + 4] for i in range(0, len(secret), 4)),
    })


@sensitive_post_parameters("token")
@require_POST
@citizen_required
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = OtpCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nhập mã xác thực gồm 6 chữ số."))
        return redirect("citizens:account")
    try:
        services.citizen_totp_disable(user=_citizen(request), token=form.cleaned_data["token"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã tắt xác thực hai lớp."))
    return redirect("citizens:account")


# --- My dossiers ---------------------------------------------------------------------------------


@never_cache
@citizen_required
def home(request: HttpRequest) -> HttpResponse:
    """Hồ sơ của tôi: submitted dossiers and drafts."""
    user = _citizen(request)
    page = Paginator(selectors.citizen_dossiers(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "citizens/home.html", {"page": page, "drafts": list(selectors.citizen_drafts(user))})


def payment_url(code: str) -> str:
    """Where to pay a dossier's fees: the payments app's page of the citizen's bills
    (``/thanh-toan/``) when that app is installed, else nothing (pay at the counter)."""
    try:
        return reverse("payments:my_bills")
    except NoReverseMatch:
        return ""


#: Events whose reason the owner needs to read (why refused, what to add, why stopped).
_REASON_EVENTS = frozenset({"refused", "supplement_requested", "stopped", "payment_required", "withdrawn"})


@never_cache
@citizen_required
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One of my dossiers: status, appointment, timeline, components, results, fees, rating."""
    from chinhquyenso.dossiers.selectors import dossier_allowed_actions, dossier_timeline

    user = _citizen(request)
    dossier = selectors.citizen_dossier_get(user, code)
    timeline = []
    for entry in dossier_timeline(dossier):
        reason = ""
        if entry.kind in _REASON_EVENTS:
            reason = str(entry.payload.get("reason") or "")
            items = entry.payload.get("items")
            if isinstance(items, list) and items:
                reason = (reason + " — " if reason else "") + "; ".join(str(i) for i in items)
        timeline.append({"label": entry.label, "status_label": entry.status_label, "at": entry.occurred_at,
                         "reason": reason})
    fees = list(dossier.fees.all())
    unpaid = [f for f in fees if f.amount > 0 and f.paid_at is None]
    rating = DossierRating.objects.filter(dossier=dossier).first()
    return render(request, "citizens/dossier_detail.html", {
        "dossier": dossier,
        "timeline": timeline,
        "components": list(dossier.components.select_related("file").order_by("id")),
        "results": list(dossier.results.select_related("file").order_by("id")),
        "fees": fees,
        "fees_total": sum(f.amount for f in unpaid),
        "payment_url": payment_url(dossier.code) if unpaid else "",
        "rating": rating,
        "can_rate": rating is None and dossier.status in services.RATABLE_STATUSES,
        "rating_form": RatingForm(),
        "can_withdraw": "withdraw" in dossier_allowed_actions(user, dossier),
        "withdraw_form": WithdrawForm(),
        "is_new": dossier.status == Status.NEW,
    })


@require_POST
@citizen_required
def dossier_rate(request: HttpRequest, code: str) -> HttpResponse:
    user = _citizen(request)
    dossier = selectors.citizen_dossier_get(user, code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("citizens:dossier_detail", code=dossier.code)
    try:
        services.dossier_rate(citizen=user, dossier=dossier, satisfied=form.cleaned_data["satisfied"],
                              comment=form.cleaned_data["comment"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    return redirect("citizens:dossier_detail", code=dossier.code)


@require_POST
@citizen_required
def dossier_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    from chinhquyenso.dossiers.services import dossier_withdraw as withdraw

    user = _citizen(request)
    dossier = selectors.citizen_dossier_get(user, code)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nêu lý do rút hồ sơ."))
        return redirect("citizens:dossier_detail", code=dossier.code)
    try:
        withdraw(dossier=dossier, actor=user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã rút hồ sơ."))
    return redirect("citizens:dossier_detail", code=dossier.code)


@require_GET
@citizen_required
def component_download(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    dossier = selectors.citizen_dossier_get(_citizen(request), code)
    component = dossier.components.select_related("file").filter(pk=pk, file__isnull=False).first()
    if component is None or component.file is None:
        raise Http404
    return file_response(component.file, download_name=component.name[:150])


@require_GET
@citizen_required
def result_download(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    dossier = selectors.citizen_dossier_get(_citizen(request), code)
    if dossier.status not in services.RATABLE_STATUSES:
        raise Http404
    result = dossier.results.select_related("file").filter(pk=pk, file__isnull=False).first()
    if result is None or result.file is None:
        raise Http404
    return file_response(result.file, download_name=result.name[:150])


# --- Document store ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def documents(request: HttpRequest) -> HttpResponse:
    """Kho giấy tờ: results, digitized components and my uploads, with source and validity."""
    from chinhquyenso.files.services import file_store_upload

    user = _citizen(request)
    types = selectors.known_document_types()
    form = DocumentUploadForm(request.POST or None, request.FILES or None, document_types=types)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stored = file_store_upload(upload=data["file"], actor=user)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            try:
                services.document_upload(citizen=user, name=data["name"], document_type=data["document_type"],
                                         file=stored, valid_until=data["valid_until"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã thêm giấy tờ vào kho."))
                return redirect("citizens:documents")
    labels = dict(types)
    rows = [{"doc": d, "type_label": labels.get(d.document_type, d.document_type)}
            for d in selectors.citizen_documents(user)]
    return render(request, "citizens/documents.html", {"rows": rows, "form": form},
                  status=400 if form.errors else 200)


@require_GET
@citizen_required
def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    doc = selectors.citizen_document_get(_citizen(request), pk)
    return file_response(doc.file, download_name=doc.name[:150])


@require_POST
@citizen_required
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _citizen(request)
    doc = selectors.citizen_document_get(user, pk)
    try:
        services.document_delete(citizen=user, document=doc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa giấy tờ."))
    return redirect("citizens:documents")


# --- Online submission ---------------------------------------------------------------------------


@require_GET
def submit_search(request: HttpRequest) -> HttpResponse:
    """Nộp hồ sơ trực tuyến: find an online procedure (diacritics-insensitive, e.g. "dang ky khai sinh")."""
    q = (request.GET.get("q") or "").strip()[:200]
    rows = selectors.online_procedures(q)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "citizens/submit_search.html", {"q": q, "page": page})


def _procedure_or_404(code: str) -> Procedure:
    try:
        return selectors.online_procedure_get(code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _form_context(procedure: Procedure, user: User) -> dict[str, Any]:
    agencies = list(selectors.submission_agencies(procedure))
    components = list(procedure.components.order_by("order", "id"))
    documents = {pc.pk: list(selectors.citizen_documents_for_component(user, pc)) for pc in components}
    return {"agencies": agencies, "components": components, "documents": documents}


def _choices_from_post(
    request: HttpRequest, form: SubmissionForm, draft: SubmissionDraft | None, user: User
) -> list[services.ComponentChoice] | None:
    """Turn the posted answers into choices, storing new uploads. None (and form errors) when
    something is wrong: then nothing at all is saved."""
    from chinhquyenso.files.services import file_store_upload

    existing = {row.procedure_component_id: row for row in draft.components.all()} if draft else {}
    pending: list[tuple[Any, str, Any]] = []  # (pc, source, upload or document)
    for pc in form.components:
        source = form.cleaned_data.get(component_field(pc, "source")) or ""
        if source == ComponentSource.UPLOAD:
            upload = request.FILES.get(component_field(pc, "file"))
            if upload is not None:
                pending.append((pc, source, upload))
            elif not (pc.pk in existing and existing[pc.pk].source == ComponentSource.UPLOAD
                      and existing[pc.pk].file_id):
                form.add_error(component_field(pc, "file"), _("Vui lòng chọn tệp để tải lên."))
        elif source == ComponentSource.STORE:
            raw = form.cleaned_data.get(component_field(pc, "document")) or ""
            try:
                pending.append((pc, source, selectors.citizen_document_get(user, raw)))
            except NotFound:
                form.add_error(component_field(pc, "source"), _("Vui lòng chọn giấy tờ trong kho."))
        elif source == ComponentSource.PAPER:
            pending.append((pc, source, None))
    if form.errors:
        return None
    choices: list[services.ComponentChoice] = []
    for pc, source, value in pending:
        if source == ComponentSource.UPLOAD:
            try:
                stored = file_store_upload(upload=value, actor=user)
            except DomainError as exc:
                form.add_error(component_field(pc, "file"), exc.message)
                continue
            choices.append(services.ComponentChoice(procedure_component=pc, source=source, file=stored,
                                                    filename=(value.name or "")[:255]))
        elif source == ComponentSource.STORE:
            choices.append(services.ComponentChoice(procedure_component=pc, source=source, document=value))
        else:
            choices.append(services.ComponentChoice(procedure_component=pc, source=source))
    return None if form.errors else choices


def _submission_form_view(request: HttpRequest, procedure: Procedure, draft: SubmissionDraft | None) -> HttpResponse:
    user = _citizen(request)
    ctx = _form_context(procedure, user)
    initial = SubmissionForm.initial_for(draft, user, ctx["agencies"])
    form = SubmissionForm(request.POST or None, request.FILES or None, initial=initial, procedure=procedure,
                          **ctx)
    if request.method == "POST" and form.is_valid():
        choices = _choices_from_post(request, form, draft, user)
        if choices is not None:
            agency = next((a for a in ctx["agencies"] if str(a.pk) == form.cleaned_data["agency"]), None)
            data = form.cleaned_data
            try:
                draft = services.draft_save(
                    citizen=user, procedure=procedure, draft=draft, agency=agency,
                    applicant=services.ApplicantData(
                        name=data["applicant_name"], id_number=data["applicant_id_number"],
                        phone=data["applicant_phone"], email=data["applicant_email"],
                        address=data["applicant_address"]),
                    summary=data["summary"], choices=choices,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if request.POST.get("action") == "review":
                    return redirect("citizens:draft_review", pk=draft.pk)
                messages.success(request, _("Đã lưu hồ sơ nháp. Bạn có thể tiếp tục sau tại “Hồ sơ của tôi”."))
                return redirect("citizens:draft_edit", pk=draft.pk)
    saved = {row.procedure_component_id: row for row in draft.components.select_related("document")} if draft else {}
    rows = [{"pc": pc, "source": form[component_field(pc, "source")], "file": form[component_field(pc, "file")],
             "document": form[component_field(pc, "document")] if component_field(pc, "document") in form.fields
             else None, "saved": saved.get(pc.pk)} for pc in ctx["components"]]
    return render(request, "citizens/submit_form.html", {
        "procedure": procedure, "form": form, "rows": rows, "draft": draft,
        "full_online": procedure.service_level == ServiceLevel.FULL_ONLINE,
        "fees": selectors.procedure_fees_today(procedure),
    }, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def submit_new(request: HttpRequest, procedure_code: str) -> HttpResponse:
    """A new submission for a procedure (the form; saving makes a draft)."""
    return _submission_form_view(request, _procedure_or_404(procedure_code), None)


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.citizen_draft_get(request.user, pk)
    if draft.submitted_dossier is not None:
        return redirect("citizens:dossier_detail", code=draft.submitted_dossier.code)
    return _submission_form_view(request, draft.procedure, draft)


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def draft_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Xem lại rồi nộp: shows everything, then submits; the dossier code appears at once."""
    user = _citizen(request)
    draft = selectors.citizen_draft_get(user, pk)
    if draft.submitted_dossier is not None:
        return redirect("citizens:dossier_detail", code=draft.submitted_dossier.code)
    error = ""
    if request.method == "POST":
        try:
            dossier = services.draft_submit(citizen=user, draft=draft)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Đã nộp hồ sơ thành công. Mã hồ sơ của bạn: %(code)s") % {"code": dossier.code})
            return redirect("citizens:dossier_detail", code=dossier.code)
    procedure = draft.procedure
    saved = {row.procedure_component_id: row for row in draft.components.select_related("document", "file")}
    components = list(procedure.components.order_by("order", "id"))
    rows = [{"pc": pc, "saved": saved.get(pc.pk)} for pc in components]
    missing = [pc.name for pc in components if pc.required and pc.pk not in saved]
    return render(request, "citizens/submit_review.html", {
        "draft": draft, "procedure": procedure, "rows": rows, "missing": missing, "error": error,
        "fees": selectors.procedure_fees_today(procedure),
        "full_online": procedure.service_level == ServiceLevel.FULL_ONLINE,
        "vneid_verified": selectors.citizen_vneid_verified(user),
    }, status=400 if error else 200)


@require_POST
@citizen_required
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _citizen(request)
    draft = selectors.citizen_draft_get(user, pk)
    try:
        services.draft_delete(citizen=user, draft=draft)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa hồ sơ nháp."))
    return redirect("citizens:home")


# --- Public lookup -------------------------------------------------------------------------------


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Tra cứu hồ sơ by code (the receipt's QR code opens ``?ma=CODE``): status, appointment and
    status changes, never personal data. Rate-limited per address; "unknown" and "malformed"
    give the same page."""
    code = (request.GET.get("ma") or "").strip()[:100]
    if not code:
        return render(request, "citizens/lookup.html", {"code": "", "searched": False})
    if not ratelimit.lookup_allowed(request):
        response = render(request, "citizens/rate_limited.html", status=429)
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
        return response
    view = selectors.public_dossier_lookup(code)
    response = render(request, "citizens/lookup.html", {"code": code, "searched": True, "result": view})
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


# --- Reuse at the one-stop counter (officer page) ------------------------------------------------


def _counter_desks(user: Any, procedure: Procedure) -> list[Any]:
    """Where the officer receives (their one-stop desks today); province-wide officers choose among
    the procedure's competent agencies."""
    from chinhquyenso.accounts.scope import scope_for
    from chinhquyenso.units.models import Agency
    from chinhquyenso.units.selectors import valid_on_q

    scope = scope_for(user, [Role.ONE_STOP_OFFICER.value])
    if scope.everything:
        return list(selectors.submission_agencies(procedure)[:50])
    if scope.empty:
        return []
    day = timezone.localdate()
    return list(Agency.objects.filter(valid_on_q(day)).filter(scope.agency_q()).order_by("name", "id")[:50])


@never_cache
@officer_required(Role.ONE_STOP_OFFICER.value)
@require_http_methods(["GET", "POST"])
def counter_reuse(request: HttpRequest) -> HttpResponse:
    """Tái sử dụng giấy tờ trong kho của công dân tại quầy: find the person's account, show the
    documents of *their* store that fit the procedure's components, record their consent, and go
    back to the receipt form with the references (``core.counter_documents``)."""
    from chinhquyenso.core.counter_documents import PARAM
    from chinhquyenso.procedures.models import ProcedureStatus

    user = request.user
    code = (request.POST.get("thu_tuc") or request.GET.get("thu_tuc") or "").strip()[:40]
    procedure = Procedure.objects.filter(code=code, status=ProcedureStatus.PUBLIC).first() if code else None
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    receive_url = f"{reverse('dossiers:receive')}?{urlencode({'thu_tuc': procedure.code})}"
    find = CounterFindForm(request.POST if request.method == "POST" else (request.GET if "ma" in request.GET
                                                                          else None))
    context: dict[str, Any] = {"procedure": procedure, "find": find, "receive_url": receive_url,
                               "citizen": None, "form": None}
    citizen = selectors.citizen_find_for_counter(find.cleaned_data["ma"]) if find.is_valid() else None
    if find.is_bound and find.is_valid() and citizen is None:
        context["not_found"] = True
        return render(request, "citizens/counter_reuse.html", context, status=404 if request.method == "GET" else 400)
    if citizen is None:
        return render(request, "citizens/counter_reuse.html", context, status=400 if find.is_bound else 200)
    components = [c for c in procedure.components.order_by("order", "id") if c.document_type]
    offers = [(c, list(selectors.citizen_documents_for_component(citizen, c))) for c in components]
    offers = [(c, docs) for c, docs in offers if docs]
    agencies = _counter_desks(user, procedure)
    form = CounterConsentForm(request.POST if request.method == "POST" else None, offers=offers, agencies=agencies)
    context.update(citizen=citizen, form=form, offers=offers)
    if request.method == "POST":
        if form.is_valid():
            agency = next(a for a in agencies if a.pk == form.cleaned_data["agency"])
            try:
                consents = services.document_reuse_consents_record(
                    officer=user, agency=agency, citizen=citizen,
                    selections=[services.ReuseSelection(procedure_component=c, document=d)
                                for c, d in form.selections()],
                    method=form.cleaned_data["method"], purpose=form.cleaned_data["purpose"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã ghi nhận sự đồng ý tái sử dụng %(n)d giấy tờ của công dân.")
                                 % {"n": len(consents)})
                refs = [("thu_tuc", procedure.code), *[(PARAM, f"citizens:{c.pk}") for c in consents]]
                return redirect(f"{reverse('dossiers:receive')}?{urlencode(refs)}")
        return render(request, "citizens/counter_reuse.html", context, status=400)
    return render(request, "citizens/counter_reuse.html", context)

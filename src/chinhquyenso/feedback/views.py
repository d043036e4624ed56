"""PAKN pages. Server-rendered, no JavaScript needed: every action is a plain form (POST, then redirect).

* Public: published answers (no personal data), tracking by code, the submission form (with or
  without an account).
* Citizen: "Phản ánh của tôi", one petition with its reply, rating, more information, raising again.
* Officer: the inbox with due colours and filters, one petition with a form per allowed action.

Views only parse and call one service; a domain error is shown on the form and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chinhquyenso.accounts.decorators import officer_required
from chinhquyenso.accounts.models import User
from chinhquyenso.core.errors import DomainError, NotFound
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.feedback import forms as f
from chinhquyenso.feedback import rules, selectors, services
from chinhquyenso.feedback.models import AttachmentPurpose, Petition, PetitionAttachment, PetitionStatus
from chinhquyenso.feedback.workflow import Action, allowed_actions, is_submitter
from chinhquyenso.files.responses import file_response
from chinhquyenso.procedures.models import Procedure
from chinhquyenso.workdays.calendar import get_calendar

INBOX_PAGE = 50
PUBLIC_PAGE = 20
SESSION_LAST_CODE = "feedback_submitted_code"

#: URL slugs of the actions (Vietnamese, like the rest of the site).
OFFICER_SLUGS: dict[str, Action] = {
    "phan-loai": Action.CLASSIFY,
    "phan-cong": Action.ASSIGN,
    "chuyen": Action.TRANSFER,
    "yeu-cau-bo-sung": Action.REQUEST_INFO,
    "bo-sung": Action.SUPPLY_INFO,
    "tu-choi": Action.REFUSE,
    "tra-loi": Action.ANSWER,
    "cong-khai": Action.PUBLISH,
}
CITIZEN_SLUGS: dict[str, Action] = {
    "danh-gia": Action.RATE,
    "bo-sung": Action.SUPPLY_INFO,
    "phan-anh-lai": Action.REOPEN,
}


def _status_for(exc: DomainError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


# --- Public ------------------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Kết quả trả lời PAKN đã công khai: only the texts the leader published, never who sent it."""
    form = f.PublicFilterForm(request.GET or None)
    filters: dict[str, str] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    rows = selectors.petitions_published(q=filters.get("q", ""), topic=filters.get("topic") or None)
    page = Paginator(rows, PUBLIC_PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/public_list.html", {
        "form": form, "page": page, "query": urlencode(filters), "filtered": bool(filters),
    })


@require_GET
def public_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        petition = selectors.petition_published_get(code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(request, "feedback/public_detail.html", {"petition": petition})


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """Tra cứu by code: status and dates only (the code alone proves nothing about who is asking)."""
    form = f.TrackForm(request.GET or None)
    tracking = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            tracking = selectors.petition_track(form.cleaned_data["code"])
        except NotFound as exc:
            form.add_error("code", exc.message)
            status = 404
    return render(request, "feedback/track.html", {"form": form, "tracking": tracking}, status=status)


def _lookup_procedure(code: str) -> Procedure | None:
    code = (code or "").strip()
    if not code:
        return None
    from chinhquyenso.procedures.selectors import procedure_get

    return procedure_get(code)


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """Gửi phản ánh, kiến nghị, with a citizen account or without one (then contact details are asked)."""
    user = request.user
    citizen = bool(user.is_authenticated and getattr(user, "is_citizen", False))
    if user.is_authenticated and not citizen:
        return render(request, "feedback/submit_officer.html", status=403)
    form = f.SubmitForm(request.POST or None, request.FILES or None, citizen=citizen)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if data.get("website"):
                form.add_error(None, _("Không gửi được phản ánh. Vui lòng thử lại."))
            else:
                try:
                    procedure = _lookup_procedure(data.get("procedure_code", ""))
                    dossier = None
                    if citizen and data.get("dossier_code"):
                        dossier = Dossier.objects.filter(code=data["dossier_code"].strip(), citizen_id=user.pk).first()
                        if dossier is None:
                            raise NotFound(_("Không tìm thấy hồ sơ của bạn với mã này."), code="dossier_not_found")
                    petition = services.petition_submit(
                        actor=user if citizen else None, title=data["title"], content=data["content"],
                        topic=data["topic"], agency=data["agency"], procedure=procedure, dossier=dossier,
                        contact=services.ContactInput(
                            name=data.get("contact_name", ""), phone=data.get("contact_phone", ""),
                            email=data.get("contact_email", ""), address=data.get("contact_address", ""),
                        ),
                        uploads=f.upload_from(data.get("attachment")),
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    status = _status_for(exc)
                else:
                    request.session[SESSION_LAST_CODE] = petition.code
                    return redirect("feedback:submitted")
    return render(request, "feedback/submit.html", {"form": form, "citizen": citizen}, status=status)


@require_GET
def submitted(request: HttpRequest) -> HttpResponse:
    """The code to keep, read from the session of whoever just submitted (nothing in the URL)."""
    code = request.session.get(SESSION_LAST_CODE)
    if not code:
        return redirect("feedback:submit")
    return render(request, "feedback/submitted.html", {"code": code})


def _attachment_allowed(user: Any, attachment: PetitionAttachment) -> bool:
    petition = attachment.petition
    if is_submitter(user, petition):
        return True
    return selectors.petition_visible_queryset(user).filter(pk=petition.pk).exists()


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The submitter or an officer in scope; anyone else gets 404 (existence is not revealed)."""
    attachment = PetitionAttachment.objects.select_related("petition", "file").filter(pk=attachment_id).first()
    if attachment is None or not _attachment_allowed(request.user, attachment):
        raise Http404(_("Không tìm thấy tệp."))
    return file_response(attachment.file, download_name=attachment.name)


# --- Citizen -----------------------------------------------------------------------------------


def _own(request: HttpRequest, code: str) -> Petition:
    petition = selectors.petitions_of_submitter(request.user).select_related(
        "procedure", "rule_set", "follow_up_of").filter(code=code).first()
    if petition is None:
        raise Http404(_("Không tìm thấy phản ánh, kiến nghị."))
    return petition


@login_required
@require_GET
def my_list(request: HttpRequest) -> HttpResponse:
    """Phản ánh của tôi."""
    page = Paginator(selectors.petitions_of_submitter(request.user), PUBLIC_PAGE).get_page(request.GET.get("page"))
    return render(request, "feedback/my_list.html", {"page": page})


def _citizen_forms(petition: Petition, user: Any, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    allowed = set(allowed_actions(user, petition))
    bound = bound or {}
    result: dict[str, Any] = {}
    if Action.RATE in allowed:
        result["rate"] = bound.get("danh-gia") or f.RateForm(auto_id="id_rate_%s")
    if Action.SUPPLY_INFO in allowed:
        result["supply"] = bound.get("bo-sung") or f.SupplyInfoForm(initial={"version": petition.version},
                                                                    auto_id="id_supply_%s")
    if Action.REOPEN in allowed:
        result["reopen"] = bound.get("phan-anh-lai") or f.ReopenForm(auto_id="id_reopen_%s")
    return result


def _citizen_page(request: HttpRequest, petition: Petition, *, bound: dict[str, forms.Form] | None = None,
                  status: int = 200) -> HttpResponse:
    events = [e for e in selectors.petition_events(petition) if e.kind in selectors.SUBMITTER_EVENTS]
    return render(request, "feedback/my_detail.html", {
        "petition": petition,
        "events": [(e, selectors.event_label(e.kind)) for e in events],
        "forms": _citizen_forms(petition, request.user, bound),
        "attachments": petition.attachments.select_related("file").all(),
        "my_rating": petition.ratings.filter(rater_id=request.user.pk).first(),
        "follow_ups": list(petition.follow_ups.all()),
    }, status=status)


@login_required
@require_GET
def my_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _citizen_page(request, _own(request, code))


@login_required
@require_POST
def my_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in CITIZEN_SLUGS:
        raise Http404(_("Không có thao tác này."))
    petition = _own(request, code)
    user = request.user
    form: forms.Form
    call: Callable[[], Any]
    if action == "danh-gia":
        form = f.RateForm(request.POST, auto_id="id_rate_%s")
    elif action == "bo-sung":
        form = f.SupplyInfoForm(request.POST, request.FILES, auto_id="id_supply_%s")
    else:
        form = f.ReopenForm(request.POST, auto_id="id_reopen_%s")
    if not form.is_valid():
        return _citizen_page(request, petition, bound={action: form}, status=400)
    data = form.cleaned_data
    if action == "danh-gia":
        def call() -> Any:
            return services.petition_rate(petition=petition, actor=user, value=data["value"],
                                          comment=data.get("comment", ""))
        done = _("Cảm ơn bạn đã đánh giá kết quả trả lời.")
    elif action == "bo-sung":
        def call() -> Any:
            return services.petition_supply_info(petition=petition, actor=user, content=data["content"],
                                                 uploads=f.upload_from(data.get("attachment")),
                                                 expected_version=data.get("version"))
        done = _("Đã gửi thông tin bổ sung.")
    else:
        def call() -> Any:
            return services.petition_reopen(petition=petition, actor=user, content=data["content"])
        done = _("Đã gửi phản ánh lại.")
    try:
        result = call()
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _citizen_page(request, petition, bound={action: form}, status=_status_for(exc))
    messages.success(request, done)
    target = result.code if isinstance(result, Petition) and result.pk != petition.pk else petition.code
    return redirect("feedback:my_detail", code=target)


# --- Officer -----------------------------------------------------------------------------------


@officer_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Hộp PAKN: what the officer's agencies must answer, the most urgent first."""
    form = f.InboxFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    rows = selectors.petition_inbox(
        request.user, status=filters.get("status") or None, topic=filters.get("topic") or None,
        due=filters.get("due") or None, q=filters.get("q", ""), assigned_to_me=bool(filters.get("mine")),
    )
    page = Paginator(rows, INBOX_PAGE).get_page(request.GET.get("page"))
    cal = get_calendar()
    today = timezone.localdate()
    items = [
        (p, selectors.due_state(p, today=today, cal=cal), selectors.current_due(p),
         selectors.working_days_left(p, today=today, cal=cal))
        for p in page.object_list
    ]
    query = urlencode({k: ("1" if v is True else v) for k, v in filters.items()})
    return render(request, "feedback/inbox.html", {
        "form": form, "page": page, "items": items, "query": query, "filtered": bool(filters),
    })


def _officer_petition(request: HttpRequest, code: str) -> Petition:
    try:
        return selectors.petition_get_for_officer(request.user, code)
    except NotFound:
        raise Http404(_("Không tìm thấy phản ánh, kiến nghị.")) from None


def _assign_choices(petition: Petition) -> list[tuple[str, str]]:
    return [(str(u.pk), str(u.display_name)) for u in selectors.assignee_candidates(petition)]


def _officer_form(action: Action, petition: Petition, data: Any = None, files: Any = None) -> forms.Form:
    initial: dict[str, Any] = {"version": petition.version}
    auto_id = f"id_{action}_%s"  # several forms on one page: unique ids for the labels
    if action == Action.CLASSIFY:
        initial.update(classification=petition.effective_topic,
                       procedure_code=petition.procedure.code if petition.procedure else "",
                       dossier_code=petition.dossier.code if petition.dossier else "")
        return f.ClassifyForm(data, initial=initial, auto_id=auto_id)
    if action == Action.ASSIGN:
        if petition.assignee_id:
            initial["assignee"] = str(petition.assignee_id)
        return f.AssignForm(data, initial=initial, auto_id=auto_id, candidates=_assign_choices(petition))
    if action == Action.TRANSFER:
        return f.TransferForm(data, initial=initial, auto_id=auto_id, exclude_agency_id=petition.agency_id)
    if action == Action.REQUEST_INFO:
        return f.RequestInfoForm(data, initial=initial, auto_id=auto_id)
    if action == Action.SUPPLY_INFO:
        return f.SupplyInfoForm(data, files, initial=initial, auto_id=auto_id)
    if action == Action.REFUSE:
        return f.RefuseForm(data, initial=initial, auto_id=auto_id)
    if action == Action.ANSWER:
        initial["publish"] = True
        return f.AnswerForm(data, files, initial=initial, auto_id=auto_id)
    if action == Action.PUBLISH:
        initial.update(public_question=petition.public_question or petition.title,
                       public_answer=petition.public_answer or petition.answer)
        return f.PublishForm(data, initial=initial, auto_id=auto_id)
    raise Http404(_("Không có thao tác này."))


def _officer_page(request: HttpRequest, petition: Petition, *, bound: tuple[Action, forms.Form] | None = None,
                  status: int = 200) -> HttpResponse:
    user = request.user
    slug_of = {a: s for s, a in OFFICER_SLUGS.items()}
    action_forms = []
    for name in allowed_actions(user, petition):
        action = Action(name)
        if action not in slug_of:
            continue
        form = bound[1] if bound and bound[0] == action else _officer_form(action, petition)
        action_forms.append({"action": str(action), "slug": slug_of[action], "form": form,
                             "label": _ACTION_LABELS[action], "multipart": action in _MULTIPART})
    cal = get_calendar()
    today = timezone.localdate()
    return render(request, "feedback/officer_detail.html", {
        "petition": petition,
        "events": [(e, selectors.event_label(e.kind)) for e in selectors.petition_events(petition)],
        "attachments": petition.attachments.select_related("file").all(),
        "action_forms": action_forms,
        "due_state": selectors.due_state(petition, today=today, cal=cal),
        "late_reasons": [rules.LATE_REASON_LABELS[r] for r in rules.late_reasons(petition, today, cal=cal)],
        "AttachmentPurpose": AttachmentPurpose,
    }, status=status)


_ACTION_LABELS = {
    Action.CLASSIFY: gettext_lazy("Phân loại"),
    Action.ASSIGN: gettext_lazy("Phân công xử lý"),
    Action.TRANSFER: gettext_lazy("Chuyển cơ quan có thẩm quyền"),
    Action.REQUEST_INFO: gettext_lazy("Yêu cầu bổ sung thông tin"),
    Action.SUPPLY_INFO: gettext_lazy("Ghi nhận thông tin bổ sung"),
    Action.REFUSE: gettext_lazy("Từ chối tiếp nhận"),
    Action.ANSWER: gettext_lazy("Trả lời"),
    Action.PUBLISH: gettext_lazy("Công khai kết quả trả lời"),
}
_MULTIPART = frozenset({Action.SUPPLY_INFO, Action.ANSWER})


@officer_required
@require_GET
def officer_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _officer_page(request, _officer_petition(request, code))


def _run_officer_action(action: Action, petition: Petition, user: Any, data: dict[str, Any]) -> Petition:
    common = {"petition": petition, "actor": user, "expected_version": data.get("version")}
    if action == Action.CLASSIFY:
        procedure = _lookup_procedure(data.get("procedure_code", ""))
        dossier = None
        if data.get("dossier_code"):
            dossier = Dossier.objects.filter(code=data["dossier_code"].strip()).first()
            if dossier is None:
                raise NotFound(_("Không tìm thấy hồ sơ với mã này."), code="dossier_not_found")
        return services.petition_classify(classification=data["classification"], procedure=procedure,
                                          dossier=dossier, **common)
    if action == Action.ASSIGN:
        assignee = User.objects.filter(pk=int(data["assignee"])).first()
        return services.petition_assign(assignee=assignee, note=data.get("note", ""), **common)
    if action == Action.TRANSFER:
        return services.petition_transfer(to_agency=data["to_agency"], reason=data["reason"], **common)
    if action == Action.REQUEST_INFO:
        return services.petition_request_info(message=data["message"], **common)
    if action == Action.SUPPLY_INFO:
        return services.petition_supply_info(content=data["content"], uploads=f.upload_from(data.get("attachment")),
                                             **common)
    if action == Action.REFUSE:
        return services.petition_refuse(reason=data["reason"], **common)
    if action == Action.ANSWER:
        return services.petition_answer(answer=data["answer"], publish=bool(data.get("publish")),
                                        uploads=f.upload_from(data.get("attachment")), **common)
    return services.petition_publish(public_question=data["public_question"], public_answer=data["public_answer"],
                                     **common)


_DONE = {
    Action.CLASSIFY: gettext_lazy("Đã phân loại phản ánh."),
    Action.ASSIGN: gettext_lazy("Đã phân công xử lý."),
    Action.TRANSFER: gettext_lazy("Đã chuyển phản ánh đến cơ quan có thẩm quyền."),
    Action.REQUEST_INFO: gettext_lazy("Đã gửi yêu cầu bổ sung thông tin."),
    Action.SUPPLY_INFO: gettext_lazy("Đã ghi nhận thông tin bổ sung."),
    Action.REFUSE: gettext_lazy("Đã từ chối tiếp nhận phản ánh."),
    Action.ANSWER: gettext_lazy("Đã trả lời phản ánh."),
    Action.PUBLISH: gettext_lazy("Đã công khai kết quả trả lời."),
}


@officer_required
@require_POST
def officer_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in OFFICER_SLUGS:
        raise Http404(_("Không có thao tác này."))
    what = OFFICER_SLUGS[action]
    petition = _officer_petition(request, code)
    form = _officer_form(what, petition, request.POST, request.FILES)
    if not form.is_valid():
        return _officer_page(request, petition, bound=(what, form), status=400)
    try:
        updated = _run_officer_action(what, petition, request.user, form.cleaned_data)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _officer_page(request, petition, bound=(what, form), status=_status_for(exc))
    messages.success(request, _DONE[what])
    if updated.status == PetitionStatus.TRANSFERRED and not selectors.petition_visible_queryset(
        request.user
    ).filter(pk=updated.pk).exists():
        return redirect(reverse("feedback:inbox"))  # it left the officer's scope
    return redirect("feedback:officer_detail", code=updated.code)

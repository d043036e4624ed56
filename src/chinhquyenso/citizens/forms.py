"""Web forms of the citizen side (Vietnamese labels and errors; they only parse, services decide)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chinhquyenso.accounts.views import LoginForm, OtpCodeForm
from chinhquyenso.citizens.models import CitizenDocument, ComponentSource, SubmissionDraft
from chinhquyenso.procedures.models import Procedure, ProcedureComponent, ServiceLevel
from chinhquyenso.units.models import Agency

__all__ = ["OtpCodeForm"]


class CitizenLoginForm(LoginForm):
    """User name = the e-mail address or phone number given at registration."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Thư điện tử hoặc số điện thoại")

    def clean_username(self) -> str:
        value = (self.cleaned_data.get("username") or "").strip()
        if "@" in value:
            return value.lower()
        compact = re.sub(r"[\s.\-()]", "", value)
        return compact if re.fullmatch(r"\+?[0-9]{9,15}", compact) else value


class RegisterForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=200,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    identifier = forms.CharField(
        label=_("Thư điện tử hoặc số điện thoại"), max_length=254,
        help_text=_("Dùng để đăng nhập và nhận thông báo về hồ sơ."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Mật khẩu"), strip=False,
        help_text=_("Ít nhất 12 ký tự, không quá phổ biến, không chỉ gồm chữ số."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Hai mật khẩu không khớp nhau."))
        return data


class RatingForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("Mức độ hài lòng"), widget=forms.RadioSelect, coerce=lambda v: v == "1",
        choices=[("1", _("Hài lòng")), ("0", _("Không hài lòng"))],
        error_messages={"required": _("Vui lòng chọn hài lòng hoặc không hài lòng.")},
    )
    comment = forms.CharField(label=_("Ý kiến (không bắt buộc)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Lý do rút hồ sơ"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentUploadForm(forms.Form):
    name = forms.CharField(label=_("Tên giấy tờ"), max_length=500)
    document_type = forms.ChoiceField(label=_("Loại giấy tờ"), required=False)
    file = forms.FileField(label=_("Tệp (PDF, JPEG, PNG)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
    valid_until = forms.DateField(label=_("Có giá trị đến (nếu có)"), required=False,
                                  input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, document_types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_type"].choices = [("", _("Khác")), *document_types]  # type: ignore[attr-defined]


def component_field(pc: ProcedureComponent, suffix: str) -> str:
    return f"c{pc.pk}_{suffix}"


class SubmissionForm(forms.Form):
    """Applicant (prefilled from the account), receiving agency, summary, and per component:
    how it is provided (upload / a store document / paper when the procedure allows it)."""

    applicant_name = forms.CharField(label=_("Họ và tên người nộp (chủ hồ sơ)"), max_length=255, required=False)
    applicant_id_number = forms.CharField(label=_("Số định danh cá nhân (CCCD)"), max_length=20, required=False)
    applicant_phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    applicant_email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=500, required=False)
    agency = forms.ChoiceField(label=_("Nơi tiếp nhận, giải quyết hồ sơ"), required=False)
    summary = forms.CharField(label=_("Nội dung yêu cầu (trích yếu)"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        procedure: Procedure,
        agencies: list[Agency],
        components: list[ProcedureComponent],
        documents: dict[int, list[CitizenDocument]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.components = components
        self.fields["agency"].choices = [("", _("— Chọn nơi nộp —")), *[(str(a.pk), a.name) for a in agencies]]  # type: ignore[attr-defined]
        paper_allowed = procedure.service_level != ServiceLevel.FULL_ONLINE
        for pc in components:
            choices = [(ComponentSource.UPLOAD.value, _("Tải tệp lên"))]
            docs = documents.get(pc.pk, [])
            if docs:
                choices.append((ComponentSource.STORE.value, _("Dùng giấy tờ trong kho của tôi")))
            if paper_allowed:
                choices.append((ComponentSource.PAPER.value, _("Nộp bản giấy khi nhận kết quả")))
            if not pc.required:
                choices.insert(0, ("", _("Không nộp")))
            self.fields[component_field(pc, "source")] = forms.ChoiceField(
                label=pc.name, choices=choices, required=False, widget=forms.RadioSelect,
            )
            self.fields[component_field(pc, "file")] = forms.FileField(
                label=_("Tệp"), required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
            )
            if docs:
                self.fields[component_field(pc, "document")] = forms.ChoiceField(
                    label=_("Giấy tờ trong kho"), required=False,
                    choices=[(str(d.pk), d.name) for d in docs],
                )

    def clean_agency(self) -> str:
        return str(self.cleaned_data.get("agency") or "")

    @staticmethod
    def initial_for(draft: SubmissionDraft | None, user: Any, agencies: list[Agency]) -> dict[str, Any]:
        if draft is None:
            return {
                "applicant_name": getattr(user, "display_name", ""),
                "applicant_phone": getattr(user, "phone", ""),
                "applicant_email": getattr(user, "email", ""),
                "agency": str(agencies[0].pk) if len(agencies) == 1 else "",
            }
        initial: dict[str, Any] = {
            "applicant_name": draft.applicant_name, "applicant_id_number": draft.applicant_id_number,
            "applicant_phone": draft.applicant_phone, "applicant_email": draft.applicant_email,
            "applicant_address": draft.applicant_address, "summary": draft.summary,
            "agency": str(draft.agency_id or ""),
        }
        for row in draft.components.all():
            initial[f"c{row.procedure_component_id}_source"] = row.source
            if row.document_id:
                initial[f"c{row.procedure_component_id}_document"] = str(row.document_id)
        return initial


# --- Reuse at the one-stop counter (officer page) ------------------------------------------------


class CounterFindForm(forms.Form):
    ma = forms.CharField(
        label=_("Số định danh cá nhân (VNeID), số điện thoại hoặc thư điện tử của công dân"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Vui lòng nhập số định danh, số điện thoại hoặc thư điện tử của công dân.")},
    )


class CounterConsentForm(forms.Form):
    """One radio group per component (``tp_<id>``: a document of *this* citizen's store, or none),
    the consent and how it was given. The choices are the citizen's own valid documents only, so
    another citizen's document id is "not a valid choice" here and refused again by the service."""

    METHODS = [("signed", _("Công dân ký xác nhận đồng ý")), ("verbal", _("Công dân đồng ý trực tiếp tại quầy"))]

    agency = forms.TypedChoiceField(label=_("Nơi tiếp nhận"), coerce=int)
    method = forms.ChoiceField(label=_("Hình thức đồng ý"), choices=METHODS, initial="signed",
                               widget=forms.RadioSelect)
    purpose = forms.CharField(label=_("Mục đích (để trống: tái sử dụng cho thành phần hồ sơ)"), max_length=500,
                              required=False)
    agreed = forms.BooleanField(
        label=_("Công dân đã đồng ý cho cơ quan tái sử dụng các giấy tờ được chọn cho hồ sơ này"),
        error_messages={"required": _("Cần có sự đồng ý của công dân trước khi tái sử dụng giấy tờ.")},
    )

    def __init__(self, *args: Any, offers: list[tuple[ProcedureComponent, list[CitizenDocument]]],
                 agencies: list[Agency], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        agency_field: Any = self.fields["agency"]
        agency_field.choices = [(a.pk, a.name) for a in agencies]
        if agencies:
            agency_field.initial = agencies[0].pk
        self.offers = offers
        self.documents: dict[str, CitizenDocument] = {}
        for component, docs in offers:
            for doc in docs:
                self.documents[str(doc.pk)] = doc
            self.fields[f"tp_{component.pk}"] = forms.ChoiceField(
                label=component.name, required=False, widget=forms.RadioSelect,
                choices=[("", _("Không dùng")), *[(str(d.pk), d.name) for d in docs]],
                error_messages={"invalid_choice": _("Không tìm thấy giấy tờ này trong kho của công dân.")},
            )

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for component, docs in self.offers:
            bound = self[f"tp_{component.pk}"]
            rows.append({"component": component, "field": bound,
                         "choices": list(zip(bound.subwidgets, [None, *docs], strict=True))})
        return rows

    def selections(self) -> list[tuple[ProcedureComponent, CitizenDocument]]:
        chosen = []
        for component, _docs in self.offers:
            value = self.cleaned_data.get(f"tp_{component.pk}") or ""
            if value:
                chosen.append((component, self.documents[value]))
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(data.get(f"tp_{c.pk}") for c, _docs in self.offers):
            self.add_error(None, _("Vui lòng chọn ít nhất một giấy tờ để tái sử dụng."))
        return data

"""HTML forms for the PAKN pages. They only parse input; the services decide and validate the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chinhquyenso.feedback.models import PetitionStatus, RatingValue, Topic
from chinhquyenso.feedback.selectors import DUE_FILTERS
from chinhquyenso.feedback.services import UploadInput
from chinhquyenso.files.services import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from chinhquyenso.units.models import Agency

_TEXTAREA = {"rows": 6}
_ACCEPT = {"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}


def agencies_in_force() -> Any:
    today = timezone.localdate()
    return Agency.objects.filter(valid_from__lte=today).exclude(valid_to__lt=today).select_related("unit").order_by(
        "unit__level", "name"
    )


class _AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def upload_from(field: UploadedFile | None) -> list[UploadInput]:
    """One optional uploaded file as the services' input (the files app checks type and content)."""
    if not field:
        return []
    return [UploadInput(content=field.read(), filename=field.name or "tep")]


class _FileMixin:
    def clean_attachment(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("attachment")  # type: ignore[attr-defined]
        if upload and upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa %(mb)s MB).") % {"mb": f"{MAX_UPLOAD_MB:g}"})
        return upload


class SubmitForm(_FileMixin, forms.Form):
    """Gửi phản ánh, kiến nghị. ``website`` is a honeypot: hidden from people, filled by bots."""

    topic = forms.ChoiceField(label=_("Phản ánh về"), choices=Topic.choices, widget=forms.RadioSelect,
                              initial=Topic.REGULATION)
    agency = _AgencyChoice(label=_("Cơ quan tiếp nhận"), queryset=Agency.objects.none(),
                           empty_label=_("— Chọn cơ quan —"))
    procedure_code = forms.CharField(label=_("Mã thủ tục hành chính (nếu có)"), required=False, max_length=40)
    dossier_code = forms.CharField(label=_("Mã hồ sơ của bạn (nếu có)"), required=False, max_length=60)
    title = forms.CharField(label=_("Tiêu đề"), max_length=300)
    content = forms.CharField(label=_("Nội dung phản ánh, kiến nghị"), max_length=8000,
                              widget=forms.Textarea(attrs=_TEXTAREA))
    attachment = forms.FileField(label=_("Tệp đính kèm (PDF, JPEG, PNG)"), required=False,
                                 widget=forms.ClearableFileInput(attrs=_ACCEPT))
    contact_name = forms.CharField(label=_("Họ và tên"), required=False, max_length=200)
    contact_phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=20)
    contact_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    contact_address = forms.CharField(label=_("Địa chỉ"), required=False, max_length=500)
    website = forms.CharField(label=_("Để trống ô này"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args: Any, citizen: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.citizen = citizen
        self.fields["agency"].queryset = agencies_in_force()  # type: ignore[attr-defined]
        if not citizen:
            del self.fields["dossier_code"]
            self.fields["contact_name"].required = True
            self.fields["contact_phone"].help_text = _("Cần số điện thoại hoặc thư điện tử để nhận trả lời.")


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(label=_("Trạng thái"), required=False,
                               choices=[("", _("Tất cả")), *PetitionStatus.choices])
    topic = forms.ChoiceField(label=_("Phân loại"), required=False, choices=[("", _("Tất cả")), *Topic.choices])
    due = forms.ChoiceField(label=_("Hạn xử lý"), required=False, choices=[
        ("", _("Tất cả")), ("late", _("Quá hạn")), ("soon", _("Sắp đến hạn")), ("open", _("Đang xử lý")),
    ])
    mine = forms.BooleanField(label=_("Chỉ phản ánh giao cho tôi"), required=False)

    def clean_due(self) -> str:
        value = self.cleaned_data.get("due") or ""
        return value if value in DUE_FILTERS else ""


class PublicFilterForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    topic = forms.ChoiceField(label=_("Phân loại"), required=False, choices=[("", _("Tất cả")), *Topic.choices])


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Mã phản ánh"), max_length=40,
                           widget=forms.TextInput(attrs={"placeholder": "PAKN-260302-0001"}))


# --- Action forms: each carries the version it was shown with (optimistic concurrency) ----------


class _ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class ClassifyForm(_ActionForm):
    classification = forms.ChoiceField(label=_("Phân loại"), choices=Topic.choices)
    procedure_code = forms.CharField(label=_("Mã thủ tục hành chính liên quan"), required=False, max_length=40)
    dossier_code = forms.CharField(label=_("Mã hồ sơ liên quan"), required=False, max_length=60)


class AssignForm(_ActionForm):
    assignee = forms.ChoiceField(label=_("Cán bộ xử lý"))
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=1000)

    def __init__(self, *args: Any, candidates: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = candidates or []  # type: ignore[attr-defined]


class TransferForm(_ActionForm):
    to_agency = _AgencyChoice(label=_("Chuyển đến cơ quan"), queryset=Agency.objects.none(),
                              empty_label=_("— Chọn cơ quan —"))
    reason = forms.CharField(label=_("Lý do chuyển"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, exclude_agency_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = agencies_in_force().exclude(pk=exclude_agency_id)  # type: ignore[attr-defined]


class RequestInfoForm(_ActionForm):
    message = forms.CharField(label=_("Thông tin cần bổ sung"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class SupplyInfoForm(_FileMixin, _ActionForm):
    content = forms.CharField(label=_("Thông tin bổ sung"), max_length=8000, widget=forms.Textarea(attrs=_TEXTAREA))
    attachment = forms.FileField(label=_("Tệp đính kèm"), required=False,
                                 widget=forms.ClearableFileInput(attrs=_ACCEPT))


class RefuseForm(_ActionForm):
    reason = forms.CharField(label=_("Lý do từ chối"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(_FileMixin, _ActionForm):
    answer = forms.CharField(label=_("Nội dung trả lời"), max_length=8000, widget=forms.Textarea(attrs=_TEXTAREA))
    publish = forms.BooleanField(label=_("Công khai kết quả trả lời"), required=False, initial=True)
    attachment = forms.FileField(label=_("Văn bản trả lời (PDF)"), required=False,
                                 widget=forms.ClearableFileInput(attrs=_ACCEPT))


class PublishForm(_ActionForm):
    public_question = forms.CharField(label=_("Nội dung phản ánh công khai (không có thông tin cá nhân)"),
                                      max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    public_answer = forms.CharField(label=_("Nội dung trả lời công khai"), max_length=8000,
                                    widget=forms.Textarea(attrs=_TEXTAREA))


class RateForm(forms.Form):
    value = forms.ChoiceField(label=_("Bạn có hài lòng với kết quả trả lời?"), choices=RatingValue.choices,
                              widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Ý kiến (không bắt buộc)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    content = forms.CharField(label=_("Vì sao bạn phản ánh lại?"), max_length=8000,
                              widget=forms.Textarea(attrs=_TEXTAREA))

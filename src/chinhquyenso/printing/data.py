"""What the forms print: plain dataclasses, no Django models, so any app (dossiers, a CLI, a
test) can fill them from whatever it has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class AgencyInfo:
    """The issuing agency (cơ quan): ``name`` under ``parent_name`` (cơ quan chủ quản) on the
    left of the header; ``province_name`` is the place in the date line (địa danh)."""

    name: str
    parent_name: str = ""
    province_name: str = "An Giang"
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ComponentLine:
    """One submitted document (thành phần hồ sơ)."""

    name: str
    copy_type_label: str = "Bản chính"  # bản chính / bản sao / bản chụp / bản điện tử
    count: int = 1


@dataclass(frozen=True)
class FeeLine:
    """One fee or charge (phí, lệ phí) in đồng."""

    name: str
    amount_vnd: int | Decimal


@dataclass(frozen=True)
class DossierInfo:
    """A dossier as the forms show it. ``lookup_url`` goes into the QR code, ``code`` into the
    Code128 barcode. Datetimes may be aware (converted to Vietnam time) or naive (taken as local)."""

    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    received_at: datetime
    due_at: datetime | None
    channel_label: str
    components: Sequence[ComponentLine] = ()
    fees: Sequence[FeeLine] = ()
    lookup_url: str = ""
    officer_name: str = ""
    applicant_email: str = ""
    processing_time_label: str = ""  # "05 ngày làm việc"
    result_delivery_label: str = ""  # "Trung tâm Phục vụ hành chính công" / "Bưu chính công ích"
    set_count: int = 1  # số lượng hồ sơ (bộ)
    handling_agency_name: str = ""  # cơ quan chủ trì giải quyết


@dataclass(frozen=True)
class ControlRow:
    """One hand-over in Mẫu 06 (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    step_name: str
    from_party: str = ""
    to_party: str = ""
    handed_over_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    result_note: str = ""


@dataclass(frozen=True)
class RegisterRow:
    """One line of Mẫu 07 (Sổ theo dõi hồ sơ)."""

    code: str
    procedure_name: str
    applicant_name: str
    received_at: datetime
    due_at: datetime | None = None
    applicant_address: str = ""
    applicant_phone: str = ""
    handling_agency: str = ""
    set_count: int = 1
    transferred_at: datetime | None = None  # chuyển hồ sơ đến cơ quan giải quyết
    result_received_at: datetime | None = None  # nhận kết quả từ cơ quan giải quyết
    returned_at: datetime | None = None  # trả kết quả cho cá nhân, tổ chức
    note: str = ""


@dataclass(frozen=True)
class Signer:
    """Who signs a letter-type form (04, 05): ``title`` such as "GIÁM ĐỐC" or "KT. GIÁM ĐỐC"."""

    title: str = "THỦ TRƯỞNG CƠ QUAN"
    name: str = ""
    recipients: Sequence[str] = field(default_factory=lambda: ("Như trên", "Lưu: VT"))

"""Sample dossiers for the An Giang demo, made through the real services (events, audit, outbox).

Dossiers at UBND Xã An Phú in every state an officer meets: waiting at each step, waiting for a
supplement, late, finished, returned; and one online submission waiting for acceptance.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from reportlab.pdfgen import canvas

from chinhquyenso.accounts.models import User
from chinhquyenso.dossiers import services
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.dossiers.services import ApplicantInput, ComponentInput, ResultInput, UploadInput
from chinhquyenso.procedures.models import AuthorityLevel, Procedure
from chinhquyenso.units.models import Agency
from chinhquyenso.workdays.calendar import is_working_day

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNE_AGENCY = "H01.30337"  # UBND Xã An Phú
ROLE_USERS = {
    "one_stop_officer": "anphu.motcua",
    "processing_officer": "anphu.chuyenvien",
    "leader": "anphu.lanhdao",
}
APPLICANTS = [
    ("Nguyễn Văn An", "089201000101"), ("Trần Thị Bình", "089185000202"), ("Lê Văn Cường", "089190000303"),
    ("Phạm Thị Dung", "089195000404"), ("Huỳnh Văn Em", "089178000505"), ("Võ Thị Phượng", "089200000606"),
    ("Đặng Văn Giàu", "089188000707"), ("Bùi Thị Hạnh", "089199000808"), ("Ngô Văn Ích", "089170000909"),
    ("Dương Thị Kim", "089202001010"), ("Lý Văn Lộc", "089183001111"), ("Mai Thị Mận", "089197001212"),
]
# How far each sample goes: number of forwards, then "supplement", "finish" or "return".
PLANS = ["receive", "forward1", "forward2", "supplement", "finish", "return", "return", "return",
         "forward1", "late", "return", "receive"]


def _scan(title: str) -> UploadInput:
    """A small real PDF standing in for a scanned paper document."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.drawString(72, 760, title.encode("ascii", "ignore").decode() or "scan")
    pdf.save()
    return UploadInput(content=buffer.getvalue(), filename="ban-scan.pdf")


def _actor(role: str) -> User:
    return User.objects.get(username=ROLE_USERS.get(role, "anphu.chuyenvien"))


def _advance(dossier: Dossier, at: datetime) -> Dossier:
    step = dossier.current_step
    assert step is not None
    return services.dossier_forward(dossier=dossier, actor=_actor(step.role), at=at)


@transaction.atomic
def dossiers_load_demo(*, now: datetime | None = None) -> int:
    """Idempotent: does nothing when the demo agency already has dossiers."""
    agency = Agency.objects.filter(code=COMMUNE_AGENCY).first()
    if agency is None or Dossier.objects.filter(agency=agency).exists():
        return 0
    if not User.objects.filter(username=ROLE_USERS["one_stop_officer"]).exists():
        return 0
    procedures = list(
        Procedure.objects.filter(level=AuthorityLevel.COMMUNE, status="public")
        .prefetch_related("components", "process_versions__steps")
        .order_by("code")
    )
    procedures = [p for p in procedures if p.process_versions.exists()][: len(PLANS)]
    now = now or datetime.now(TZ)
    counter = _actor("one_stop_officer")
    made = 0
    for index, (procedure, plan) in enumerate(zip(procedures, PLANS, strict=False)):
        days_ago = 30 if plan == "late" else 14 - index
        at = (now - timedelta(days=days_ago)).replace(hour=8, minute=15 + index, second=0, microsecond=0)
        while not is_working_day(at.date()):  # counters are closed on days off
            at -= timedelta(days=1)
        name, id_number = APPLICANTS[index % len(APPLICANTS)]
        components = [
            ComponentInput(procedure_component=c, upload=_scan(c.name), digitized=True)
            for c in procedure.components.all() if c.required
        ]
        dossier = services.dossier_receive(
            actor=counter, procedure=procedure, agency=agency,
            applicant=ApplicantInput(name=name, id_number=id_number, phone="0912000" + f"{index:03d}",
                                     address="Xã An Phú, tỉnh An Giang"),
            components=components, summary=procedure.name, at=at,
        )
        made += 1
        hour = timedelta(hours=2)
        if plan in {"forward1", "forward2", "supplement", "finish", "return", "late"}:
            at += hour
            dossier = _advance(dossier, at)
        if plan in {"forward2", "finish", "return"}:
            while dossier.current_step is not None and "finish" not in (dossier.current_step.allowed_actions or []):
                at += hour
                dossier = _advance(dossier, at)
                if plan == "forward2":
                    break
        if plan == "supplement":
            at += hour
            dossier = services.dossier_request_supplement(
                dossier=dossier, actor=_actor(dossier.current_step.role if dossier.current_step else ""),
                reason="Bản sao chưa chứng thực", items=["Bản sao có chứng thực giấy tờ tùy thân"], at=at,
            )
        if plan in {"finish", "return"} and dossier.current_step is not None:
            at += hour
            dossier = services.dossier_finish(
                dossier=dossier, actor=_actor(dossier.current_step.role), at=at,
                results=[ResultInput(name=r.name, procedure_result=r, upload=_scan(r.name), signed=True)
                         for r in procedure.results.all()] or [ResultInput(name="Kết quả", upload=_scan("ket qua"))],
            )
        if plan == "return":
            at += hour
            dossier = services.dossier_return_result(dossier=dossier, actor=counter, at=at)
    citizen = User.objects.filter(username="congdan.demo").first()
    online = next((p for p in procedures if p.service_level != "direct_only"), None)
    if citizen is not None and online is not None:
        services.dossier_submit_online(
            actor=citizen, procedure=online, agency=agency,
            applicant=ApplicantInput(name=citizen.display_name, phone=citizen.phone, email=citizen.email,
                                     address="Xã An Phú, tỉnh An Giang"),
            components=[ComponentInput(procedure_component=c, upload=_scan(c.name))
                        for c in online.components.all() if c.required],
            summary=online.name, at=now - timedelta(hours=3),
        )
        made += 1
    return made

"""Shared helpers for the citizen tests (and the citizen browser journey): sample files, citizens
registered through the real service, an online dossier, and an officer taking it to its result."""

from __future__ import annotations

import io
from typing import Any

from django.test import Client
from PIL import Image
from reportlab.pdfgen import canvas

from chinhquyenso.accounts.models import User
from chinhquyenso.citizens import services as citizen_services
from chinhquyenso.citizens.models import CitizenDocument, DocumentOrigin
from chinhquyenso.dossiers import services as dossier_services
from chinhquyenso.dossiers.models import Dossier
from chinhquyenso.files.services import file_store
from tests.dossiers.factories import Province

PASSWORD = "Mat-khau-that-dai-2026!"


def make_pdf(text: str = "Giay to") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=True)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, format="PNG")
    return buf.getvalue()


def register(full_name: str, identifier: str) -> User:
    return citizen_services.citizen_register(full_name=full_name, identifier=identifier, password=PASSWORD)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def store_document(owner: User, *, document_type: str = "cccd", name: str = "Căn cước công dân",
                   content: bytes | None = None, **extra: Any) -> CitizenDocument:
    stored = file_store(content=content or make_pdf(name.encode("ascii", "replace").decode()), filename="cccd.pdf")
    return CitizenDocument.objects.create(owner=owner, document_type=document_type, name=name, file=stored,
                                          origin=extra.pop("origin", DocumentOrigin.UPLOAD), **extra)


def submit_online(world: Province, citizen: User, *, reuse: CitizenDocument | None = None) -> Dossier:
    """An online dossier through the citizen service: two uploads, optionally the ID reused."""
    tk, gcs, gttt = world.components
    choices = [
        citizen_services.ComponentChoice(procedure_component=tk, source="upload",
                                         file=file_store(content=make_pdf("To khai"), filename="tk.pdf")),
        citizen_services.ComponentChoice(procedure_component=gcs, source="upload",
                                         file=file_store(content=make_png(), filename="gcs.png")),
    ]
    if reuse is not None:
        choices.append(citizen_services.ComponentChoice(procedure_component=gttt, source="store", document=reuse))
    return citizen_services.citizen_submit(
        citizen=citizen, procedure=world.procedure, agency=world.ubnd_a,
        applicant=citizen_services.ApplicantData(name=citizen.display_name, id_number="089203001234",
                                                 phone="0987654321", email=citizen.email,
                                                 address="Ấp Phú Hiệp, xã An Phú"),
        summary="Đăng ký khai sinh cho con", choices=choices,
    )


def finish(world: Province, dossier: Dossier, *, returned: bool = False) -> Dossier:
    """An officer accepts the online dossier and takes it through the 4 steps to its result."""
    d = dossier_services.dossier_accept_online(dossier=dossier, actor=world.counter_a)
    d = dossier_services.dossier_forward(dossier=d, actor=world.counter_a, assignee=world.processor_a)
    d = dossier_services.dossier_forward(dossier=d, actor=world.processor_a)
    d = dossier_services.dossier_forward(dossier=d, actor=world.leader_a, assignee=world.processor_a)
    upload = dossier_services.UploadInput(make_pdf("Giay khai sinh"), "giay-khai-sinh.pdf")
    d = dossier_services.dossier_finish(dossier=d, actor=world.processor_a, results=[
        dossier_services.ResultInput(procedure_result=world.result, code="KS-01/2026", upload=upload, signed=True)])
    if returned:
        d = dossier_services.dossier_return_result(dossier=d, actor=world.counter_a)
    return d

"""Real sample files made on the fly: a reportlab PDF, Pillow PNG/JPEG, and hand-built bad PDFs."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image
from reportlab.pdfgen import canvas


def make_pdf(text: str = "Giấy khai sinh", *, encrypt: str | None = None) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=True, encrypt=encrypt)
    c.drawString(72, 720, text.encode("ascii", "replace").decode())
    c.showPage()
    c.save()
    return buf.getvalue()


def make_png(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def make_jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    buf = io.BytesIO()
    image = Image.effect_noise(size, 64).convert("RGB")  # noise: the entropy-coded data is long
    image.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def hand_pdf(*objects: bytes) -> bytes:
    """A small but well-formed PDF (header, objects, xref, trailer, %%EOF) around ``objects``."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


PAGES = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)


def pdf_with_open_action(action: bytes) -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    return hand_pdf(catalog, PAGES[1], PAGES[2], action)


def pdf_with_action_in_object_stream(action: bytes) -> bytes:
    """The action dictionary compressed inside an /ObjStm: invisible to a plain byte scan."""
    header = b"5 0 "
    payload = header + action
    packed = zlib.compress(payload)
    objstm = (b"<< /Type /ObjStm /N 1 /First " + str(len(header)).encode() + b" /Filter /FlateDecode /Length "
              + str(len(packed)).encode() + b" >>\nstream\n" + packed + b"\nendstream")
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"
    return hand_pdf(catalog, PAGES[1], PAGES[2], objstm)


@pytest.fixture
def pdf_bytes() -> bytes:
    return make_pdf()


@pytest.fixture
def png_bytes() -> bytes:
    return make_png()


@pytest.fixture
def jpeg_bytes() -> bytes:
    return make_jpeg()

"""Absolute URLs handed to a gateway: where it sends the citizen back, where it notifies us."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from chinhquyenso.payments.conf import callback_base_url


def callback_url(request: HttpRequest, gateway: str) -> str:
    """Where the gateway notifies us: the configured public address, else this request's."""
    path = reverse("api:payments_callback", kwargs={"gateway": gateway})
    base = callback_base_url()
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def return_url(request: HttpRequest, slug: str) -> str:
    """The page the citizen comes back to; it shows what the signed notification said, nothing else."""
    return request.build_absolute_uri(reverse("payments:bill_return", kwargs={"slug": slug}))

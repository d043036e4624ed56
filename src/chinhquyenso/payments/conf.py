"""Payment configuration, read from the environment (12-factor) with demo defaults.

It lives here, not in settings.py, so the payments app is self-contained. The defaults are a
demo: a made-up receiving account and the mock gateway on loopback. A province sets:

- ``CHINHQUYENSO_VIETQR_BANK_BIN`` (6 digits, NAPAS BIN of the bank holding the account),
  ``CHINHQUYENSO_VIETQR_ACCOUNT`` (receiving account), ``CHINHQUYENSO_VIETQR_ACCOUNT_NAME``,
  ``CHINHQUYENSO_VIETQR_BANK_NAME`` (shown on the pay page);
- per gateway ``NAME`` in ``local`` (the province's payment gateway, DuocThanhToanTrucTuyen = 2)
  and ``national`` (payment platform of the national portal, = 1):
  ``CHINHQUYENSO_PAYMENT_<NAME>_URL``, ``CHINHQUYENSO_PAYMENT_<NAME>_SECRET`` (HMAC key shared with
  the gateway), ``CHINHQUYENSO_PAYMENT_<NAME>_ENABLED`` (``1``/``0``);
- ``CHINHQUYENSO_PAYMENT_CALLBACK_BASE`` (optional): the address gateways call back, e.g.
  ``https://dichvucong.angiang.gov.vn``, when it differs from the address the citizen used;
- ``CHINHQUYENSO_RECEIPT_SERIES`` (ký hiệu biên lai, default ``BL`` + two-digit year).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from chinhquyenso.dossiers.models import OnlinePayment

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8790"
DEMO_SECRETS = {"local": "demo-local-gateway-secret", "national": "demo-national-gateway-secret"}


@dataclass(frozen=True)
class VietQrAccount:
    """Tài khoản thụ hưởng: where VietQR transfers go."""

    bank_bin: str
    account: str
    account_name: str
    bank_name: str


@dataclass(frozen=True)
class GatewayConfig:
    name: str
    label: str
    paid_online: int  # DuocThanhToanTrucTuyen recorded when a payment arrives through it
    base_url: str
    secret: str
    enabled: bool = True


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def vietqr_account() -> VietQrAccount:
    return VietQrAccount(
        bank_bin=_env("CHINHQUYENSO_VIETQR_BANK_BIN", "970415"),
        account=_env("CHINHQUYENSO_VIETQR_ACCOUNT", "113366668888"),
        account_name=_env("CHINHQUYENSO_VIETQR_ACCOUNT_NAME", "TRUNG TAM PHUC VU HANH CHINH CONG TINH AN GIANG"),
        bank_name=_env("CHINHQUYENSO_VIETQR_BANK_NAME", "VietinBank"),
    )


_GATEWAYS = (
    ("local", "Cổng thanh toán của tỉnh", OnlinePayment.LOCAL_GATEWAY),
    ("national", "Nền tảng thanh toán trên Cổng Dịch vụ công quốc gia", OnlinePayment.NATIONAL_PORTAL),
)


def gateway_configs() -> dict[str, GatewayConfig]:
    """Every known gateway, enabled or not, read now (tests change the environment)."""
    out: dict[str, GatewayConfig] = {}
    for name, label, paid_online in _GATEWAYS:
        key = name.upper()
        out[name] = GatewayConfig(
            name=name, label=label, paid_online=int(paid_online),
            base_url=_env(f"CHINHQUYENSO_PAYMENT_{key}_URL", DEFAULT_GATEWAY_URL).rstrip("/"),
            secret=_env(f"CHINHQUYENSO_PAYMENT_{key}_SECRET", DEMO_SECRETS[name]),
            enabled=_env(f"CHINHQUYENSO_PAYMENT_{key}_ENABLED", "1") == "1",
        )
    return out


def receipt_series(year: int) -> str:
    return _env("CHINHQUYENSO_RECEIPT_SERIES", f"BL{year % 100:02d}")


def callback_base_url() -> str:
    """Empty: build callback URLs from the request's own address."""
    return _env("CHINHQUYENSO_PAYMENT_CALLBACK_BASE", "").rstrip("/")

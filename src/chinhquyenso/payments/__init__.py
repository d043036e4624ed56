"""Thanh toán trực tuyến phí, lệ phí hồ sơ: bills, VietQR, payment gateways, reconciliation, e-receipts."""

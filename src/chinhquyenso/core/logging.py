"""Logging filters: a request id on every line, and no personal ID number ever written."""

from __future__ import annotations

import logging

from chinhquyenso.core.middleware import current_request_id
from chinhquyenso.core.text import mask_id_numbers_in


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class MaskPersonalIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_id_numbers_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

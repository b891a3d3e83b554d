"""Logging filters (config/settings.py LOGGING)."""

from __future__ import annotations

import logging


class RefusalsAsOneLine(logging.Filter):
    """A refused request — a 4xx: 403, 404, a suspicious request's 400 — is one WARNING line.

    Django logs a PermissionDenied or a 404 with the exception behind it, and a
    SuspiciousOperation (a bad Host header) as an ERROR with its traceback: the
    user was refused as intended, nothing failed. A 5xx keeps its level and traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno = logging.WARNING
                record.levelname = logging.getLevelName(logging.WARNING)
        return True

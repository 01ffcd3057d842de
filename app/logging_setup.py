"""Logging: one format, and PII masked on every handler (filters on handlers see child loggers)."""
from __future__ import annotations

import logging

from identity.pii import PiiMaskingFilter

_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    global _configured
    root = logging.getLogger()
    if not _configured:
        if not root.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
        root.setLevel(min(root.level or level, level))
        _configured = True
    for handler in root.handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())

"""Logging: one line per record, and PII masked on every handler (a filter on a handler sees the
records of child loggers; a filter on a logger would not)."""
from __future__ import annotations

import logging

from identity.pii import PiiMaskingFilter


def configure_logging(level: int = logging.INFO) -> None:
    """Call after sanic has configured its own loggers (it does so when an app is built)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
    handlers = list(root.handlers)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if name.startswith("sanic") and logger.handlers:
            logger.propagate = False  # sanic prints its own lines; don't print them twice
            handlers.extend(logger.handlers)
    for handler in handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())

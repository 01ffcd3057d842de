"""``python -m app worker``: the jobs consumer loop, for hosts that serve no HTTP."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from app.packages import job_registry
from app.providers import providers
from jobs.consumer import consume

log = logging.getLogger(__name__)


async def run_standalone(settings) -> None:
    ctx = SimpleNamespace(**providers(settings))
    registry = job_registry()
    log.info("worker started")
    try:
        await consume(registry, providers=ctx, settings=settings)
    finally:
        await ctx.webhook_http.aclose()

"""``python -m app worker``: the jobs consumer loop, for hosts that serve no HTTP.

SIGINT (Ctrl+C) and SIGTERM (systemd, docker stop) stop it quietly: the loop is cancelled, its
connections closed, and the process exits with status 0. A job cancelled mid-handling keeps its
lease and is claimed again when the lease ends (``jobs.outbox``)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from types import SimpleNamespace

from app.logging_setup import configure_logging
from app.packages import job_registry
from app.providers import providers
from jobs.consumer import consume

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_standalone(settings) -> None:
    configure_logging()
    ctx = SimpleNamespace(**providers(settings))
    registry = job_registry()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    consumer = asyncio.create_task(consume(registry, providers=ctx, settings=settings), name="consumer")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    log.info("worker started")
    try:
        await asyncio.wait({consumer, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if consumer.done():
            consumer.result()  # the loop ended by itself: its error, if any, is the command's
        else:
            log.info("worker stopping (signal)")
    finally:
        for task in (consumer, stopping):
            task.cancel()
        await asyncio.gather(consumer, stopping, return_exceptions=True)
        for signum in STOP_SIGNALS:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        await ctx.webhook_http.aclose()
        log.info("worker stopped")

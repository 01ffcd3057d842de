"""The one consumer loop every process runs (web workers unless SONGDA_SERVE_BACKGROUND=false,
and ``python -m app worker``): each tick, claim and handle every registered job type, then run the
periodic tasks that are due. Every job is claimed (``jobs.outbox.claim``), so any number of
processes on any number of hosts may run this loop at once."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta, timezone
from typing import Any

from jobs.outbox import claim
from jobs.registry import JobContext, JobRegistry, JobType

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0
BUSY_TICK_SECONDS = 0.05


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_batch(job_type: JobType, ctx: JobContext, *, limit: int | None = None,
                    claim_jobs=claim) -> tuple[int, int]:
    """Claim one batch of ``job_type`` and hand it to its handler: (jobs claimed, work done).
    ``claim_jobs`` has ``jobs.outbox.claim``'s signature (bench/outbox.py tries another)."""
    jobs = await claim_jobs(job_type.kind, worker_id=ctx.worker_id, now=ctx.now, lease=job_type.lease,
                            limit=limit or job_type.batch)
    if not jobs:
        return 0, 0
    return len(jobs), await job_type.handler(jobs, JobContext(ctx.providers, ctx.settings, ctx.worker_id,
                                                              ctx.now, job_type))


async def drain(job_type: JobType, ctx: JobContext) -> int:
    """One batch, or, with a ``budget``, full batches for up to that many seconds (work comes in
    bursts: one notice per SMS recipient of every new service)."""
    if not job_type.enabled(ctx.settings):
        return 0  # e.g. not configured: the jobs wait
    clock = asyncio.get_running_loop().time
    started = clock()
    done = 0
    while True:
        # Time moves on within a tick: later batches are claimed (and stamped) at their own time.
        claimed, batch_done = await run_batch(job_type, ctx.at(ctx.now + timedelta(seconds=clock() - started)))
        done += batch_done
        if claimed < job_type.batch or clock() - started >= job_type.budget:
            return done


async def run_once(registry: JobRegistry, ctx: JobContext, tick: int) -> bool:
    """One pass: every job type, then the periodic tasks due at ``tick``. True when an urgent job
    type got work done (more may be waiting: come back after a short tick). A failing step is
    logged and the others still run."""
    busy = False
    for job_type in registry.ordered_job_types():
        try:
            busy |= bool(await drain(job_type, ctx)) and job_type.urgent
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad row or a provider outage
            log.exception("%s jobs failed", job_type.kind.value)
    for task in registry.ordered_periodic():
        if tick % task.every:
            continue
        try:
            await task.run(ctx)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic task %s failed", task.name)
    return busy


async def consume(registry: JobRegistry, *, providers: Any, settings: Any, worker_id: str | None = None) -> None:
    """Run for ever (until cancelled)."""
    worker_id = worker_id or default_worker_id()
    tick = 0
    while True:
        busy = False
        try:
            busy = await run_once(registry, JobContext(providers, settings, worker_id, datetime.now(timezone.utc)),
                                  tick)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("consumer pass failed")
        tick += 1
        await asyncio.sleep(BUSY_TICK_SECONDS if busy else TICK_SECONDS)

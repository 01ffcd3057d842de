"""The consumer every process runs (web workers unless SONGDA_SERVE_BACKGROUND=false, and
``python -m app worker``). Each job type runs in its own lane, ``JobType.concurrency`` concurrent
tasks that claim and handle its batches, and each periodic task in its own: one slow or failing
external party (a court's webhook receiver, the SMS provider) holds up only its own lane, never
receipt sealing or the notices. Every job is claimed (``jobs.outbox.claim``), so any number of
processes on any number of hosts may run this at once. ``run_once`` is one sequential pass of
everything (tests, benches)."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta, timezone
from typing import Any

from jobs.outbox import claim
from jobs.registry import JobContext, JobRegistry, JobType, PeriodicTask

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


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def job_lane(job_type: JobType, *, providers: Any, settings: Any, worker_id: str) -> None:
    """One task of ``job_type``'s lane, for ever: drain, then wait a tick (a short one after an
    urgent type got work done). A failing pass is logged and the lane goes on."""
    while True:
        busy = False
        try:
            busy = bool(await drain(job_type, JobContext(providers, settings, worker_id, _now()))) and job_type.urgent
        except asyncio.CancelledError:
            raise
        except Exception:  # the lane must survive a bad row or a provider outage
            log.exception("%s jobs failed", job_type.kind.value)
        await asyncio.sleep(BUSY_TICK_SECONDS if busy else TICK_SECONDS)


async def periodic_lane(task: PeriodicTask, *, providers: Any, settings: Any, worker_id: str) -> None:
    """``task`` at start, then every ``task.every`` ticks, in its own task."""
    while True:
        try:
            await task.run(JobContext(providers, settings, worker_id, _now()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic task %s failed", task.name)
        await asyncio.sleep(task.every * TICK_SECONDS)


async def consume(registry: JobRegistry, *, providers: Any, settings: Any, worker_id: str | None = None) -> None:
    """Run every lane for ever (until cancelled: cancelling this cancels them all)."""
    worker_id = worker_id or default_worker_id()
    common = {"providers": providers, "settings": settings, "worker_id": worker_id}
    async with asyncio.TaskGroup() as lanes:
        for job_type in registry.ordered_job_types():
            for n in range(max(job_type.concurrency, 1)):
                lanes.create_task(job_lane(job_type, **common), name=f"jobs:{job_type.kind.value}:{n}")
        for task in registry.ordered_periodic():
            lanes.create_task(periodic_lane(task, **common), name=f"periodic:{task.name}")

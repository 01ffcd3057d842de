"""What receipts/ runs in the background: sealing, and the sweep that re-queues stuck receipts."""
from __future__ import annotations

from jobs.registry import JobContext, JobRegistry, PeriodicTask
from receipts.worker import SEAL_JOBS, sweep_stuck_receipts

SWEEP_EVERY = 30  # ticks


async def _sweep(ctx: JobContext) -> None:
    await sweep_stuck_receipts(now=ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.add_job_type(SEAL_JOBS)
    jobs.add_periodic(PeriodicTask("receipts.sweep_stuck", _sweep, every=SWEEP_EVERY))

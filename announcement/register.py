"""What announcement/ runs in the background: flagging publications the paper has not made in time."""
from __future__ import annotations

from announcement.announcements import flag_overdue
from jobs.registry import JobContext, JobRegistry, PeriodicTask

FLAG_EVERY = 60  # ticks


async def _flag(ctx: JobContext) -> None:
    await flag_overdue(now=ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.add_periodic(PeriodicTask("announcement.flag_overdue", _flag, every=FLAG_EVERY))

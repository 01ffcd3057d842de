"""What centre/ runs in the background: closing electronic attempts whose delivery has ended,
and tasks nobody needs any more.
Also tells the orphan-file sweep that task evidence references stored blobs."""
from __future__ import annotations

from centre.electronic import close_ended_electronic_attempts
from centre.models import Evidence
from centre.withdrawal import withdraw_moot_tasks
from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.files import add_file_reference

ELECTRONIC_EVERY = 30   # ticks (about seconds)


async def _close_electronic(ctx: JobContext) -> None:
    await close_ended_electronic_attempts(now=ctx.now)
    await withdraw_moot_tasks(now=ctx.now)


def register(jobs: JobRegistry) -> None:
    add_file_reference(Evidence, "sha256")
    jobs.add_periodic(PeriodicTask("centre.electronic_attempts", _close_electronic, every=ELECTRONIC_EVERY))

"""What entrusted/ runs in the background: overdue flags; and the letters' stored blobs."""
from __future__ import annotations

from entrusted.entrustments import flag_overdue
from entrusted.models import Entrustment
from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.files import add_file_reference

FLAG_EVERY = 60  # ticks


async def _flag(ctx: JobContext) -> None:
    await flag_overdue(now=ctx.now)


def register(jobs: JobRegistry) -> None:
    add_file_reference(Entrustment, "letter_sha256")
    jobs.add_periodic(PeriodicTask("entrusted.flag_overdue", _flag, every=FLAG_EVERY))

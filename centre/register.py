"""What centre/ runs in the background: closing electronic attempts whose delivery has ended,
tasks nobody needs any more, the escalation rules and the 总体统计 roll-up.
Also tells the orphan-file sweep that task evidence references stored blobs."""
from __future__ import annotations

from centre.electronic import close_ended_electronic_attempts
from centre.escalation import run_escalation_rules
from centre.models import Evidence
from centre.statistics_rollup import roll_up_statistics
from centre.withdrawal import withdraw_moot_tasks
from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.files import add_file_reference

ELECTRONIC_EVERY = 30   # ticks (about seconds)
ESCALATION_EVERY = 60
ROLLUP_EVERY = 300


async def _close_electronic(ctx: JobContext) -> None:
    await close_ended_electronic_attempts(now=ctx.now)
    await withdraw_moot_tasks(now=ctx.now)


async def _escalate(ctx: JobContext) -> None:
    await run_escalation_rules(now=ctx.now, due_days=ctx.settings.task_due_days)


async def _roll_up(ctx: JobContext) -> None:
    await roll_up_statistics(now=ctx.now)


def register(jobs: JobRegistry) -> None:
    add_file_reference(Evidence, "sha256")
    jobs.add_periodic(PeriodicTask("centre.electronic_attempts", _close_electronic, every=ELECTRONIC_EVERY))
    jobs.add_periodic(PeriodicTask("centre.escalation", _escalate, every=ESCALATION_EVERY))
    jobs.add_periodic(PeriodicTask("centre.statistics_rollup", _roll_up, every=ROLLUP_EVERY, priority=200))

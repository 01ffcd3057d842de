"""The audit chain's background work: link new events each tick, sign the head once a day."""
from __future__ import annotations

from audit.chain import chain_pending, checkpoint_path, write_checkpoint
from jobs.registry import JobContext, JobRegistry, PeriodicTask

CHECKPOINT_EVERY = 60  # ticks


async def _chain(ctx: JobContext) -> None:
    await chain_pending()


async def _daily_checkpoint(ctx: JobContext) -> None:
    directory = ctx.settings.data_dir / "audit-checkpoints"
    if not checkpoint_path(directory, ctx.now).exists():  # the daily signed export of the chain head
        await write_checkpoint(directory, ctx.providers.sealer, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    # Last in a tick: the events the other steps just recorded are linked in the same pass.
    jobs.add_periodic(PeriodicTask("audit.chain", _chain, every=1, priority=1000))
    jobs.add_periodic(PeriodicTask("audit.checkpoint", _daily_checkpoint, every=CHECKPOINT_EVERY, priority=1001))

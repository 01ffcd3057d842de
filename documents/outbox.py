"""The transactional outbox: jobs written with the state change that causes them, run after
commit, at least once, by any number of workers on any number of hosts.

Claiming is a compare-and-set on ``locked_until`` (so SQLite, which ignores SKIP LOCKED, has a
safe single claim path too); PostgreSQL additionally skips rows other claimers hold.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from documents.choices import JobKind
from documents.models import OutboxJob


async def enqueue(kind: JobKind, dedupe_key: str, payload: dict, *, now: datetime,
                  event_id: int | None = None) -> OutboxJob:
    """Call inside the transaction of the state change. A second enqueue of the same key is a
    no-op that returns the existing job."""
    existing = await OutboxJob.get_or_none(dedupe_key=dedupe_key)
    if existing is not None:
        return existing
    return await OutboxJob.create(kind=kind, dedupe_key=dedupe_key, payload=payload,
                                  event_id=event_id, available_at=now)


def _claimable(kind: JobKind, now: datetime):
    return OutboxJob.filter(kind=kind, done_at__isnull=True, available_at__lte=now).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now))


async def claim(kind: JobKind, *, worker_id: str, now: datetime, lease: timedelta,
                limit: int = 10) -> list[OutboxJob]:
    async with in_transaction():
        candidates = await _claimable(kind, now).order_by("id").limit(limit).select_for_update(skip_locked=True)
    claimed = []
    for job in candidates:
        # Compare-and-set: only one claimer can move locked_until from the value it read.
        won = await OutboxJob.filter(id=job.id, done_at__isnull=True, locked_until=job.locked_until) \
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now)) \
            .update(locked_until=now + lease, locked_by=worker_id, attempts=F("attempts") + 1)
        if won:
            await job.refresh_from_db()
            claimed.append(job)
    return claimed


async def complete(job: OutboxJob, *, now: datetime) -> None:
    await OutboxJob.filter(id=job.id).update(done_at=now, locked_until=None, last_error="")


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential with full jitter (AWS architecture blog's recommendation)."""
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(base.total_seconds(), max(ceiling, base.total_seconds())))


async def fail(job: OutboxJob, error: str, *, now: datetime, base: timedelta = timedelta(seconds=5),
               cap: timedelta = timedelta(minutes=10)) -> None:
    await OutboxJob.filter(id=job.id).update(
        locked_until=None, last_error=error[:1000],
        available_at=now + backoff(job.attempts, base=base, cap=cap))


async def requeue(dedupe_key: str, *, now: datetime) -> bool:
    """Make a job runnable now (the sweep's tool for work stuck behind a dead worker)."""
    return bool(await OutboxJob.filter(dedupe_key=dedupe_key, done_at__isnull=True)
                .update(available_at=now, locked_until=None))

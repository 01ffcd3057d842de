"""The transactional outbox: jobs written with the state change that causes them, run after
commit, at least once, by any number of workers on any number of hosts.

Claiming is one statement: a compare-and-set on ``locked_until`` over rows picked with
``FOR UPDATE SKIP LOCKED``, so claimers never wait on each other or take the same job.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from jobs.kinds import JobKind
from jobs.models import OutboxJob


async def enqueue(kind: JobKind, dedupe_key: str, payload: dict, *, now: datetime,
                  event_id: int | None = None) -> None:
    """Call inside the transaction of the state change. A second enqueue of the same key is a
    no-op: one ``INSERT … ON CONFLICT DO NOTHING``, which
    leaves an open PostgreSQL transaction usable, where a failed plain INSERT would abort it."""
    await OutboxJob.bulk_create([OutboxJob(kind=kind, dedupe_key=dedupe_key, payload=payload, event_id=event_id,
                                           available_at=now)], ignore_conflicts=True)


# One statement claims a whole batch on PostgreSQL: rows other claimers hold are skipped and the
# outer WHERE is re-checked on each locked row. The pick must be MATERIALIZED: as a plain
# ``IN (SELECT … LIMIT n …)`` PostgreSQL may run the subquery twice and claim more than n rows.
_CLAIM = (
    "WITH picked AS MATERIALIZED (SELECT id FROM outbox_job WHERE kind = $3 AND done_at IS NULL "
    "  AND available_at <= $4 AND (locked_until IS NULL OR locked_until < $4) "
    "  ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) "
    "UPDATE outbox_job SET locked_until = $1, locked_by = $2, attempts = attempts + 1 "
    "FROM picked WHERE outbox_job.id = picked.id AND outbox_job.done_at IS NULL "
    "AND (outbox_job.locked_until IS NULL OR outbox_job.locked_until < $4) RETURNING outbox_job.id"
)


async def claim(kind: JobKind, *, worker_id: str, now: datetime, lease: timedelta,
                limit: int = 10) -> list[OutboxJob]:
    rows = await OutboxJob._meta.db.execute_query_dict(_CLAIM, [now + lease, worker_id, kind.value, now, limit])
    if not rows:
        return []
    return await OutboxJob.filter(id__in=[r["id"] for r in rows]).order_by("id")


async def complete(job: OutboxJob, *, now: datetime) -> None:
    await OutboxJob.filter(id=job.id).update(done_at=now, locked_until=None, last_error="")


async def close(job: OutboxJob, note: str, *, now: datetime) -> None:
    """Done without success (given up, or nothing left to do): kept with its reason for the console."""
    await OutboxJob.filter(id=job.id).update(done_at=now, locked_until=None, last_error=note[:1000])


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

"""The outbox: a job is queued once per dedupe key, with its time, inside the caller's transaction."""
from __future__ import annotations

from datetime import datetime, timezone

from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import enqueue


async def test_a_second_enqueue_of_a_key_changes_nothing(db):
    now = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
    await enqueue(JobKind.SEAL_RECEIPT, "k1", {"a": 1}, now=now)
    await enqueue(JobKind.SEAL_RECEIPT, "k1", {"a": 2}, now=now)
    jobs = await OutboxJob.filter(dedupe_key="k1")
    assert len(jobs) == 1 and jobs[0].payload == {"a": 1} and jobs[0].created_at is not None
    assert jobs[0].available_at == now

"""One pass of the jobs consumer does every job: notice, chain, seal, daily checkpoint."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from audit.models import Event
from jobs.consumer import run_batch, run_once
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import enqueue
from jobs.registry import JobContext, JobRegistry, JobType, PeriodicTask, RetryRule, one_at_a_time
from service.choices import DeliveryState, ReceiptStatus
from service.models import Delivery, Receipt
from tests.factories import make_service, make_signed_delivery


async def test_one_pass_does_everything(app, db):
    _, people, _ = await make_service(settings=db, channels=["sms"])
    _, _, _, receipt = await make_signed_delivery(db, documents=1)
    await run_once(app.ctx.jobs, JobContext(app.ctx, app.ctx.settings, "test", datetime.now(timezone.utc)), 0)
    delivery = await Delivery.get(recipient=people[0])
    # Notified, and — the dev gateway reports arrival at once — arrived in the same pass.
    assert delivery.notified_at and delivery.state is DeliveryState.ARRIVED
    assert (db.data_dir / "dev-sms.jsonl").exists()
    assert (await Receipt.get(id=receipt.id)).status is ReceiptStatus.SEALED
    assert await Event.filter(chain_seq__isnull=True).count() <= 2  # events of this very pass
    assert list((db.data_dir / "audit-checkpoints").glob("*.json"))


NOW = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)


def _ctx(now=NOW) -> JobContext:
    return JobContext(SimpleNamespace(), SimpleNamespace(), "t", now)


async def test_a_failing_job_type_is_logged_and_the_others_still_run(db, caplog):
    await enqueue(JobKind.WEBHOOK, "w1", {}, now=NOW)
    await enqueue(JobKind.NOTIFY_SMS, "n1", {}, now=NOW)
    ran, ticks = [], []

    async def broken(jobs, ctx):
        raise RuntimeError("provider down")

    async def fine(jobs, ctx):
        ran.extend(job.dedupe_key for job in jobs)
        for job in jobs:
            await ctx.complete(job)
        return len(jobs)

    async def periodic(ctx):
        ticks.append(ctx.now)

    registry = JobRegistry()
    registry.add_job_type(JobType(JobKind.WEBHOOK, broken, priority=0))
    registry.add_job_type(JobType(JobKind.NOTIFY_SMS, fine))
    registry.add_periodic(PeriodicTask("p", periodic, every=30))
    assert await run_once(registry, _ctx(), 0) is False  # nothing urgent
    assert ran == ["n1"] and ticks == [NOW]
    assert "webhook jobs failed" in caplog.text
    await run_once(registry, _ctx(), 1)
    assert ticks == [NOW]  # not due at tick 1


async def test_an_urgent_type_drains_full_batches_and_asks_for_a_busy_tick(db):
    for i in range(5):
        await enqueue(JobKind.SEAL_RECEIPT, f"s{i}", {}, now=NOW)
    batches = []

    async def seal(jobs, ctx):
        batches.append(len(jobs))
        for job in jobs:
            await ctx.complete(job)
        return len(jobs)

    registry = JobRegistry()
    registry.add_job_type(JobType(JobKind.SEAL_RECEIPT, seal, batch=2, budget=5.0, urgent=True))
    assert await run_once(registry, _ctx(), 1) is True
    assert batches == [2, 2, 1]
    assert await run_once(registry, _ctx(), 2) is False


async def test_one_at_a_time_retries_under_the_type_rule_and_gives_up_after_it(db):
    await enqueue(JobKind.NOTIFY_SMS, "old", {}, now=NOW)

    class Down(Exception):
        pass

    async def run_one(job, ctx):
        raise Down("outage")

    rule = RetryRule(base=timedelta(seconds=30), cap=timedelta(minutes=1), give_up_after=timedelta(days=1))
    job_type = JobType(JobKind.NOTIFY_SMS, one_at_a_time(run_one, transient=(Down,)), retry=rule)
    await run_batch(job_type, _ctx(datetime.now(timezone.utc)))
    job = await OutboxJob.get(dedupe_key="old")
    assert job.done_at is None and job.last_error == "outage" and job.available_at > datetime.now(timezone.utc)
    later = job.created_at + timedelta(days=2)
    await run_batch(job_type, _ctx(later))
    job = await OutboxJob.get(dedupe_key="old")
    assert job.done_at == later and job.last_error == "gave up after 2 attempts: outage"


def test_a_job_kind_is_registered_once():
    registry = JobRegistry()
    registry.add_job_type(JobType(JobKind.WEBHOOK, None))
    with pytest.raises(ValueError):
        registry.add_job_type(JobType(JobKind.WEBHOOK, None))


async def test_each_job_type_runs_in_its_own_lane(db):
    """A job type whose handler hangs holds up only its own lane (consume), not another type."""
    import asyncio

    from jobs.consumer import consume

    now = datetime.now(timezone.utc)
    await enqueue(JobKind.WEBHOOK, "slow", {}, now=now)
    await enqueue(JobKind.SEAL_RECEIPT, "s1", {}, now=now)
    hanging, sealed = asyncio.Event(), asyncio.Event()

    async def hang(jobs, ctx):
        hanging.set()
        await asyncio.sleep(30)

    async def seal(jobs, ctx):
        for job in jobs:
            await ctx.complete(job)
        sealed.set()
        return len(jobs)

    registry = JobRegistry()
    registry.add_job_type(JobType(JobKind.WEBHOOK, hang, priority=0))  # first, as if it came first
    registry.add_job_type(JobType(JobKind.SEAL_RECEIPT, seal, priority=1))
    consumer = asyncio.create_task(consume(registry, providers=SimpleNamespace(), settings=SimpleNamespace()))
    try:
        await asyncio.wait_for(hanging.wait(), 5)
        await asyncio.wait_for(sealed.wait(), 1.5)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)

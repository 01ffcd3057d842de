"""What the one consumer loop runs, registered by the packages that own the work.

A package registers a ``JobType`` per kind of outbox job it handles (the handler, its batch size,
lease and retry rule) and a ``PeriodicTask`` per sweep it needs. ``jobs/`` imports none of them:
handlers are registered into it, at assembly (``app/packages.py``).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import close, complete, fail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryRule:
    """Capped exponential backoff with jitter; ``give_up_after`` (from the job's creation) closes
    a job that keeps failing instead of retrying it for ever."""

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=10)
    give_up_after: timedelta | None = None

    def gives_up(self, job: OutboxJob, now: datetime) -> bool:
        return self.give_up_after is not None and now - job.created_at > self.give_up_after


# An unexpected exception (a bug, a bad row): retried soon, the log has the traceback.
UNEXPECTED = RetryRule()


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its batch: the process's providers (storage, sealer, SMS
    gateway, WeChat API, webhook HTTP client: attributes), settings, who claims, and when."""

    providers: Any
    settings: Any
    worker_id: str
    now: datetime
    job_type: JobType | None = None

    def at(self, now: datetime) -> JobContext:
        return replace(self, now=now)

    async def complete(self, job: OutboxJob) -> None:
        await complete(job, now=self.now)

    async def retry(self, job: OutboxJob, error: str, *, rule: RetryRule | None = None) -> bool:
        """Retry ``job`` later under its type's rule (or ``rule``). False when the rule gives up:
        the job is then closed, keeping the error for the console."""
        rule = rule or (self.job_type.retry if self.job_type else UNEXPECTED)
        if rule.gives_up(job, self.now):
            await close(job, f"gave up after {job.attempts} attempts: {error}", now=self.now)
            return False
        await fail(job, error, now=self.now, base=rule.base, cap=rule.cap)
        return True


Handler = Callable[[list[OutboxJob], JobContext], Awaitable[int]]


def _always(settings: Any) -> bool:
    return True


@dataclass(frozen=True)
class JobType:
    """One kind of outbox job. The handler takes the whole claimed batch (so it may work on it
    concurrently) and returns how much it got done; it completes or retries each job itself."""

    kind: JobKind
    handler: Handler
    batch: int = 10
    lease: timedelta = timedelta(minutes=2)
    retry: RetryRule = field(default_factory=RetryRule)
    # Seconds a tick may keep claiming full batches of this kind (0: one batch per tick).
    budget: float = 0.0
    # Work done makes the loop come back after a short tick: someone is waiting for it.
    urgent: bool = False
    priority: int = 100  # lower runs first in a tick
    # Tasks of this type's lane in the consumer (jobs.consumer.consume), each claiming and handling
    # its own batches: more lets a batch held up by a slow party not hold up the next one.
    concurrency: int = 1
    enabled: Callable[[Any], bool] = _always  # settings -> whether to claim at all


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    run: Callable[[JobContext], Awaitable[Any]]
    every: int = 1  # ticks (about seconds): runs when tick % every == 0
    priority: int = 100


class JobRegistry:
    def __init__(self) -> None:
        self.job_types: dict[JobKind, JobType] = {}
        self.periodic: dict[str, PeriodicTask] = {}

    def add_job_type(self, job_type: JobType) -> None:
        if job_type.kind in self.job_types and self.job_types[job_type.kind] is not job_type:
            raise ValueError(f"job kind {job_type.kind.value} registered twice")
        self.job_types[job_type.kind] = job_type

    def add_periodic(self, task: PeriodicTask) -> None:
        if task.name in self.periodic and self.periodic[task.name] is not task:
            raise ValueError(f"periodic task {task.name} registered twice")
        self.periodic[task.name] = task

    def ordered_job_types(self) -> list[JobType]:
        return sorted(self.job_types.values(), key=lambda t: t.priority)

    def ordered_periodic(self) -> list[PeriodicTask]:
        return sorted(self.periodic.values(), key=lambda t: t.priority)


def one_at_a_time(run_one: Callable[[OutboxJob, JobContext], Awaitable[int | bool | None]], *,
                  transient: tuple[type[Exception], ...] = (),
                  reason: Callable[[Exception], str] = str) -> Handler:
    """A handler that runs a batch's jobs in turn: done → complete; a ``transient`` exception →
    retry under the type's rule with ``reason(exc)``; anything else → logged, retried soon. One
    bad job never stops the others. Returns the sum of ``run_one``'s results."""

    async def handle(jobs: list[OutboxJob], ctx: JobContext) -> int:
        done = 0
        for job in jobs:
            try:
                counted = await run_one(job, ctx)
                await ctx.complete(job)
            except transient as exc:
                await ctx.retry(job, reason(exc))
                continue
            except Exception as exc:
                log.exception("%s job %s failed", job.kind.value, job.id)
                await ctx.retry(job, f"{type(exc).__name__}: {exc}", rule=UNEXPECTED)
                continue
            done += int(counted) if isinstance(counted, (int, bool)) else int(bool(counted))
        return done

    return handle

"""What service/ runs in the background: the notice SMS job, service expiry and the SMS
delivery reports that move notified deliveries on."""
from __future__ import annotations

from identity.sms.sending import sync_delivery_reports
from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.expiry import expire_due_services
from service.notices import NOTICE_JOBS

SWEEP_EVERY = 30    # ticks
REPORTS_EVERY = 60  # ticks


async def _expire(ctx: JobContext) -> None:
    await expire_due_services(now=ctx.now)


async def _delivery_reports(ctx: JobContext) -> None:
    await sync_delivery_reports(ctx.providers.sms_gateway, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.add_job_type(NOTICE_JOBS)
    jobs.add_periodic(PeriodicTask("service.expire", _expire, every=SWEEP_EVERY))
    jobs.add_periodic(PeriodicTask("sms.delivery_reports", _delivery_reports, every=REPORTS_EVERY))

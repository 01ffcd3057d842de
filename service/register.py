"""What service/ runs in the background: the notice SMS job, the portal login code job, service expiry, the SMS delivery
reports that move notified deliveries on, and the sweep of stored files nobody references."""
from __future__ import annotations

from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.expiry import expire_due_services
from service.files import remove_orphan_files
from service.login_codes import LOGIN_CODE_JOBS
from service.notices import NOTICE_JOBS
from service.sms_reports import sync_sms_reports

SWEEP_EVERY = 30      # ticks (about seconds)
REPORTS_EVERY = 60
FILES_EVERY = 3600    # blobs become sweepable a day after they were written: hourly is plenty


async def _expire(ctx: JobContext) -> None:
    await expire_due_services(now=ctx.now)


async def _delivery_reports(ctx: JobContext) -> None:
    await sync_sms_reports(ctx.providers.sms_gateway, settings=ctx.settings, now=ctx.now)


async def _unreferenced_files(ctx: JobContext) -> None:
    await remove_orphan_files(ctx.providers.storage, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    jobs.add_job_type(NOTICE_JOBS)
    jobs.add_job_type(LOGIN_CODE_JOBS)
    jobs.add_periodic(PeriodicTask("service.expire", _expire, every=SWEEP_EVERY))
    jobs.add_periodic(PeriodicTask("sms.delivery_reports", _delivery_reports, every=REPORTS_EVERY))
    jobs.add_periodic(PeriodicTask("files.unreferenced", _unreferenced_files, every=FILES_EVERY))

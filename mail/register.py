"""What mail/ runs in the background: polling the carrier for items in the post. Also tells the
orphan-file sweep that print PDFs and return-card scans reference stored blobs."""
from __future__ import annotations

from jobs.registry import JobContext, JobRegistry, PeriodicTask
from mail.models import PrintBatch, ReturnScan
from mail.tracking import poll_tracking
from service.files import add_file_reference

POLL_EVERY = 300   # ticks (about seconds); each item is asked about every mail.tracking.POLL_EVERY


async def _poll(ctx: JobContext) -> None:
    await poll_tracking(ctx.providers.mail_carrier, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    add_file_reference(PrintBatch, "pdf_sha256")
    add_file_reference(ReturnScan, "sha256")
    jobs.add_periodic(PeriodicTask("mail.tracking_poll", _poll, every=POLL_EVERY))

"""Sealing receipts off the request path: claim a job, render, seal, store, mark — idempotent by
receipt number, so a job run twice (a crash after sealing, before marking) seals once."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from types import SimpleNamespace

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.settings import Settings
from documents.storage import Storage
from jobs.consumer import run_batch
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import requeue
from jobs.registry import JobContext, JobType, RetryRule, one_at_a_time
from receipts.assemble import receipt_data
from receipts.layout import render_receipt_placed
from receipts.seal import SealPlacement
from service.choices import ReceiptStatus
from service.models import Receipt

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=1)


async def _seal_job(job: OutboxJob, ctx: JobContext) -> int:
    return await seal_receipt(job.payload["receipt_id"], sealer=ctx.providers.sealer, storage=ctx.providers.storage,
                              settings=ctx.settings, now=ctx.now)


# A litigant waits on the signed page for the receipt: sealing runs first in a tick, drains for up
# to half a second, and brings the loop back after a short tick while there was work.
SEAL_JOBS = JobType(JobKind.SEAL_RECEIPT, one_at_a_time(_seal_job), batch=5, lease=LEASE, retry=RetryRule(),
                    budget=0.5, urgent=True, priority=0)


async def seal_pending_receipts(*, sealer, storage: Storage, settings: Settings, worker_id: str,
                                now: datetime, limit: int = 5) -> int:
    """One batch now, through the consumer's path (tests, demo)."""
    _, sealed = await run_batch(SEAL_JOBS, JobContext(SimpleNamespace(sealer=sealer, storage=storage), settings,
                                                      worker_id, now), limit=limit)
    return sealed


def _render_and_seal(sealer, data) -> bytes:
    rendered = render_receipt_placed(data)
    # The seal's appearance sits in the 送达人 row, on the signature that seals the file.
    return sealer.seal(rendered.pdf, visible=SealPlacement(rendered.seal_page, rendered.seal_box, data.court_name))


async def seal_receipt(receipt_id: int, *, sealer, storage: Storage, settings: Settings, now: datetime) -> int:
    receipt = await Receipt.get(id=receipt_id)
    if receipt.status is ReceiptStatus.SEALED:
        return 0
    data = await receipt_data(receipt, settings=settings, storage=storage, test_certificate=sealer.is_test)
    # Rendering and signing are CPU work: keep them off the event loop.
    pdf = await asyncio.to_thread(_render_and_seal, sealer, data)
    key, _ = storage.put(pdf)
    async with in_transaction():
        marked = await Receipt.filter(id=receipt.id, status=ReceiptStatus.PENDING).update(
            # What the PDF states about legal effect is final for this receipt: kept with it.
            status=ReceiptStatus.SEALED, pdf_sha256=key, sealed_at=now, effective_at=data.effective_at,
            effect_rule=data.effect_rule, effect_reason=data.effect_reason, effect_channel=data.effect_channel)
        if not marked:
            return 0
        await record_event(EventType.RECEIPT_READY, court_id=receipt.court_id, service_id=receipt.service_id,
                           recipient_id=receipt.recipient_id, delivery_id=receipt.delivery_id,
                           actor=Actor.system(), meta=RequestMeta.none(),
                           data={"receipt_no": receipt.receipt_no, "pdf_sha256": key})
    log.info("receipt %s sealed", receipt.receipt_no)
    return 1


async def stuck_receipts(*, now: datetime) -> list[Receipt]:
    """Signed, but still unsealed a minute later: the clerk console lists these."""
    return await Receipt.filter(status=ReceiptStatus.PENDING, created_at__lt=now - STUCK_AFTER).order_by("id")


async def sweep_stuck_receipts(*, now: datetime) -> list[str]:
    """Re-queue the seal job of every stuck receipt (a job held by a dead worker, or one waiting
    out a long backoff)."""
    requeued = []
    for receipt in await stuck_receipts(now=now):
        key = f"seal:{receipt.receipt_no}"
        if not await OutboxJob.filter(dedupe_key=key).exists():
            await OutboxJob.create(kind=JobKind.SEAL_RECEIPT, dedupe_key=key,
                                   payload={"receipt_id": receipt.id}, available_at=now)
        if await requeue(key, now=now):
            requeued.append(receipt.receipt_no)
    if requeued:
        log.warning("re-queued %d unsealed receipts", len(requeued))
    return requeued

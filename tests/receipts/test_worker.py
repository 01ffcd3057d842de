"""Sealing off the request path: idempotent, swept when stuck (a killed process: tests/faults)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from audit.models import Event
from documents.storage import LocalStorage
from jobs.models import OutboxJob
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts, stuck_receipts, sweep_stuck_receipts
from service.choices import ReceiptStatus
from service.models import Receipt
from tests.factories import make_signed_delivery


async def _seal(db, now=None):
    return await seal_pending_receipts(sealer=Sealer.from_settings(db), storage=LocalStorage(db.files_dir),
                                       settings=db, worker_id="test", now=now or datetime.now(timezone.utc))


async def test_worker_seals_once_and_records_receipt_ready(db):
    _, _, _, receipt = await make_signed_delivery(db)
    assert await _seal(db) == 1
    receipt = await Receipt.get(id=receipt.id)
    assert receipt.status is ReceiptStatus.SEALED and receipt.pdf_sha256 and receipt.effective_at
    pdf = LocalStorage(db.files_dir).get(receipt.pdf_sha256)
    check = await Sealer.from_settings(db).check_async(pdf)
    assert check.sealed and check.intact and check.valid and check.trusted
    assert await _seal(db) == 0  # nothing left to do
    assert await Event.filter(type="receipt.ready").count() == 1
    assert (await OutboxJob.get(dedupe_key=f"seal:{receipt.receipt_no}")).done_at is not None


async def test_a_stuck_receipt_is_listed_and_swept(db):
    _, _, _, receipt = await make_signed_delivery(db, documents=1)
    job = await OutboxJob.get(dedupe_key=f"seal:{receipt.receipt_no}")
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    # A worker claimed it and died: the lease runs long, the receipt stays unsealed.
    await OutboxJob.filter(id=job.id).update(locked_until=later + timedelta(hours=1), locked_by="dead")
    assert await _seal(db, later) == 0
    assert [r.receipt_no for r in await stuck_receipts(now=later)] == [receipt.receipt_no]
    assert await sweep_stuck_receipts(now=later) == [receipt.receipt_no]
    assert await _seal(db, later) == 1
    assert await stuck_receipts(now=later) == []

"""What every fault test ends with: nothing signed was lost and the audit chain holds.

Every signature has exactly one receipt, sealed once the worker has caught up (the sealing job
is run here until nothing is left, as a restarted worker would), its PDF is in storage, and the
checks of ``python -m app audit verify`` pass (chain every pending event, then verify against
the latest signed checkpoint).
"""
from __future__ import annotations

from datetime import datetime, timezone

from app.__main__ import verify_audit
from core.settings import Settings
from documents.storage import LocalStorage
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts
from service.choices import ReceiptStatus
from service.models import Receipt, Signature

CATCH_UP_BATCHES = 200


async def catch_up_sealing(settings: Settings) -> None:
    """Seal what is pending, as the worker would after the fault."""
    sealer, storage = Sealer.from_settings(settings), LocalStorage(settings.files_dir)
    for _ in range(CATCH_UP_BATCHES):
        if not await seal_pending_receipts(sealer=sealer, storage=storage, settings=settings,
                                           worker_id="faults-invariants", now=datetime.now(timezone.utc)):
            return


async def assert_nothing_lost(settings: Settings, *, signatures: int | None = None) -> None:
    """Every signature has one sealed receipt whose PDF is stored; ``audit verify`` passes.
    ``signatures``: how many the test made, so a test that lost them all cannot pass empty."""
    await catch_up_sealing(settings)
    signed = await Signature.all().values_list("delivery_id", flat=True)
    if signatures is not None:
        assert len(signed) == signatures, f"{len(signed)} signatures, expected {signatures}"
    storage = LocalStorage(settings.files_dir)
    for delivery_id in signed:
        receipts = await Receipt.filter(delivery_id=delivery_id)
        assert len(receipts) == 1, f"delivery {delivery_id}: {len(receipts)} receipts"
        receipt = receipts[0]
        assert receipt.status is ReceiptStatus.SEALED, f"receipt {receipt.receipt_no} is {receipt.status}"
        assert storage.get(receipt.pdf_sha256)[:5] == b"%PDF-"
    assert not await Receipt.filter(delivery_id__not_in=list(signed) or [0]).exists(), "a receipt without a signature"

    _, report = await verify_audit(settings)  # python -m app audit verify, minus the printing
    assert report.ok, f"audit verify: event {report.first_bad_event_id}: {report.reason}"
    assert report.unchained == 0

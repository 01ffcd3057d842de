"""What inperson/ runs in the background: sealing task receipts a request could not seal, and
telling the orphan-file sweep which stored blobs its rows reference."""
from __future__ import annotations

from inperson.models import InPersonRecord, TaskReceipt
from inperson.receipt import seal_pending_task_receipts
from jobs.registry import JobContext, JobRegistry, PeriodicTask
from service.files import add_file_reference

SEAL_EVERY = 30  # ticks


async def _seal(ctx: JobContext) -> None:
    await seal_pending_task_receipts(sealer=ctx.providers.sealer, storage=ctx.providers.storage,
                                     settings=ctx.settings, now=ctx.now)


def register(jobs: JobRegistry) -> None:
    add_file_reference(TaskReceipt, "pdf_sha256")
    # The record's hashes are the plain files'; they are storage keys only of captures stored in the
    # clear before captures were sealed (the sealed blobs are referenced by ``Evidence.sha256``).
    add_file_reference(InPersonRecord, "signature_sha256")
    add_file_reference(InPersonRecord, "photo_sha256")
    jobs.add_periodic(PeriodicTask("inperson.seal_task_receipts", _seal, every=SEAL_EVERY))

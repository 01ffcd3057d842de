"""Stored files nobody references any more: a blob written by a request whose row never
committed (a dropped connection, a refused signature). Blobs are content-addressed and shared, so
requests never delete them on failure (another request may be about to reference the same bytes);
this sweep removes the ones that no row has referenced for a day."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from documents.models import Document
from documents.storage import Storage
from service.models import Receipt, Signature

log = logging.getLogger(__name__)
MIN_AGE = timedelta(days=1)
BATCH = 500


async def remove_orphan_files(storage: Storage, *, now: datetime, min_age: timedelta = MIN_AGE) -> int:
    """Delete blobs written before ``now - min_age`` that no document, signature or receipt
    references. Returns how many were deleted."""
    cutoff = now - min_age
    candidates = storage.written_before(cutoff)
    removed = 0
    for start in range(0, len(candidates), BATCH):
        keys = candidates[start:start + BATCH]
        referenced = set(await Document.filter(sha256__in=keys).values_list("sha256", flat=True))
        referenced |= set(await Signature.filter(image_sha256__in=keys).values_list("image_sha256", flat=True))
        referenced |= set(await Receipt.filter(pdf_sha256__in=keys).values_list("pdf_sha256", flat=True))
        for key in keys:
            if key not in referenced and storage.delete_if_written_before(key, cutoff):
                removed += 1
    if removed:
        log.info("removed %d unreferenced stored files", removed)
    return removed

"""Stored files nobody references any more: a blob written by a request whose row never
committed (a dropped connection, a refused signature). Blobs are content-addressed and shared, so
requests never delete them on failure (another request may be about to reference the same bytes);
this sweep removes the ones that no row has referenced for a day."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.models import Model

from documents.models import Document
from documents.storage import Storage
from service.models import Receipt, Signature

log = logging.getLogger(__name__)
MIN_AGE = timedelta(days=1)
BATCH = 500

# (model, column) pairs whose values are storage keys. Packages above this one add their own
# (centre/register.py: task evidence) so the sweep never removes a blob they still reference.
_REFERENCES: list[tuple[type[Model], str]] = [(Document, "sha256"), (Signature, "image_sha256"),
                                              (Receipt, "pdf_sha256")]


def add_file_reference(model: type[Model], column: str) -> None:
    if (model, column) not in _REFERENCES:
        _REFERENCES.append((model, column))


async def remove_orphan_files(storage: Storage, *, now: datetime, min_age: timedelta = MIN_AGE) -> int:
    """Delete blobs written before ``now - min_age`` that no row references (documents,
    signatures, receipts, and what other packages registered). Returns how many were deleted."""
    cutoff = now - min_age
    candidates = storage.written_before(cutoff)
    removed = 0
    for start in range(0, len(candidates), BATCH):
        keys = candidates[start:start + BATCH]
        referenced: set[str] = set()
        for model, column in _REFERENCES:
            referenced |= set(await model.filter(**{f"{column}__in": keys}).values_list(column, flat=True))
        for key in keys:
            if key not in referenced and storage.delete_if_written_before(key, cutoff):
                removed += 1
    if removed:
        log.info("removed %d unreferenced stored files", removed)
    return removed

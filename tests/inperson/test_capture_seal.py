"""Captures are personal data (faces, fingerprints, signatures): sealed at rest, opened only
through ``capture_bytes`` / ``evidence_bytes``, still embedded in the sealed receipt, and captures
stored in the clear before sealing still read."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pypdfium2

from audit.models import Event
from centre.models import Evidence
from inperson.captures import capture_bytes, complete_captures
from inperson.choices import CaptureKind, Collector
from inperson.field import FieldClosing, close_field_task
from inperson.receipt import seal_task_receipt
from receipts.seal import Sealer
from service.choices import Outcome, ServiceMethod
from tests.centre.media import jpeg
from tests.factories import signature_png
from tests.inperson.helpers import META, NOW, desk_pickup, inperson_tasks, upload


def _stored_blobs(root: Path) -> list[bytes]:
    return [path.read_bytes() for path in root.rglob("*") if path.is_file()]


def _in_the_clear(root: Path, originals: list[bytes]) -> list[int]:
    """Which originals some stored file holds as they were uploaded."""
    blobs = _stored_blobs(root)
    return [i for i, original in enumerate(originals) if any(original in blob for blob in blobs)]


def _image_count(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    return len([o for page in document for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE])


async def test_a_desk_pickup_stores_no_capture_in_the_clear_and_the_receipt_still_shows_them(db):
    ns, closed, receipt, originals = await desk_pickup(db)
    assert _in_the_clear(db.files_dir, originals) == []
    captures = await complete_captures(closed.id)
    for capture in captures:
        evidence = await Evidence.get(id=capture.evidence_id)
        # The stored blob is named by the ciphertext; the plain hash is the capture's and the event's.
        assert evidence.encrypted and evidence.plain_sha256 == capture.sha256 != evidence.sha256
        assert evidence.file_sha256 == capture.sha256
        assert hashlib.sha256(await capture_bytes(capture, ns.storage, db)).hexdigest() == capture.sha256
    added = await Event.filter(type="task.evidence_added").order_by("id")
    assert {e.data["sha256"] for e in added} == {hashlib.sha256(o).hexdigest() for o in originals}
    assert all(e.data["sealed"] for e in added)
    sealed = await seal_task_receipt(receipt.id, sealer=Sealer.from_settings(db), storage=ns.storage, settings=db,
                                     now=NOW)
    assert _image_count(ns.storage.get(sealed.pdf_sha256)) >= 2     # the signature and the photo


async def test_a_field_close_stores_no_capture_in_the_clear(db):
    ns = await inperson_tasks(db, channel="field")
    signature, site = signature_png(), jpeg((300, 200))
    await upload(ns, db, CaptureKind.SIGNATURE, signature, "签名.png")
    await upload(ns, db, CaptureKind.SITE_PHOTO, site, "现场.jpg")
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.DIRECT, NOW, collector=Collector.FAMILY,
                           collector_name="王大明", relation="父亲")
    _, receipt = await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    assert _in_the_clear(db.files_dir, [signature, site]) == []
    sealed = await seal_task_receipt(receipt.id, sealer=Sealer.from_settings(db), storage=ns.storage, settings=db,
                                     now=NOW)
    assert _image_count(ns.storage.get(sealed.pdf_sha256)) >= 2


async def test_a_capture_stored_in_the_clear_before_sealing_still_reads(db):
    """Rows written before captures were sealed: ``encrypted`` false, the blob named by the plain
    hash (which the record and the capture also hold)."""
    ns, closed, receipt, originals = await desk_pickup(db)
    for capture in await complete_captures(closed.id):
        data = await capture_bytes(capture, ns.storage, db)
        key, _ = ns.storage.put(data)
        await Evidence.filter(id=capture.evidence_id).update(sha256=key, encrypted=False, plain_sha256=None)
    assert _in_the_clear(db.files_dir, originals) != []     # the scan above does see plain blobs
    for capture in await complete_captures(closed.id):
        assert await capture_bytes(capture, ns.storage, db) in originals
    sealed = await seal_task_receipt(receipt.id, sealer=Sealer.from_settings(db), storage=ns.storage, settings=db,
                                     now=NOW)
    assert _image_count(ns.storage.get(sealed.pdf_sha256)) >= 2

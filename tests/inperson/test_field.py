"""外出送达: field tasks of the caller, resumable idempotent captures, direct and lodged closes,
and the sealed receipt."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pypdfium2
import pytest

from audit.models import Event
from centre.models import Evidence
from core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from documents.kinds import DocumentKind
from inperson.captures import Position, UploadStart, put_chunk, start_upload
from inperson.choices import CaptureKind, Collector
from inperson.field import FieldClosing, arrive, close_field_task, my_field_tasks
from inperson.models import Capture, CaptureChunk, InPersonRecord
from inperson.receipt import seal_task_receipt
from receipts.seal import Sealer
from service.choices import Outcome, ServiceMethod, TaskStatus
from service.legal_effect import RULE_LODGED
from service.models import Attempt
from tests.centre.media import jpeg
from tests.factories import signature_png
from tests.inperson.helpers import META, NOW, inperson_tasks, save_pages, tiny_mp4, upload


async def test_my_field_tasks_show_address_and_map_link_only_to_the_assignee(db):
    ns = await inperson_tasks(db, channel="field")
    mine = await my_field_tasks(ns.server)
    assert [t.attempt_id for t in mine] == [ns.task.id]
    assert mine[0].address == ns.recipient.address_masked == "广西壮族自治区柳州市城中区****"
    assert mine[0].map_url.startswith("https://uri.amap.com/") and "%E7%A4%BA" not in mine[0].map_url  # no street
    assert await my_field_tasks(ns.other) == []
    with pytest.raises(Forbidden):
        await my_field_tasks(ns.dispatcher)


async def test_uploads_resume_and_a_retry_never_duplicates(db):
    ns = await inperson_tasks(db, channel="field")
    data = jpeg((400, 300))
    digest = hashlib.sha256(data).hexdigest()
    start = UploadStart("photo-0001", CaptureKind.SITE_PHOTO, "现场.jpg", len(data), digest,
                        Position(None, None, None, NOW + timedelta(hours=1)))
    first = await start_upload(ns.server, ns.task.id, start, max_evidence_bytes=db.max_evidence_bytes, now=NOW)
    again = await start_upload(ns.server, ns.task.id, start, max_evidence_bytes=db.max_evidence_bytes, now=NOW)
    assert first.id == again.id and set(first.flags) == {"no_gps", "clock_off"}
    half = len(data) // 2
    await put_chunk(ns.server, "photo-0001", 0, data[:half], storage=ns.storage,
                    settings=db, now=NOW, meta=META)
    # The connection dropped after the server stored the chunk; the phone sends it again.
    await put_chunk(ns.server, "photo-0001", 0, data[:half], storage=ns.storage,
                    settings=db, now=NOW, meta=META)
    with pytest.raises(Conflict) as differs:
        await put_chunk(ns.server, "photo-0001", 0, b"x" * half, storage=ns.storage,
                        settings=db, now=NOW, meta=META)
    assert differs.value.code == "chunk_mismatch"
    with pytest.raises(Conflict) as gap:
        await put_chunk(ns.server, "photo-0001", half + 10, data[half + 10:], storage=ns.storage,
                        settings=db, now=NOW, meta=META)
    assert gap.value.details == {"received": half}
    done = await put_chunk(ns.server, "photo-0001", half, data[half:], storage=ns.storage,
                           settings=db, now=NOW, meta=META)
    assert done.state.value == "complete" and done.evidence_id
    await put_chunk(ns.server, "photo-0001", half, data[half:], storage=ns.storage,
                    settings=db, now=NOW, meta=META)
    assert await Capture.filter(attempt_id=ns.task.id).count() == 1
    assert await Evidence.filter(attempt_id=ns.task.id).count() == 1
    assert await CaptureChunk.all().count() == 0
    event = await Event.get(type="task.evidence_added")
    assert event.data["sha256"] == digest and event.data["flags"] == ["no_gps", "clock_off"]
    with pytest.raises(Conflict):   # the same id for other bytes
        await start_upload(ns.server, ns.task.id, UploadStart("photo-0001", CaptureKind.SITE_PHOTO, "b.jpg", 10,
                                                              "0" * 64), max_evidence_bytes=db.max_evidence_bytes,
                           now=NOW)


async def test_bad_captures_are_refused_with_nothing_stored(db):
    ns = await inperson_tasks(db, channel="field")
    not_image = b"hello, not an image" * 20
    with pytest.raises(ValidationFailed):
        await upload(ns, db, CaptureKind.SITE_PHOTO, not_image, "现场.jpg")
    assert await Evidence.filter(attempt_id=ns.task.id).count() == 0
    with pytest.raises(PayloadTooLarge):
        await start_upload(ns.server, ns.task.id, UploadStart("video-0001", CaptureKind.VIDEO, "v.mp4",
                                                              500 * 1024 * 1024, "0" * 64),
                           max_evidence_bytes=db.max_evidence_bytes, now=NOW)
    with pytest.raises(ValidationFailed):   # a witness photo names its witness
        await upload(ns, db, CaptureKind.WITNESS_PHOTO, jpeg(), "见证.jpg")
    data = jpeg()
    with pytest.raises(Conflict) as digest:  # declared one digest, sent other bytes
        await start_upload(ns.server, ns.task.id, UploadStart("photo-0002", CaptureKind.SITE_PHOTO, "a.jpg",
                                                              len(data), "a" * 64),
                           max_evidence_bytes=db.max_evidence_bytes, now=NOW)
        await put_chunk(ns.server, "photo-0002", 0, data, storage=ns.storage,
                        settings=db, now=NOW, meta=META)
    assert digest.value.code == "upload_digest_mismatch"
    with pytest.raises(NotFound):   # someone else's upload is not theirs to continue
        await put_chunk(ns.other, "photo-0002", 0, data, storage=ns.storage,
                        settings=db, now=NOW, meta=META)
    with pytest.raises(NotFound):   # nor may they upload to a task that is not theirs
        await start_upload(ns.other, ns.task.id, UploadStart("photo-0003", CaptureKind.SITE_PHOTO, "a.jpg",
                                                             len(data), hashlib.sha256(data).hexdigest()),
                           max_evidence_bytes=db.max_evidence_bytes, now=NOW)


async def test_lodged_needs_a_witness_or_photo_and_then_gives_a_sealed_receipt(db):
    ns = await inperson_tasks(db, channel="field")
    await arrive(ns.server, ns.task.id, Position(30.1, 110.2, 5.0, NOW), now=NOW, meta=META)
    lodged = FieldClosing(Outcome.SERVED, ServiceMethod.LODGED, NOW - timedelta(minutes=5),
                          refusal_reason="当事人称不认可判决，拒绝签收")
    with pytest.raises(ValidationFailed) as refused:
        await close_field_task(ns.server, ns.task.id, lodged, now=NOW, meta=META)
    assert "第89条" in refused.value.message
    await upload(ns, db, CaptureKind.WITNESS_PHOTO, jpeg(), "见证.jpg", witness_name="张村委")
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.LODGED, NOW - timedelta(minutes=5),
                           refusal_reason="当事人称不认可判决，拒绝签收", witness_name="张村委",
                           witness_role="村民委员会委员")
    closed, receipt = await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    assert (closed.status, closed.method, closed.effect_rule) == (TaskStatus.CLOSED, ServiceMethod.LODGED, RULE_LODGED)
    sealer = Sealer.from_settings(db)
    sealed = await seal_task_receipt(receipt.id, sealer=sealer, storage=ns.storage, settings=db, now=NOW)
    pdf = ns.storage.get(sealed.pdf_sha256)
    assert (await sealer.check_async(pdf)).ok
    document = pypdfium2.PdfDocument(pdf)
    save_pages(document, "receipt-lodged")
    text = "".join(page.get_textpage().get_text_range() for page in document)
    for expected in ("留置送达", "张村委", "拒绝签收", "民事诉讼法第89条", "见证照片"):
        assert expected in text


async def test_lodged_service_of_a_mediation_document_is_refused(db):
    ns = await inperson_tasks(db, channel="field", kind=DocumentKind.MEDIATION)
    await upload(ns, db, CaptureKind.SITE_PHOTO, jpeg(), "现场.jpg")
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.LODGED, NOW, refusal_reason="拒收")
    with pytest.raises(ValidationFailed) as refused:
        await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    assert refused.value.code == "not_effective_in_law" and "调解书" in refused.value.message
    assert (await Attempt.get(id=ns.task.id)).status is TaskStatus.ASSIGNED
    assert not await InPersonRecord.filter(attempt_id=ns.task.id).exists()   # nothing half-stored


async def test_direct_to_a_family_member_needs_their_relation_and_signature(db):
    ns = await inperson_tasks(db, channel="field")
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.DIRECT, NOW, collector=Collector.FAMILY,
                           collector_name="王大明")
    with pytest.raises(ValidationFailed) as refused:
        await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    fields = {p["field"] for p in refused.value.details}
    assert fields == {"relation", "signature"}
    await upload(ns, db, CaptureKind.SIGNATURE, signature_png(), "签名.png")
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.DIRECT, NOW, collector=Collector.FAMILY,
                           collector_name="王大明", relation="父亲")
    closed, receipt = await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    assert closed.method is ServiceMethod.DIRECT and receipt is not None
    with pytest.raises(Forbidden):
        await close_field_task(ns.clerk, ns.task.id, closing, now=NOW, meta=META)


async def test_a_witness_signature_witnesses_but_does_not_sign_for_the_recipient(db):
    ns = await inperson_tasks(db, channel="field")
    await upload(ns, db, CaptureKind.SIGNATURE, signature_png(), "见证签名.png", witness_name="李主任")
    direct = FieldClosing(Outcome.SERVED, ServiceMethod.DIRECT, NOW)
    with pytest.raises(ValidationFailed) as refused:
        await close_field_task(ns.server, ns.task.id, direct, now=NOW, meta=META)
    assert {p["field"] for p in refused.value.details} == {"signature"}
    with pytest.raises(ValidationFailed):   # only witness photos and signatures name a witness
        await upload(ns, db, CaptureKind.SITE_PHOTO, jpeg(), "现场.jpg", witness_name="李主任")
    lodged = FieldClosing(Outcome.SERVED, ServiceMethod.LODGED, NOW, refusal_reason="拒收",
                          witness_name="李主任", witness_role="所在单位人事部门负责人")
    closed, _ = await close_field_task(ns.server, ns.task.id, lodged, now=NOW, meta=META)
    record = await InPersonRecord.get(attempt_id=closed.id)
    assert record.identity_proof["witnessed"] is True and record.signature_sha256


async def test_a_video_travels_in_chunks_and_records_a_lodged_service(db):
    ns = await inperson_tasks(db, channel="field")
    video = tiny_mp4()
    start = UploadStart("video-0001", CaptureKind.VIDEO, "留置过程.mp4", len(video), hashlib.sha256(video).hexdigest(),
                        Position(24.3, 109.4, 20.0, NOW))
    await start_upload(ns.server, ns.task.id, start, max_evidence_bytes=db.max_evidence_bytes, now=NOW)
    step = 256 * 1024
    for offset in range(0, len(video), step):
        done = await put_chunk(ns.server, "video-0001", offset, video[offset:offset + step], storage=ns.storage,
                               settings=db, now=NOW, meta=META)
    assert done.state.value == "complete"
    assert (await Evidence.get(id=done.evidence_id)).content_type == "video/mp4"
    with pytest.raises(ValidationFailed) as photo_as_video:
        await upload(ns, db, CaptureKind.VIDEO, jpeg(), "not-a-video.jpg")
    assert photo_as_video.value.code == "capture_kind_mismatch"
    closing = FieldClosing(Outcome.SERVED, ServiceMethod.LODGED, NOW, refusal_reason="闭门不见")
    closed, receipt = await close_field_task(ns.server, ns.task.id, closing, now=NOW, meta=META)
    assert closed.method is ServiceMethod.LODGED and receipt is not None

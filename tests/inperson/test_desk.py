"""来院领取: finding the pickup task, checking who is there, and the sealed receipt that says
直接送达（来院领取）."""
from __future__ import annotations

from types import SimpleNamespace

import pypdfium2
import pytest

from audit.models import Event
from core.errors import Conflict, Forbidden, ValidationFailed
from inperson.choices import Collector
from inperson.desk import DeskVisit, find_pickups, serve_at_desk
from inperson.models import Capture, InPersonRecord
from inperson.receipt import seal_task_receipt
from receipts.seal import Sealer
from service.choices import ServiceMethod, ServiceStatus, TaskStatus
from service.legal_effect import RULE_DIRECT
from service.models import Attempt, Service
from tests.centre.helpers import centre_people
from tests.centre.media import jpeg
from tests.factories import resident_id, signature_png
from tests.inperson.helpers import META, NOW, inperson_tasks, save_pages


def visit(ns, **overrides) -> DeskVisit:
    values = dict(collector=Collector.RECIPIENT, name=ns.recipient.name, id_number=ns.id_number,
                  live_photo=jpeg((320, 240)), fingerprint=jpeg((120, 160)), signature_png=signature_png(),
                  handed_on_paper=True, pushed_to_phone=True)
    values.update(overrides)
    return DeskVisit(**values)


async def test_the_desk_finds_the_pickup_by_case_number_name_or_id(db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)
    case_number = (await Service.get(id=ns.service.id).prefetch_related("case")).case.case_number
    for query in ({"case_number": case_number}, {"name": ns.recipient.name}, {"id_number": ns.id_number}):
        found = await find_pickups(ns.dispatcher, settings=db, **query)
        assert [r.attempt_id for r in found] == [ns.task.id], query
    assert await find_pickups(ns.dispatcher, settings=db, id_number=resident_id()) == []
    assert await find_pickups(ns.dispatcher, settings=db, qr="https://x/s/nosuchtoken") == []
    with pytest.raises(ValidationFailed):
        await find_pickups(ns.dispatcher, settings=db)
    with pytest.raises(Forbidden):
        await find_pickups(ns.clerk, settings=db, name=ns.recipient.name)


async def test_a_wrong_id_number_or_name_is_refused_and_nothing_is_stored(db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)
    for wrong in (dict(id_number=resident_id()), dict(name="李四")):
        with pytest.raises(ValidationFailed) as refused:
            await serve_at_desk(ns.dispatcher, ns.task.id, visit(ns, **wrong), settings=db, storage=ns.storage,
                                face=None, now=NOW, meta=META)
        assert refused.value.code == "identity_mismatch"
    assert (await Attempt.get(id=ns.task.id)).status is TaskStatus.UNASSIGNED
    assert await Capture.all().count() == 0


async def test_an_agent_needs_the_authorisation_letter(db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)
    agent = dict(collector=Collector.AGENT, name="赵律师", id_number=resident_id(), relation="委托代理人（律师）")
    with pytest.raises(ValidationFailed) as refused:
        await serve_at_desk(ns.dispatcher, ns.task.id, visit(ns, **agent), settings=db, storage=ns.storage,
                            face=None, now=NOW, meta=META)
    assert refused.value.code == "authorisation_required"
    closed, receipt = await serve_at_desk(ns.dispatcher, ns.task.id, visit(ns, authorisation=jpeg(), **agent),
                                          settings=db, storage=ns.storage, face=None, now=NOW, meta=META)
    record = await InPersonRecord.get(attempt_id=closed.id)
    assert (record.collector, record.collector_name) == (Collector.AGENT, "赵律师")
    assert record.identity_proof["authorisation"] is True


async def test_a_face_mismatch_is_refused(db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)

    async def different(reference, selfie):
        return SimpleNamespace(matched=False, distance=0.71, threshold=0.45)

    with pytest.raises(ValidationFailed) as refused:
        await serve_at_desk(ns.dispatcher, ns.task.id, visit(ns, id_portrait=jpeg()), settings=db,
                            storage=ns.storage, face=different, now=NOW, meta=META)
    assert refused.value.code == "face_mismatch"


async def test_pickup_closes_direct_and_the_sealed_receipt_says_so(db):
    ns = await inperson_tasks(db, channel="pickup", assign=False)

    async def same(reference, selfie):
        return SimpleNamespace(matched=True, distance=0.31, threshold=0.45)

    closed, receipt = await serve_at_desk(ns.server, ns.task.id, visit(ns, id_portrait=jpeg()), settings=db,
                                          storage=ns.storage, face=same, now=NOW, meta=META)
    assert (closed.status, closed.method, closed.assignee_id, closed.effect_rule) == (
        TaskStatus.CLOSED, ServiceMethod.DIRECT, ns.server.staff_id, RULE_DIRECT)
    assert (await Service.get(id=ns.service.id)).status is ServiceStatus.COMPLETED
    assert await Event.filter(type="task.identity_verified").count() == 1
    assert await Capture.filter(attempt_id=closed.id).count() == 4
    with pytest.raises(Conflict):
        await serve_at_desk(ns.server, ns.task.id, visit(ns), settings=db, storage=ns.storage, face=None,
                            now=NOW, meta=META)
    sealer = Sealer.from_settings(db)
    sealed = await seal_task_receipt(receipt.id, sealer=sealer, storage=ns.storage, settings=db, now=NOW)
    pdf = ns.storage.get(sealed.pdf_sha256)
    assert (await sealer.check_async(pdf)).ok
    document = pypdfium2.PdfDocument(pdf)
    save_pages(document, "receipt-pickup")
    text = "".join(page.get_textpage().get_text_range() for page in document)
    for expected in ("直接送达（来院领取）", ns.recipient.name, "人脸比对通过", "指印", "民事诉讼法第87条"):
        assert expected in text, expected
    images = [o for page in document for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(images) >= 2      # the signature and the photo thumbnail
    assert await Event.filter(type="task.receipt_ready").count() == 1
    # The case's 送达报告 lists the pickup with its method and this receipt's number.
    from receipts.service_report import report_rows
    from service.models import Case
    rows = await report_rows(await Case.get(id=ns.service.case_id))
    [pickup] = [r for r in rows if r.channel == "来院领取"]
    assert (pickup.receipt_no, pickup.result) == (receipt.receipt_no, "送达成功（直接送达（签收））")


async def test_the_notice_qr_code_finds_the_recipients_pickup(db):
    from datetime import datetime, timezone

    from service.models import Delivery
    from service.notices import create_short_link
    from tests.factories import make_court, make_service

    court = await make_court()
    dispatcher = (await centre_people(db, court))[0]
    service, people, _ = await make_service(court, db, channels=["sms", "pickup"])
    token = await create_short_link(await Delivery.get(recipient_id=people[0].id), now=datetime.now(timezone.utc))
    task = await Attempt.get(service_id=service.id, channel="pickup")
    for scanned in (token, f"https://songda.example/s/{token}"):
        found = await find_pickups(dispatcher, settings=db, qr=scanned)
        assert [r.attempt_id for r in found] == [task.id]


async def test_the_sweep_seals_a_receipt_the_request_left_behind(db):
    from datetime import timedelta

    from inperson.choices import TaskReceiptStatus
    from inperson.models import TaskReceipt
    from inperson.receipt import seal_pending_task_receipts

    ns = await inperson_tasks(db, channel="pickup", assign=False)
    _, receipt = await serve_at_desk(ns.dispatcher, ns.task.id, visit(ns), settings=db, storage=ns.storage,
                                     face=None, now=NOW, meta=META)
    sealer = Sealer.from_settings(db)
    assert await seal_pending_task_receipts(sealer=sealer, storage=ns.storage, settings=db, now=NOW) == 0   # the request's turn
    later = NOW + timedelta(minutes=2)
    assert await seal_pending_task_receipts(sealer=sealer, storage=ns.storage, settings=db, now=later) == 1
    assert (await TaskReceipt.get(id=receipt.id)).status is TaskReceiptStatus.SEALED

"""Return cards: scans matched by the code on each card (or kept for a person), confirmation
closing the task with the effect the law gives."""
from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter

from centre.models import Evidence
from core.errors import Conflict, ValidationFailed
from mail.batches import create_print_batches, print_pdf
from mail.cards import CardFacts, confirm_card, match_scan, unmatched_scans, upload_scans
from mail.models import MailItem, ReturnScan
from service.choices import FailureReason, MailReturn, MailSigner, Outcome, ServiceMethod, TaskStatus
from service.legal_effect import RULE_MAIL_RETURNED, RULE_MAIL_SIGNER
from service.models import Attempt
from tests.mail.helpers import LIUZHOU, META, NOW, mail_tasks

MAX = 10 * 1024 * 1024


async def _printed(db, count=3):
    people, tasks, storage = await mail_tasks(db, [LIUZHOU.format(n=n) for n in range(count)])
    [batch] = await create_print_batches(people[1], [t.id for t in tasks], settings=db, now=NOW, meta=META)
    data = await print_pdf(people[1], batch.id, storage=storage, settings=db, base_url="https://songda.example", now=NOW)
    items = await MailItem.filter(batch_id=batch.id).order_by("id")
    return people, items, storage, data


def _card_pages(data: bytes, items) -> list[int]:
    """Index of each item's card in the print PDF (cover 2 pages, then each item's set)."""
    indexes, start = [], 2
    for item in items:
        indexes.append(start + item.pages - 2)
        start += item.pages
    return indexes


def _png(data: bytes, index: int) -> bytes:
    image = pdfium.PdfDocument(data)[index].render(scale=150 / 72).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _pdf_of(data: bytes, indexes: list[int]) -> bytes:
    reader, writer = PdfReader(io.BytesIO(data)), PdfWriter()
    for index in indexes:
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_scans_are_matched_by_code_and_unreadable_pages_kept(db):
    (_, server, _, _), items, storage, data = await _printed(db)
    cards = _card_pages(data, items)
    [one] = await upload_scans(server, _png(data, cards[0]), "card.png", court_id=items[0].court_id,
                               storage=storage, max_bytes=MAX, now=NOW)
    assert (one.item_id, one.code_read) == (items[0].id, items[0].code)
    batch = _pdf_of(data, [cards[1], 0, cards[2]])        # two cards and the cover sheet (no code)
    scans = await upload_scans(server, batch, "cards.pdf", court_id=items[0].court_id, storage=storage,
                               max_bytes=MAX, now=NOW)
    assert [(s.page, s.item_id) for s in scans] == [(1, items[1].id), (2, None), (3, items[2].id)]
    assert [s.id for s in await unmatched_scans(server)] == [scans[1].id]
    with pytest.raises(ValidationFailed):
        await match_scan(server, scans[1].id, "not a code")
    matched = await match_scan(server, scans[1].id, items[2].code)
    assert matched.item_id == items[2].id
    with pytest.raises(Conflict):
        await match_scan(server, scans[1].id, items[2].code)
    with pytest.raises(ValidationFailed):
        await upload_scans(server, b"%PDF-not really", "x.pdf", court_id=items[0].court_id, storage=storage,
                           max_bytes=MAX, now=NOW)


async def test_confirming_a_card_signed_by_family_serves_on_its_date_with_the_scan_as_evidence(db):
    (_, server, _, _), items, storage, data = await _printed(db, 1)
    received = NOW - timedelta(hours=12)
    facts = CardFacts(received_at=received, signer=MailSigner.FAMILY, signer_name="王大明")
    with pytest.raises(ValidationFailed) as no_scan:
        await confirm_card(server, items[0].id, facts, storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    assert no_scan.value.code == "card_scan_missing"
    await upload_scans(server, _png(data, _card_pages(data, items)[0]), "card.png", court_id=items[0].court_id,
                       storage=storage, max_bytes=MAX, now=NOW)
    with pytest.raises(ValidationFailed):
        await confirm_card(server, items[0].id, CardFacts(received_at=received), storage=storage, max_bytes=MAX, settings=db,
                           now=NOW, meta=META)
    closed = await confirm_card(server, items[0].id, facts, storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    assert (closed.status, closed.outcome, closed.method) == (TaskStatus.CLOSED, Outcome.SERVED, ServiceMethod.MAIL)
    assert closed.effective_at == received and RULE_MAIL_SIGNER in closed.effect_rule
    assert await Evidence.filter(attempt_id=closed.id).count() == 1
    item = await MailItem.get(id=items[0].id)
    assert (item.card_signer, item.signer_name, item.confirmed_by_id) == (MailSigner.FAMILY, "王大明", server.staff_id)
    with pytest.raises(Conflict):
        await confirm_card(server, items[0].id, facts, storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)


async def test_returned_mail_serves_when_refused_and_fails_otherwise(db):
    (_, server, other, _), items, storage, data = await _printed(db, 2)
    for index in _card_pages(data, items):
        await upload_scans(server, _png(data, index), "back.png", court_id=items[0].court_id, storage=storage,
                           max_bytes=MAX, now=NOW)
    back = NOW - timedelta(hours=6)
    refused = await confirm_card(server, items[0].id, CardFacts(returned_at=back, return_reason=MailReturn.REFUSED),
                                 storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    assert (refused.outcome, refused.effective_at, refused.effect_rule) == (Outcome.SERVED, back, RULE_MAIL_RETURNED)
    failed = await confirm_card(server, items[1].id, CardFacts(returned_at=back, return_reason=MailReturn.NO_SUCH_PERSON,
                                                               address_confirmed=True),
                                storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    assert (failed.outcome, failed.failure_reason) == (Outcome.FAILED, FailureReason.NO_SUCH_PERSON)
    assert "不能视为送达" in failed.failure_text
    # 查无此人: the address is invalid in the address book (地址库); a refusal says nothing about it.
    from addresses.choices import AddressSource, AddressStatus
    from addresses.models import Address
    [returned] = await Address.filter(source=AddressSource.RETURNED_MAIL)
    assert returned.status is AddressStatus.INVALID and returned.evidence == {"mail_item_id": items[1].id}
    assert returned.invalid_reason == "邮件退回：查无此人"
    assert await ReturnScan.filter(item_id=items[1].id).count() == 1
    assert (await Attempt.get(id=items[1].attempt_id)).status is TaskStatus.CLOSED


async def test_a_dispatcher_confirming_an_unassigned_task_takes_it_and_a_clerk_cannot(db):
    (dispatcher, server, _, clerk), tasks, storage = await mail_tasks(db, [LIUZHOU.format(n=1)], assign=False)
    [batch] = await create_print_batches(dispatcher, [tasks[0].id], settings=db, now=NOW, meta=META)
    data = await print_pdf(dispatcher, batch.id, storage=storage, settings=db, base_url="https://songda.example", now=NOW)
    [item] = await MailItem.filter(batch_id=batch.id)
    await upload_scans(dispatcher, _png(data, _card_pages(data, [item])[0]), "card.png", court_id=item.court_id,
                       storage=storage, max_bytes=MAX, now=NOW)
    facts = CardFacts(received_at=NOW - timedelta(hours=1), signer=MailSigner.RECIPIENT, signer_name="王小明")
    from core.errors import Forbidden
    with pytest.raises(Forbidden):
        await confirm_card(clerk, item.id, facts, storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    closed = await confirm_card(dispatcher, item.id, facts, storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    assert (closed.assignee_id, closed.outcome) == (dispatcher.staff_id, Outcome.SERVED)


async def test_the_mail_report_states_waybill_timeline_scan_and_rule(db):
    from mail.carriers.dev import DevCarrier
    from mail.report import mail_report
    from mail.tracking import enter_waybill, poll_tracking
    (_, server, _, _), items, storage, data = await _printed(db, 1)
    await enter_waybill(server, items[0].id, "EA123456781CN", now=NOW - timedelta(days=3), meta=META)
    carrier = DevCarrier()
    await poll_tracking(carrier, now=NOW - timedelta(days=3))
    await poll_tracking(carrier, now=NOW)
    await upload_scans(server, _png(data, _card_pages(data, items)[0]), "card.png", court_id=items[0].court_id,
                       storage=storage, max_bytes=MAX, now=NOW)
    await confirm_card(server, items[0].id, CardFacts(received_at=NOW - timedelta(hours=2),
                                                      signer=MailSigner.DESIGNATED, signer_name="张代收"),
                       storage=storage, max_bytes=MAX, settings=db, now=NOW, meta=META)
    attempt = await Attempt.get(id=items[0].attempt_id)
    [row] = await mail_report(attempt.service_id)
    assert (row.waybill, row.status, row.signer) == ("EA123456781CN", "已妥投", "张代收（受送达人指定的代收人）")
    assert [line.status for line in row.timeline] == ["已收寄", "运输中", "派送中", "已妥投"]
    assert len(row.scan_sha256) == 1 and row.effect_rule == RULE_MAIL_SIGNER
    assert await mail_report(attempt.service_id, recipient_id=attempt.recipient_id) == [row]
    assert await mail_report(attempt.service_id, recipient_id=attempt.recipient_id + 1000) == []
    # The case's 送达报告 carries the same: waybill, signer and scan under 邮寄送达报告.
    from receipts.service_report import case_report_pdf
    from service.models import Case, Court, Service
    service = await Service.get(id=attempt.service_id)
    case, court = await Case.get(id=service.case_id), await Court.get(id=service.court_id)
    pdf = pdfium.PdfDocument(await case_report_pdf(court, case, generated_at=NOW))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).replace("\r\n", "")
    assert "邮寄送达报告" in text and "EA123456781CN" in text and "张代收" in text
    assert row.scan_sha256[0][:16] in text

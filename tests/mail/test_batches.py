"""Print batches: grouping by destination, prices, refusals as a whole, the print PDF's content
(page counts, duplex blanks, the QR's short link, the card's codes) and the manifest."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from core.errors import Conflict, NotFound, ValidationFailed
from mail.batches import create_print_batches, manifest_csv, manifest_json, manifest_rows, print_pdf
from mail.choices import PriceBand
from mail.models import MailItem, PrintBatch
from service.models import Recipient
from service.notices import linked_delivery
from tests.mail.helpers import BEIHAI, GUANGZHOU, LIUZHOU, META, NOW, mail_tasks


async def test_batches_group_by_destination_and_price_by_band(db):
    (dispatcher, server, _, clerk), tasks, _ = await mail_tasks(
        db, [LIUZHOU.format(n=1), BEIHAI.format(n=2), GUANGZHOU.format(n=3), LIUZHOU.format(n=4)])
    batches = await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    assert sorted((b.destination, b.item_count) for b in batches) == [
        ("广东省 广州市", 1), ("广西壮族自治区 北海市", 1), ("广西壮族自治区 柳州市", 2)]
    bands = {i.attempt_id: (i.band, i.postage_fen, i.printing_fen) for i in await MailItem.all()}
    assert bands[tasks[0].id] == (PriceBand.SAME_CITY, 2000, 800)
    assert bands[tasks[1].id] == (PriceBand.SAME_PROVINCE, 3000, 800)
    assert bands[tasks[2].id] == (PriceBand.OTHER_PROVINCE, 4000, 800)
    with pytest.raises(Conflict) as again:
        await create_print_batches(server, [tasks[0].id], settings=db, now=NOW, meta=META)
    assert "已编入打印批次" in again.value.message


async def test_a_selection_with_a_bad_task_is_refused_whole(db):
    (dispatcher, server, other, _), tasks, _ = await mail_tasks(db, [LIUZHOU.format(n=1), "火星基地1号"])
    with pytest.raises(ValidationFailed) as unplaced:
        await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    assert "无法识别省、市" in unplaced.value.message and str(tasks[1].id) in unplaced.value.message
    with pytest.raises(NotFound):
        await create_print_batches(other, [tasks[0].id], settings=db, now=NOW, meta=META)   # not their task
    with pytest.raises(ValidationFailed):
        await create_print_batches(server, [], settings=db, now=NOW, meta=META)
    assert await PrintBatch.all().count() == 0 and await MailItem.all().count() == 0


def _codes(pdf: pdfium.PdfDocument, index: int) -> set[str]:
    image = pdf[index].render(scale=2).to_pil()
    return {r.text for r in zxingcpp.read_barcodes(image)}


async def test_print_pdf_holds_notice_documents_card_with_duplex_blanks(db):
    (_, server, _, _), tasks, storage = await mail_tasks(db, [LIUZHOU.format(n=1), LIUZHOU.format(n=2)], documents=2)
    [batch] = await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    data = await print_pdf(server, batch.id, storage=storage, settings=db, base_url="https://songda.example", now=NOW)
    reader = PdfReader(io.BytesIO(data))
    items = await MailItem.filter(batch_id=batch.id).order_by("id")
    doc_pages = PdfReader(io.BytesIO(storage.get(
        (await _first_document(tasks[0])).sha256))).get_num_pages()
    padded = doc_pages + doc_pages % 2
    per_item = 2 + 2 * padded + 2            # notice + blank, two documents, card + blank
    assert [i.pages for i in items] == [per_item, per_item]
    assert len(reader.pages) == 2 + 2 * per_item == (await PrintBatch.get(id=batch.id)).page_count
    assert len(reader.pages) % 2 == 0
    assert "集中打印批次" in reader.pages[0].extract_text()
    assert reader.pages[1].extract_text().strip() == ""                     # the cover's blank back
    rendered = pdfium.PdfDocument(data)
    notice = _codes(rendered, 2)
    [link] = notice
    assert urlsplit(link).path.startswith("/s/")
    recipient = await Recipient.get(id=tasks[0].recipient_id)
    assert (await linked_delivery(urlsplit(link).path.rsplit("/", 1)[-1]))[1] == recipient.id
    assert reader.pages[3].extract_text().strip() == ""                     # the notice's blank back
    card = 2 + per_item - 2
    assert "送达回证" in reader.pages[card].extract_text()
    assert _codes(rendered, card) == {items[0].code}                         # barcode and QR say the same
    # A second download is the stored file: the same bytes, no new links.
    assert await print_pdf(server, batch.id, storage=storage, settings=db, base_url="https://songda.example", now=NOW) == data


async def _first_document(task):
    from documents.models import Document
    from service.models import ServiceDocument
    row = await ServiceDocument.filter(service_id=task.service_id).order_by("position").first()
    return await Document.get(id=row.document_id)


async def test_manifest_has_a_waybill_row_per_item_in_csv_and_json(db):
    (_, server, _, _), tasks, storage = await mail_tasks(db, [GUANGZHOU.format(n=1), GUANGZHOU.format(n=2)])
    [batch] = await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    await print_pdf(server, batch.id, storage=storage, settings=db, base_url="https://songda.example", now=NOW)
    rows = await manifest_rows(server, batch.id, settings=db)
    parsed = list(csv.DictReader(io.StringIO(manifest_csv(rows).decode("utf-8-sig"))))
    assert [r["code"] for r in parsed] == [i.code for i in await MailItem.filter(batch_id=batch.id).order_by("id")]
    assert parsed[0]["address"] == GUANGZHOU.format(n=1) and parsed[0]["band"] == "省外" and parsed[0]["waybill"] == ""
    assert int(parsed[0]["pages"]) > 0 and "*" in parsed[0]["phone_masked"]
    body = json.loads(manifest_json(await PrintBatch.get(id=batch.id), rows))
    assert body["item_count"] == 2 and len(body["items"]) == 2


async def test_a_large_selection_is_cut_into_batches_of_max_items(db, monkeypatch):
    import mail.batches
    monkeypatch.setattr(mail.batches, "MAX_ITEMS", 2)
    (_, server, _, _), tasks, _ = await mail_tasks(db, [LIUZHOU.format(n=n) for n in range(5)])
    made = await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    assert [b.item_count for b in made] == [2, 2, 1]
    assert await MailItem.all().count() == 5
    from audit.models import Event
    assert await Event.filter(type="mail.printed").count() == 5

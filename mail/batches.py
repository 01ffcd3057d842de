"""打印批次: selected mail tasks become mail items, grouped by destination (province, city) for
目的地集中打印, at most ``MAX_ITEMS`` to a batch; each batch has its print PDF and a manifest
(CSV and JSON) the postal print partner takes, one waybill data row per item.

All or nothing: a selection with a task that is not an open mail task of the caller, already
printed, or whose address names no province is refused as a whole with the tasks named.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta, announce, event_row
from centre.scope import Scope
from core.errors import Conflict, NotFound, ValidationFailed
from core.settings import Settings
from core.sql import insert_rows
from documents.models import Document
from documents.storage import Storage
from identity.pii import PiiCipher
from identity.pii_keys import pii_cipher
from mail.costs import band_of, place_of, prices_of
from mail.models import MailItem, PrintBatch
from mail.printing import MAX_ITEMS, PrintDocument, PrintItem, render_batch
from service.choices import Channel, TaskStatus
from service.models import Attempt, Case, Court, Delivery, Recipient, Service, ServiceDocument
from service.notices import create_short_link
from service.recipient_address import open_address

MAX_SELECTION = 5000
MANIFEST_FIELDS = ("batch_id", "seq", "code", "case_number", "recipient", "phone_masked", "address", "destination",
                   "documents", "pages", "sheets", "band", "carrier", "waybill")
# A recipient with an electronic delivery gets a short link to it; others the portal's address.
_LINK_CHANNELS = (Channel.SMS, Channel.PORTAL, Channel.WECHAT)


def batch_filter(scope: Scope) -> dict:
    return {"court_id": scope.court_id} if scope.court_id is not None else {"centre_id": scope.centre_id}


def new_code() -> str:
    """The item's code on the 送达回证: YJ + 10 random digits (not guessable from another item's)."""
    return f"YJ{secrets.randbelow(10**10):010d}"


async def create_print_batches(scope: Scope, attempt_ids: list[int], *, settings: Settings, now: datetime,
                               meta: RequestMeta) -> list[PrintBatch]:
    ids = sorted(set(attempt_ids))
    if not ids:
        raise ValidationFailed("请选择要打印的邮寄任务", code="no_tasks_selected")
    if len(ids) > MAX_SELECTION:
        raise ValidationFailed(f"一次最多选择{MAX_SELECTION}件邮寄任务", code="too_many_tasks")
    if any(not 0 < i < 2**31 for i in ids):
        raise ValidationFailed("任务编号无效", code="task_id_invalid")
    attempts = await Attempt.filter(id__in=ids, channel=Channel.MAIL, delivery_id=None,
                                    **scope.attempt_filter()).order_by("id")
    missing = sorted(set(ids) - {a.id for a in attempts})
    if missing:
        raise NotFound(f"任务 {_names(missing)} 不存在或不是您可办理的邮寄任务，全部未编入批次")
    closed = [a.id for a in attempts if a.status is TaskStatus.CLOSED]
    if closed:
        raise Conflict(f"任务 {_names(closed)} 已办结，全部未编入批次", code="tasks_closed")
    printed = await MailItem.filter(attempt_id__in=ids).values_list("attempt_id", flat=True)
    if printed:
        raise Conflict(f"任务 {_names(sorted(printed))} 已编入打印批次，全部未编入", code="tasks_already_printed")
    cipher = pii_cipher(settings)
    places = {r.id: place_of(open_address(cipher, r))
              for r in await Recipient.filter(id__in=[a.recipient_id for a in attempts])}
    unplaced = [a.id for a in attempts if places[a.recipient_id] is None]
    if unplaced:
        raise ValidationFailed(f"任务 {_names(unplaced)} 的送达地址无法识别省、市，请核实地址后再打印",
                               code="address_unrecognised", details={"task_ids": unplaced})
    groups: dict[tuple[int, str], list[tuple[Attempt, object]]] = defaultdict(list)
    prices = {court_id: await prices_of(court_id) for court_id in {a.court_id for a in attempts}}
    origins = {}
    for court_id, table in prices.items():
        origins[court_id] = place_of(table.origin)
        if origins[court_id] is None:
            raise ValidationFailed("尚未设置法院所在地，无法计算邮费：请先在“邮寄价格表”中填写法院地址",
                                   code="origin_not_set")
    for attempt in attempts:
        place = places[attempt.recipient_id]
        groups[(attempt.court_id, place.label)].append((attempt, place))
    try:
        return await _create(scope, groups, prices, origins, now=now, meta=meta)
    except IntegrityError as exc:
        # Another person printed one of these tasks at the same moment (mail_item.attempt_id is unique).
        raise Conflict("部分任务刚被他人编入打印批次，全部未编入，请刷新后重试", code="tasks_already_printed") from exc


async def _create(scope: Scope, groups: dict, prices: dict, origins: dict, *, now: datetime,
                  meta: RequestMeta) -> list[PrintBatch]:
    batches = []
    async with in_transaction():
        for (court_id, destination), members in sorted(groups.items()):
            for start in range(0, len(members), MAX_ITEMS):
                chunk = members[start:start + MAX_ITEMS]
                batch = await PrintBatch.create(court_id=court_id, centre_id=chunk[0][0].centre_id,
                                                destination=destination, item_count=len(chunk),
                                                created_by_id=scope.staff_id, created_at=now)
                table = prices[court_id]
                items = [MailItem(attempt_id=a.id, batch_id=batch.id, court_id=court_id, code=new_code(),
                                  destination=destination, band=(band := band_of(origins[court_id], place)),
                                  postage_fen=table.postage_fen[band], printing_fen=table.printing_fen,
                                  created_at=now, updated_at=now) for a, place in chunk]
                await MailItem.bulk_create(items)
                # One statement for the batch's events, as centre/dispatch.py assigns a selection.
                events = await insert_rows([
                    event_row(EventType.MAIL_PRINTED, court_id=a.court_id, service_id=a.service_id,
                              recipient_id=a.recipient_id, actor=scope.actor, meta=meta,
                              data={"attempt_id": a.id, "batch_id": batch.id, "destination": destination})
                    for a, _ in chunk])
                for event in events:
                    await announce(event)
                batches.append(batch)
    return batches


def _names(ids: list[int]) -> str:
    return "、".join(map(str, ids[:10])) + ("等" if len(ids) > 10 else "")


async def batch_in_scope(scope: Scope, batch_id: int) -> PrintBatch:
    if not 0 < batch_id < 2**31:
        raise NotFound("打印批次不存在")
    batch = await PrintBatch.filter(id=batch_id, **batch_filter(scope)).first()
    if batch is None:
        raise NotFound("打印批次不存在")
    return batch


@dataclass(frozen=True)
class ItemFacts:
    """One item with what its envelope, forms and manifest row need."""

    item: MailItem
    print_item: PrintItem
    phone_masked: str


async def _facts(batch: PrintBatch, *, cipher: PiiCipher, base_url: str, now: datetime,
                 links: bool) -> list[ItemFacts]:
    """What goes on the envelope and into the print partner's manifest: the full address (the
    one place besides the receipt where it is needed in plaintext)."""
    items = await MailItem.filter(batch_id=batch.id).order_by("id")
    attempts = {a.id: a for a in await Attempt.filter(id__in=[i.attempt_id for i in items])}
    recipients = {r.id: r for r in await Recipient.filter(id__in=[a.recipient_id for a in attempts.values()])}
    services = {s.id: s for s in await Service.filter(id__in={a.service_id for a in attempts.values()})}
    cases = {c.id: c for c in await Case.filter(id__in={s.case_id for s in services.values()})}
    court = await Court.get(id=batch.court_id)
    docs: dict[int, tuple[PrintDocument, ...]] = {}
    for service_id in services:
        rows = await ServiceDocument.filter(service_id=service_id).order_by("position").values_list("document_id",
                                                                                                   flat=True)
        by_id = {d.id: d for d in await Document.filter(id__in=rows)}
        docs[service_id] = tuple(PrintDocument(by_id[i].title, by_id[i].sha256) for i in rows)
    facts = []
    for item in items:
        attempt = attempts[item.attempt_id]
        recipient = recipients[attempt.recipient_id]
        service = services[attempt.service_id]
        link = await _read_link(recipient.id, base_url, now) if links else ""
        facts.append(ItemFacts(item, PrintItem(
            code=item.code, court_name=court.name, court_phone=court.phone,
            case_number=cases[service.case_id].case_number, cause=cases[service.case_id].cause,
            recipient_name=recipient.name, address=open_address(cipher, recipient), read_link=link,
            documents=docs[service.id]), recipient.phone_masked))
    return facts


async def _read_link(recipient_id: int, base_url: str, now: datetime) -> str:
    """A new short link (service/notices.py) to the recipient's electronic delivery, so the QR on
    the notice opens the documents after the same identity check as the SMS link."""
    base = base_url.rstrip("/")
    deliveries = await Delivery.filter(recipient_id=recipient_id, channel__in=list(_LINK_CHANNELS))
    if not deliveries:
        return f"{base}/portal"
    delivery = min(deliveries, key=lambda d: _LINK_CHANNELS.index(d.channel))
    return f"{base}/s/{await create_short_link(delivery, now=now)}"


async def print_pdf(scope: Scope, batch_id: int, *, storage: Storage, settings: Settings, base_url: str,
                    now: datetime) -> bytes:
    """The batch's print PDF: rendered on first request (short links are created then, and only
    their hashes are kept, so the file itself is stored), read from storage after."""
    batch = await batch_in_scope(scope, batch_id)
    if batch.pdf_sha256:
        return storage.get(batch.pdf_sha256)
    facts = await _facts(batch, cipher=pii_cipher(settings), base_url=base_url, now=now, links=True)
    out = io.BytesIO()
    printed = await asyncio.to_thread(render_batch, f"{batch.id}", batch.destination,
                                      [f.print_item for f in facts], storage.get, out, now=now)
    data = out.getvalue()
    key, _ = storage.put(data)
    async with in_transaction():
        # Two first downloads at once: the first stored file wins, the other's is left to the
        # orphan sweep, so every download of a batch is the same file.
        if not await PrintBatch.filter(id=batch.id, pdf_sha256__isnull=True).update(
                pdf_sha256=key, page_count=printed.total_pages):
            return storage.get((await PrintBatch.get(id=batch.id)).pdf_sha256)
        for f in facts:
            await MailItem.filter(id=f.item.id).update(pages=printed.pages[f.item.code])
    return data


async def manifest_rows(scope: Scope, batch_id: int, *, settings: Settings) -> list[dict]:
    batch = await batch_in_scope(scope, batch_id)
    rows = []
    facts = await _facts(batch, cipher=pii_cipher(settings), base_url="", now=batch.created_at, links=False)
    for seq, f in enumerate(facts, 1):
        rows.append({"batch_id": batch.id, "seq": seq, "code": f.item.code,
                     "case_number": f.print_item.case_number, "recipient": f.print_item.recipient_name,
                     "phone_masked": f.phone_masked, "address": f.print_item.address,
                     "destination": f.item.destination,
                     "documents": "；".join(d.title for d in f.print_item.documents),
                     "pages": f.item.pages, "sheets": f.item.pages // 2, "band": f.item.band.label,
                     "carrier": f.item.carrier, "waybill": f.item.waybill or ""})
    return rows


def manifest_csv(rows: list[dict]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese columns right."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def manifest_json(batch: PrintBatch, rows: list[dict]) -> bytes:
    return json.dumps({"batch_id": batch.id, "destination": batch.destination, "item_count": batch.item_count,
                       "page_count": batch.page_count, "items": rows}, ensure_ascii=False, indent=1).encode("utf-8")

"""运单与物流跟踪: waybill numbers entered by scan or imported from the print partner's manifest,
and the logistics timeline the carrier reports (polled, and pushed by Kuaidi100).

A waybill belongs to one item: entering a number already on another item, or a second, different
number on an item, is refused; entering the same number on the same item again changes nothing.
A status never goes back (a late 运输 line after 派送 is kept in the timeline, the stage stays).
"""
from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from centre.scope import Scope
from centre.tasks import record_task_event
from core.errors import Conflict, NotFound, ValidationFailed
from mail.batches import batch_in_scope
from mail.carriers.carrier import Carrier, CarrierRejected, CarrierUnavailable, Tracking
from mail.choices import FINAL, STAGES, MailStatus
from mail.models import MailItem, TrackingEvent
from service.models import Attempt

log = logging.getLogger(__name__)
# EMS: 13 characters, two letters, nine digits, two letters (UPU S10), or 10–16 digits (domestic).
WAYBILL = re.compile(r"^(?:[A-Z]{2}\d{9}[A-Z]{2}|\d{10,16})$")
POLL_EVERY = timedelta(hours=2)
POLL_BATCH = 50
MAX_IMPORT_ROWS = 5000


def clean_waybill(text: str) -> str:
    waybill = re.sub(r"\s+", "", text or "").upper()
    if not WAYBILL.match(waybill):
        raise ValidationFailed("邮件单号格式不正确：应为13位EMS单号（如EA123456789CN）或10至16位数字",
                               code="waybill_invalid")
    return waybill


def item_filter(scope: Scope) -> dict:
    return scope.attempt_filter("attempt__")


async def item_in_scope(scope: Scope, item_id: int) -> MailItem:
    if not 0 < item_id < 2**31:
        raise NotFound("邮件不存在")
    item = await MailItem.filter(id=item_id, **item_filter(scope)).first()
    if item is None:
        raise NotFound("邮件不存在")
    return item


async def enter_waybill(scope: Scope, item_id: int, waybill: str, *, now: datetime, meta: RequestMeta) -> MailItem:
    """One waybill number, typed or scanned into the item's field."""
    waybill = clean_waybill(waybill)
    try:
        async with in_transaction():
            return await _set_waybill(scope, await item_in_scope(scope, item_id), waybill, now=now, meta=meta)
    except IntegrityError as exc:   # the same number entered on another item at the same moment
        raise Conflict(f"单号 {waybill} 刚被登记在其他邮件上", code="waybill_taken") from exc


async def _set_waybill(scope: Scope, item: MailItem, waybill: str, *, now: datetime, meta: RequestMeta) -> MailItem:
    if item.waybill == waybill:
        return item
    if item.waybill:
        raise Conflict(f"邮件 {item.code} 已登记单号 {item.waybill}，不能再登记 {waybill}", code="waybill_on_item")
    other = await MailItem.filter(waybill=waybill).exclude(id=item.id).first()
    if other is not None:
        raise Conflict(f"单号 {waybill} 已登记在邮件 {other.code} 上", code="waybill_taken")
    changed = await MailItem.filter(id=item.id, waybill__isnull=True).update(waybill=waybill, updated_at=now)
    if not changed:
        raise Conflict("该邮件的单号刚被他人登记，请刷新后核对", code="waybill_on_item")
    attempt = await Attempt.get(id=item.attempt_id)
    await record_task_event(EventType.MAIL_WAYBILL_ENTERED, attempt, scope, meta,
                            {"mail_item_id": item.id, "code": item.code, "waybill": waybill})
    item.waybill = waybill
    return item


async def import_waybills(scope: Scope, batch_id: int, data: bytes, *, now: datetime, meta: RequestMeta) -> int:
    """The print partner's manifest back with its ``waybill`` column filled: every row checked
    first, then all entered in one transaction (or none)."""
    batch = await batch_in_scope(scope, batch_id)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("文件不是UTF-8编码的CSV清单", code="manifest_encoding") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"code", "waybill"} <= set(reader.fieldnames):
        raise ValidationFailed("清单缺少 code 或 waybill 列（请使用本系统导出的清单）", code="manifest_columns")
    pairs: list[tuple[str, str]] = []
    problems: list[dict[str, str]] = []
    for line, row in enumerate(reader, 2):
        if line > MAX_IMPORT_ROWS + 1:
            raise ValidationFailed(f"清单最多{MAX_IMPORT_ROWS}行", code="manifest_too_long")
        code, raw = (row.get("code") or "").strip(), (row.get("waybill") or "").strip()
        if not raw:
            continue
        try:
            pairs.append((code, clean_waybill(raw)))
        except ValidationFailed as exc:
            problems.append({"field": f"第{line}行", "message": exc.message})
    seen: dict[str, str] = {}
    for code, waybill in pairs:
        if waybill in seen and seen[waybill] != code:
            problems.append({"field": waybill, "message": f"单号在清单中重复（邮件 {seen[waybill]}、{code}）"})
        seen[waybill] = code
    items = {i.code: i for i in await MailItem.filter(batch_id=batch.id, code__in=[c for c, _ in pairs])}
    problems += [{"field": code, "message": "该邮件编号不属于本批次"} for code, _ in pairs if code not in items]
    if problems:
        raise ValidationFailed("清单有误，未导入任何单号", code="manifest_invalid", details=problems[:50])
    try:
        async with in_transaction():
            for code, waybill in pairs:
                await _set_waybill(scope, items[code], waybill, now=now, meta=meta)
    except IntegrityError as exc:
        raise Conflict("清单中的单号刚被登记在其他邮件上，未导入任何单号", code="waybill_taken") from exc
    return len(pairs)


@dataclass(frozen=True)
class Recorded:
    added: int
    status: MailStatus


async def record_tracking(item: MailItem, tracking: Tracking, *, source: str, now: datetime) -> Recorded:
    """New timeline lines, and the item's stage moved forward (never back; a final stage stays)."""
    async with in_transaction():
        item = await MailItem.filter(id=item.id).select_for_update().first()
        known = {(e.at, e.text) for e in await TrackingEvent.filter(item_id=item.id)}
        fresh = [TrackingEvent(item_id=item.id, at=p.at, status=p.status, text=p.text, location=p.location,
                               source=source, created_at=now) for p in tracking.points if (p.at, p.text) not in known]
        if fresh:
            await TrackingEvent.bulk_create(fresh)
        latest = tracking.latest
        updates: dict = {"last_polled_at": now, "updated_at": now}
        if latest is not None and _forward(item.status, latest.status):
            updates["status"] = latest.status
            if latest.status is MailStatus.DELIVERED:
                updates |= {"delivered_at": latest.at, "signer_name": tracking.signer}
            elif latest.status is MailStatus.RETURNED:
                updates |= {"returned_at": latest.at, "return_text": latest.text[:200]}
        await MailItem.filter(id=item.id).update(**updates)
    return Recorded(len(fresh), updates.get("status", item.status))


def _forward(current: MailStatus, new: MailStatus) -> bool:
    if current in FINAL:
        return False
    if new in FINAL:
        return True
    return STAGES.index(new) > STAGES.index(current)


async def poll_tracking(carrier: Carrier, *, now: datetime, limit: int = POLL_BATCH) -> int:
    """Ask the carrier about items in the post that nobody asked about for ``POLL_EVERY``; one
    item's failure does not stop the others."""
    due = await MailItem.filter(waybill__isnull=False, status__not_in=[s.value for s in FINAL]).filter(
        last_polled_at__isnull=True).limit(limit)
    if len(due) < limit:
        due += await MailItem.filter(waybill__isnull=False, status__not_in=[s.value for s in FINAL],
                                     last_polled_at__lt=now - POLL_EVERY).order_by("last_polled_at").limit(
            limit - len(due))
    polled = 0
    for item in due:
        try:
            tracking = await carrier.track(item.waybill, now=now)
        except (CarrierUnavailable, CarrierRejected) as exc:
            log.warning("tracking poll failed for mail item %s: %s", item.id, exc.code)
            await MailItem.filter(id=item.id).update(last_polled_at=now)
            continue
        await record_tracking(item, tracking, source="query", now=now)
        polled += 1
    return polled


async def receive_push(carrier: Carrier, form: dict[str, str], *, now: datetime) -> bool:
    """A carrier's push: verified (``PushRejected`` otherwise), then recorded. A waybill we do not
    know is acknowledged and ignored (the carrier would retry it for ever)."""
    tracking = carrier.read_push(form)
    item = await MailItem.get_or_none(waybill=tracking.waybill)
    if item is None:
        log.info("tracking push for an unknown waybill ignored")
        return False
    await record_tracking(item, tracking, source="push", now=now)
    return True


async def timeline(scope: Scope, item_id: int) -> tuple[MailItem, list[TrackingEvent]]:
    item = await item_in_scope(scope, item_id)
    return item, await TrackingEvent.filter(item_id=item.id).order_by("at", "id")


async def subscribe_quietly(carrier: Carrier, item: MailItem, *, callback_url: str, now: datetime) -> None:
    """Subscribe after a waybill is entered; a failure is logged, the poll covers the item."""
    try:
        await carrier.subscribe(item.waybill, callback_url=callback_url, now=now)
    except (CarrierUnavailable, CarrierRejected) as exc:
        log.warning("tracking subscription failed for mail item %s: %s", item.id, exc.code)

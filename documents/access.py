"""A recipient's steps through one delivery: opened → verified → viewed (per document).

Every query is scoped to the delivery's own recipient, so one litigant's delivery can never be
used to reach another's documents. Each step is one transaction with its event.
"""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from app.errors import AppError, NotFound
from documents.choices import DeliveryState, EventType, ServiceStatus
from documents.delivery_states import ENDED, can_move, move
from documents.events import Actor, RequestMeta, record_event
from documents.models import Delivery, Document, RecipientDocument, Service, ServiceDocument

_EVENT = {
    DeliveryState.NOTIFIED: EventType.DELIVERY_NOTIFIED,
    DeliveryState.ARRIVED: EventType.DELIVERY_ARRIVED,
    DeliveryState.OPENED: EventType.DELIVERY_OPENED,
    DeliveryState.VERIFIED: EventType.DELIVERY_VERIFIED,
    DeliveryState.VIEWED: EventType.DELIVERY_VIEWED,
    DeliveryState.FAILED: EventType.DELIVERY_FAILED,
    DeliveryState.EXPIRED: EventType.DELIVERY_EXPIRED,
}


class DeliveryClosed(AppError):
    """The service was revoked or has expired: shown to the litigant with the court's phone."""

    status = 410
    code = "delivery_closed"


async def live_delivery(delivery_id: int, *, now: datetime, for_update: bool = False) -> Delivery:
    query = Delivery.filter(id=delivery_id)
    # A locked read takes the delivery row alone (locking the service row too would serialise
    # every recipient of a service); a plain read joins the service in the same query.
    query = query.select_for_update() if for_update else query.select_related("service")
    delivery = await query.first()
    if delivery is None:
        raise NotFound("送达不存在", code="delivery_not_found")
    service = await service_of(delivery)
    if delivery.state is DeliveryState.REVOKED or service.status is ServiceStatus.REVOKED:
        raise DeliveryClosed("该送达已被法院撤回", code="delivery_revoked")
    if delivery.state is DeliveryState.EXPIRED or (service.expires_at <= now and delivery.state is not DeliveryState.SIGNED):
        raise DeliveryClosed("该送达链接已过期", code="delivery_expired")
    return delivery


async def advance(delivery_id: int, target: DeliveryState, *, actor: Actor, meta: RequestMeta,
                  now: datetime, data: dict | None = None) -> Delivery:
    """Move forward if the delivery has not been there yet; a repeat is a quiet no-op (a litigant
    opening the link twice is not an error)."""
    async with in_transaction():
        delivery = await live_delivery(delivery_id, now=now, for_update=True)
        if not can_move(delivery.state, target):
            return delivery
        move(delivery, target, now)
        await delivery.save(update_fields=["state", f"{target.value}_at"])
        await record_event(_EVENT[target], court_id=await _court_id(delivery), service_id=delivery.service_id,
                           recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                           actor=actor, meta=meta, data=data)
    return delivery


async def record_identity_step(delivery: Delivery, type: EventType, *, actor: Actor, meta: RequestMeta,
                               data: dict | None = None) -> None:
    """A code texted for this delivery, or a code that did not verify (with the reason): the
    timeline a clerk reads when a litigant says "the code never came" or "I was locked out".
    No state changes; the code itself is never in ``data``."""
    await record_event(type, court_id=await _court_id(delivery), service_id=delivery.service_id,
                       recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                       actor=actor, meta=meta, data=data)


async def service_of(delivery: Delivery) -> Service:
    """The delivery's service: the one ``live_delivery`` loaded, else one query."""
    service = delivery.service
    if isinstance(service, Service):
        return service
    service = await Service.get(id=delivery.service_id)
    delivery.service = service
    return service


async def _court_id(delivery: Delivery) -> int:
    return (await service_of(delivery)).court_id


async def documents_of(delivery: Delivery) -> list[Document]:
    """The delivery's documents in the court's order — only its own recipient's rows."""
    rows = await RecipientDocument.filter(recipient_id=delivery.recipient_id).select_related("document")
    order = {sd.document_id: sd.position
             for sd in await ServiceDocument.filter(service_id=delivery.service_id)}
    return [row.document for row in sorted(rows, key=lambda r: order.get(r.document_id, 0))]


async def record_document_access(delivery_id: int, document_id: int, *, download: bool, actor: Actor,
                                 meta: RequestMeta, now: datetime) -> Document:
    """Count a view or download of one document; the delivery becomes ``viewed`` once every
    document has been opened. Unknown or foreign document ids are 404."""
    async with in_transaction():
        delivery = await live_delivery(delivery_id, now=now, for_update=True)
        if delivery.state not in (DeliveryState.VERIFIED, DeliveryState.VIEWED, DeliveryState.SIGNED):
            raise AppError("请先验证身份", code="not_verified", status=403)
        row = await RecipientDocument.get_or_none(
            recipient_id=delivery.recipient_id, document_id=document_id).select_for_update()
        if row is None:
            raise NotFound("文书不存在", code="document_not_found")
        if download:
            row.download_count += 1
            row.first_downloaded_at = row.first_downloaded_at or now
        else:
            row.view_count += 1
            row.first_viewed_at = row.first_viewed_at or now
            row.last_viewed_at = now
        await row.save()
        court_id = await _court_id(delivery)
        await record_event(EventType.DOCUMENT_DOWNLOADED if download else EventType.DOCUMENT_VIEWED,
                           court_id=court_id, service_id=delivery.service_id,
                           recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                           actor=actor, meta=meta, data={"document_id": document_id})
        unread = await RecipientDocument.filter(recipient_id=delivery.recipient_id,
                                                first_viewed_at__isnull=True).exists()
        if not unread and delivery.state not in ENDED and can_move(delivery.state, DeliveryState.VIEWED):
            move(delivery, DeliveryState.VIEWED, now)
            await delivery.save(update_fields=["state", "viewed_at"])
            await record_event(EventType.DELIVERY_VIEWED, court_id=court_id, service_id=delivery.service_id,
                               recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                               actor=actor, meta=meta)
    return await Document.get(id=document_id)

"""过期: a service whose links have run out. Its unsigned deliveries become ``expired`` (with the
event the court's systems hear about); signed ones keep their effect."""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from documents.choices import DeliveryState, EventType, ServiceStatus
from documents.delivery_states import ENDED, move
from documents.events import Actor, RequestMeta, record_event
from documents.models import Delivery, Service


async def expire_due_services(*, now: datetime, limit: int = 100) -> int:
    """Expire up to ``limit`` overdue services; returns how many deliveries expired."""
    expired = 0
    due = await Service.filter(status=ServiceStatus.IN_PROGRESS, expires_at__lte=now).order_by("id").limit(limit)
    for candidate in due:
        async with in_transaction():
            service = await Service.get(id=candidate.id).select_for_update()
            if service.status is not ServiceStatus.IN_PROGRESS:
                continue  # signed or revoked meanwhile
            for delivery in await Delivery.filter(service_id=service.id).select_for_update():
                if delivery.state in ENDED:
                    continue
                move(delivery, DeliveryState.EXPIRED, now)
                await delivery.save(update_fields=["state", "expired_at"])
                await record_event(EventType.DELIVERY_EXPIRED, court_id=service.court_id, service_id=service.id,
                                   recipient_id=delivery.recipient_id, delivery_id=delivery.id,
                                   actor=Actor.system(), meta=RequestMeta.none())
                expired += 1
            service.status = ServiceStatus.EXPIRED
            await service.save(update_fields=["status"])
    return expired

"""撤回: the court withdraws a service. Signed deliveries keep their legal effect."""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import Conflict
from service.choices import DeliveryState, ServiceStatus
from service.delivery_states import ENDED, move
from service.models import Delivery, Service


async def revoke_service(service_id: int, *, reason: str, actor: Actor, meta: RequestMeta,
                         now: datetime) -> Service:
    """Revoke every delivery not yet ended. Revoking twice is a no-op, not an error, so a court
    system may retry safely."""
    async with in_transaction():
        # Deliveries (in id order) before their service, the order signing takes them in: the
        # opposite order could deadlock with a litigant signing at the same moment.
        deliveries = await Delivery.filter(service_id=service_id).order_by("id").select_for_update()
        service = await Service.select_for_update().get(id=service_id)
        if service.status is ServiceStatus.REVOKED:
            return service
        if service.status is ServiceStatus.COMPLETED:
            raise Conflict("该送达已全部签收，不能撤回", code="service_completed")
        for delivery in deliveries:
            if delivery.state in ENDED:
                continue
            move(delivery, DeliveryState.REVOKED, now)
            await delivery.save(update_fields=["state", "revoked_at"])
            await record_event(
                EventType.DELIVERY_REVOKED, court_id=service.court_id, service_id=service.id,
                recipient_id=delivery.recipient_id, delivery_id=delivery.id, actor=actor, meta=meta,
            )
        service.status = ServiceStatus.REVOKED
        service.revoked_at = now
        service.revoke_reason = reason
        await service.save(update_fields=["status", "revoked_at", "revoke_reason"])
        await record_event(
            EventType.SERVICE_REVOKED, court_id=service.court_id, service_id=service.id,
            actor=actor, meta=meta, data={"reason": reason},
        )
    return service

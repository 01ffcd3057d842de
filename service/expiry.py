"""过期: a service whose links have run out. Its unsigned deliveries become ``expired`` (with the
event the court's systems hear about); signed ones keep their effect. A clerk may extend a
service still in progress (延长送达期限)."""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import Conflict, ValidationFailed
from service.choices import DeliveryState, ServiceStatus
from service.delivery_states import ENDED, move
from service.models import Delivery, Service


async def expire_due_services(*, now: datetime, limit: int = 100) -> int:
    """Expire up to ``limit`` overdue services; returns how many deliveries expired."""
    expired = 0
    due = await Service.filter(status=ServiceStatus.IN_PROGRESS, expires_at__lte=now).order_by("id").limit(limit)
    for candidate in due:
        async with in_transaction():
            # Deliveries before their service, as signing and revocation take them.
            deliveries = await Delivery.filter(service_id=candidate.id).order_by("id").select_for_update()
            service = await Service.get(id=candidate.id).select_for_update()
            if service.status is not ServiceStatus.IN_PROGRESS:
                continue  # signed or revoked meanwhile
            for delivery in deliveries:
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


MAX_EXTENSION_DAYS = 365


async def extend_service(service_id: int, *, until: datetime, actor: Actor, meta: RequestMeta,
                         now: datetime) -> Service:
    """Move a live service's expiry later. Only forward, only while the service is in progress
    (an expired delivery does not come back: the court serves again instead)."""
    if until <= now:
        raise ValidationFailed("新的截止时间必须晚于现在", code="extension_in_past")
    if (until - now).days > MAX_EXTENSION_DAYS:
        raise ValidationFailed(f"截止时间最多延长至一年内（{MAX_EXTENSION_DAYS}天）", code="extension_too_long")
    async with in_transaction():
        service = await Service.get(id=service_id).select_for_update()
        if service.status is not ServiceStatus.IN_PROGRESS or service.expires_at <= now:
            raise Conflict(f"该送达{service.status.label}，不能延长期限", code="service_not_in_progress")
        if until <= service.expires_at:
            raise ValidationFailed("新的截止时间必须晚于原截止时间", code="extension_not_later")
        before = service.expires_at
        service.expires_at = until
        await service.save(update_fields=["expires_at"])
        await record_event(EventType.SERVICE_EXTENDED, court_id=service.court_id, service_id=service.id,
                           actor=actor, meta=meta,
                           data={"from": before.isoformat(timespec="seconds"), "to": until.isoformat(timespec="seconds")})
    return service

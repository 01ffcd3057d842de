"""Overdue services expire: unsigned deliveries end with an event; signed ones keep their effect."""
from __future__ import annotations

from datetime import timedelta

from audit.models import Event
from service.choices import DeliveryState, ServiceStatus
from service.expiry import expire_due_services
from service.models import Delivery, Service
from tests.factories import make_service, make_signed_delivery


async def test_overdue_services_expire_once(db):
    service, people, _ = await make_service(settings=db, recipients=2)
    signed_service, _, signed_delivery, _ = await make_signed_delivery(db, documents=1)
    later = service.expires_at + timedelta(seconds=1)
    assert await expire_due_services(now=service.expires_at - timedelta(seconds=1)) == 0
    assert await expire_due_services(now=later) == 6  # 2 recipients × 3 channels
    assert (await Service.get(id=service.id)).status is ServiceStatus.EXPIRED
    assert {d.state for d in await Delivery.filter(service_id=service.id)} == {DeliveryState.EXPIRED}
    assert await Event.filter(type="delivery.expired", service_id=service.id).count() == 6
    # The signed service is completed, not in progress: untouched.
    assert (await Service.get(id=signed_service.id)).status is ServiceStatus.COMPLETED
    assert (await Delivery.get(id=signed_delivery.id)).state is DeliveryState.SIGNED
    assert await expire_due_services(now=later) == 0

"""service/sms_reports.py: the carrier's reports move SMS deliveries, with the carrier's time and
one event each."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from audit.choices import ActorKind, EventType
from audit.events import Actor, RequestMeta
from audit.models import Event
from core.settings import Settings
from identity.models import SmsMessage, SmsStatus, SmsTemplate
from identity.sms.aliyun import AliyunSmsGateway
from identity.sms.dev import DevSmsGateway
from identity.sms.sending import send_sms
from service.choices import Channel, CourtSystem, DeliveryState
from service.drafts import ServiceDraft
from service.intake import create_service
from service.models import Delivery
from service.sms_reports import sync_sms_reports
from tests.factories import make_client, make_document, recipient_body, service_body
from tests.fakes.aliyun_sms import FakeDysmsapi, gateway_for

CHINA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc)  # 09:30 in Beijing
CARRIER_AT = datetime(2024, 5, 1, 9, 30, 7, tzinfo=CHINA)
LATER = NOW + timedelta(minutes=10)
PHONE = "13812345678"
NOTICE = {"court": "示范市城中区人民法院", "case_number": "(2024)桂1202民初123号",
          "link": "https://songda.example.cn/s/Ab3dE"}


@pytest.fixture
def fake():
    with FakeDysmsapi(clock=lambda: NOW) as fake:
        yield fake


@pytest.fixture
def gateway(fake) -> AliyunSmsGateway:
    return gateway_for(fake)


async def sms_delivery(db) -> Delivery:
    """A service with one recipient reached by SMS; returns that recipient's SMS delivery."""
    client, _, _ = await make_client()
    document = await make_document(client.court, db.data_dir)
    draft = ServiceDraft.model_validate(service_body([document.id], [recipient_body(phone=PHONE)]))
    service = await create_service(
        court=client.court, draft=draft, source_system=CourtSystem.TRIAL, source_client_id=client.id,
        actor=Actor.system(), meta=RequestMeta.none(), now=NOW, valid_days=30, settings=db,
    )
    return await Delivery.get(service_id=service.id, channel=Channel.SMS)


async def notify(gateway, delivery: Delivery, settings: Settings) -> SmsMessage:
    return await send_sms(gateway, phone=PHONE, template=SmsTemplate.SERVICE_NOTICE, params=NOTICE,
                          delivery_id=delivery.id, settings=settings, now=NOW)


async def test_arrival_moves_the_delivery_with_the_carriers_time(db, gateway, fake):
    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    assert await sync_sms_reports(gateway, settings=db, now=LATER) == []  # the carrier has not answered yet
    fake.deliver(message.provider_message_id, CARRIER_AT)

    assert len(await sync_sms_reports(gateway, settings=db, now=LATER)) == 1

    row = await SmsMessage.get(id=message.id)
    assert (row.status, row.received_at, row.reported_at, row.error_code) == (
        SmsStatus.DELIVERED, CARRIER_AT, LATER, "")
    delivery = await Delivery.get(id=delivery.id)
    assert (delivery.state, delivery.arrived_at) == (DeliveryState.ARRIVED, CARRIER_AT)
    [event] = await Event.filter(type=EventType.DELIVERY_ARRIVED)
    assert (event.court_id, event.service_id, event.recipient_id, event.delivery_id) == (
        (await delivery.service).court_id, delivery.service_id, delivery.recipient_id, delivery.id)
    assert (event.actor_kind, event.actor_id) == (ActorKind.SYSTEM, "system")
    assert event.data == {"sms_message_id": message.id, "received_at": CARRIER_AT.isoformat()}

    # Idempotent: nothing left to change, no second event.
    assert await sync_sms_reports(gateway, settings=db, now=LATER + timedelta(minutes=5)) == []
    assert await Event.filter(type=EventType.DELIVERY_ARRIVED).count() == 1
    assert (await SmsMessage.get(id=message.id)).reported_at == LATER


async def test_failure_moves_the_delivery_to_failed(db, gateway, fake):
    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    fake.fail(message.provider_message_id, "MOBILE_NOT_ON_SERVICE", CARRIER_AT)

    assert len(await sync_sms_reports(gateway, settings=db, now=LATER)) == 1

    row = await SmsMessage.get(id=message.id)
    assert (row.status, row.error_code, row.received_at, row.reported_at) == (
        SmsStatus.FAILED, "MOBILE_NOT_ON_SERVICE", None, LATER)
    delivery = await Delivery.get(id=delivery.id)
    assert (delivery.state, delivery.failed_at) == (DeliveryState.FAILED, CARRIER_AT)
    assert delivery.failure_reason == "短信发送失败：MOBILE_NOT_ON_SERVICE"
    [event] = await Event.filter(type=EventType.DELIVERY_FAILED)
    assert event.delivery_id == delivery.id
    assert event.data == {"sms_message_id": message.id, "error_code": "MOBILE_NOT_ON_SERVICE"}
    assert await sync_sms_reports(gateway, settings=db, now=LATER) == []
    assert await Event.filter(type=EventType.DELIVERY_FAILED).count() == 1


async def test_a_delivery_that_moved_on_keeps_its_state(db, gateway, fake):
    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    await Delivery.filter(id=delivery.id).update(state=DeliveryState.OPENED, opened_at=NOW)
    fake.deliver(message.provider_message_id, CARRIER_AT)

    assert len(await sync_sms_reports(gateway, settings=db, now=LATER)) == 1

    assert (await SmsMessage.get(id=message.id)).status is SmsStatus.DELIVERED
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.OPENED
    assert not await Event.filter(type=EventType.DELIVERY_ARRIVED).exists()


async def test_gateway_outage_moves_nothing_until_it_answers(db, gateway, fake):
    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    fake.http_status = 503
    assert await sync_sms_reports(gateway, settings=db, now=LATER) == []
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.CREATED  # send_sms alone moves nothing
    fake.http_status = None
    assert len(await sync_sms_reports(gateway, settings=db, now=LATER)) == 1
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.ARRIVED


async def test_dev_gateway_shows_arrival_in_the_demo(db, tmp_path):
    gateway = DevSmsGateway(tmp_path / "dev-sms.jsonl", clock=lambda: NOW)
    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    assert message.provider == "dev"
    assert len(await sync_sms_reports(gateway, settings=db, now=LATER)) == 1
    delivery = await Delivery.get(id=delivery.id)
    assert (delivery.state, delivery.arrived_at) == (DeliveryState.ARRIVED, NOW)
    assert await sync_sms_reports(gateway, settings=db, now=LATER) == []


async def test_the_background_loop_applies_the_reports(db, gateway, fake):
    """The periodic task every server and worker registers is the one that moves deliveries."""
    from types import SimpleNamespace

    from app.packages import job_registry
    from jobs.registry import JobContext

    delivery = await sms_delivery(db)
    message = await notify(gateway, delivery, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    task = job_registry().periodic["sms.delivery_reports"]
    await task.run(JobContext(providers=SimpleNamespace(sms_gateway=gateway), settings=db, worker_id="w", now=LATER))
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.ARRIVED

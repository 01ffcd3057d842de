"""identity/sms/sending.py: texts are recorded without PII, and carrier reports are recorded on them
and handed on as data (moving deliveries is tests/service/test_sms_reports.py)."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from audit.choices import EventType
from audit.models import Event
from core.settings import Settings
from identity.models import SmsMessage, SmsStatus, SmsTemplate
from identity.pii_keys import pii_cipher
from identity.sms import SmsRejected, SmsUnavailable
from identity.sms.aliyun import AliyunSmsGateway
from identity.sms.dev import DevSmsGateway
from identity.sms.sending import AppliedReport, send_sms, sync_delivery_reports
from tests.fakes.aliyun_sms import FakeDysmsapi, gateway_for

CHINA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc)  # 09:30 in Beijing
CARRIER_AT = datetime(2024, 5, 1, 9, 30, 7, tzinfo=CHINA)
LATER = NOW + timedelta(minutes=10)
PHONE = "13812345678"
CODE = "482913"
NOTICE = {"court": "示范市城中区人民法院", "case_number": "(2024)桂1202民初123号",
          "link": "https://songda.example.cn/s/Ab3dE"}


@pytest.fixture
def fake():
    with FakeDysmsapi(clock=lambda: NOW) as fake:
        yield fake


@pytest.fixture
def gateway(fake) -> AliyunSmsGateway:
    return gateway_for(fake)


# --- send_sms -----------------------------------------------------------------------------

async def test_sent_text_is_stored_without_phone_or_code(db, gateway, fake, caplog):
    with caplog.at_level(logging.DEBUG):
        message = await send_sms(gateway, phone="+86 138-1234-5678", template=SmsTemplate.CODE,
                                 params={"code": CODE, "minutes": "5"}, settings=db,
                                 now=NOW)
    row = await SmsMessage.get(id=message.id)
    assert (row.status, row.provider, row.template, row.segments) == (
        SmsStatus.SENT, "aliyun", SmsTemplate.CODE, 1)
    assert row.provider_message_id == fake.sent[0].biz_id
    assert row.sent_at == NOW and row.delivery_id is None
    assert row.params == {"code": "******", "minutes": "5"}
    assert row.phone_masked == "138****5678"
    cipher = pii_cipher(db)
    assert cipher.decrypt(row.phone_cipher, context="phone") == PHONE
    assert row.phone_index == cipher.blind_index(PHONE, context="phone")
    stored = json.dumps({f: str(getattr(row, f)) for f in row._meta.fields_map}, ensure_ascii=False)
    assert PHONE not in stored and CODE not in stored
    assert fake.sent[0].phone == PHONE and fake.sent[0].params["code"] == CODE  # the real ones went out
    assert PHONE not in caplog.text and CODE not in caplog.text
    assert str(message.id) in caplog.text  # ids are logged instead


async def test_rejected_text_is_stored_as_rejected_and_the_error_raised(db, gateway, fake):
    fake.refuse(PHONE, "isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(SmsRejected) as caught:
        await send_sms(gateway, phone=PHONE, template=SmsTemplate.CODE, params={"code": CODE, "minutes": "5"},
                       settings=db, now=NOW)
    assert caught.value.code == "sms_rate_limited"
    row = await SmsMessage.get()
    assert (row.status, row.error_code, row.provider_message_id) == (
        SmsStatus.REJECTED, "isv.BUSINESS_LIMIT_CONTROL", None)
    assert row.params["code"] == "******"


async def test_unavailable_gateway_stores_nothing(db, gateway, fake):
    fake.http_status = 503
    with pytest.raises(SmsUnavailable):
        await send_sms(gateway, phone=PHONE, template=SmsTemplate.CODE, params={"code": CODE, "minutes": "5"},
                       settings=db, now=NOW)
    assert await SmsMessage.all().count() == 0


async def test_invalid_phone_is_refused_before_the_gateway(db, gateway, fake):
    with pytest.raises(SmsRejected) as caught:
        await send_sms(gateway, phone="12345", template=SmsTemplate.CODE, params={"code": CODE, "minutes": "5"},
                       settings=db, now=NOW)
    assert (caught.value.status, caught.value.code) == (422, "sms_phone_invalid")
    assert fake.targets == [] and await SmsMessage.all().count() == 0


# --- sync_delivery_reports ------------------------------------------------------------------

async def code_text(gateway, settings: Settings) -> SmsMessage:
    return await send_sms(gateway, phone=PHONE, template=SmsTemplate.CODE, params={"code": CODE, "minutes": "5"},
                          settings=settings, now=NOW)


async def test_arrival_is_recorded_with_the_carriers_time_and_returned(db, gateway, fake):
    message = await code_text(gateway, db)
    assert await sync_delivery_reports(gateway, settings=db, now=LATER) == []  # the carrier has not answered yet
    fake.deliver(message.provider_message_id, CARRIER_AT)

    assert await sync_delivery_reports(gateway, settings=db, now=LATER) == [AppliedReport(
        sms_message_id=message.id, delivery_id=None, status=SmsStatus.DELIVERED, received_at=CARRIER_AT,
        error_code="")]

    row = await SmsMessage.get(id=message.id)
    assert (row.status, row.received_at, row.reported_at, row.error_code) == (
        SmsStatus.DELIVERED, CARRIER_AT, LATER, "")
    # Idempotent: nothing left to change.
    assert await sync_delivery_reports(gateway, settings=db, now=LATER + timedelta(minutes=5)) == []
    assert (await SmsMessage.get(id=message.id)).reported_at == LATER


async def test_failure_is_recorded_and_returned(db, gateway, fake):
    message = await code_text(gateway, db)
    fake.fail(message.provider_message_id, "MOBILE_NOT_ON_SERVICE", CARRIER_AT)

    [report] = await sync_delivery_reports(gateway, settings=db, now=LATER)

    assert (report.status, report.error_code, report.received_at) == (
        SmsStatus.FAILED, "MOBILE_NOT_ON_SERVICE", CARRIER_AT)
    row = await SmsMessage.get(id=message.id)
    assert (row.status, row.error_code, row.received_at, row.reported_at) == (
        SmsStatus.FAILED, "MOBILE_NOT_ON_SERVICE", None, LATER)
    assert await sync_delivery_reports(gateway, settings=db, now=LATER) == []


async def test_text_without_delivery_only_updates_the_message(db, gateway, fake):
    message = await code_text(gateway, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    assert len(await sync_delivery_reports(gateway, settings=db, now=LATER)) == 1
    assert (await SmsMessage.get(id=message.id)).status is SmsStatus.DELIVERED
    assert await Event.filter(type=EventType.DELIVERY_ARRIVED).count() == 0


async def test_the_hook_commits_with_the_text_or_not_at_all(db, gateway, fake):
    message = await code_text(gateway, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    seen = []

    async def failing(report):
        seen.append(report)
        raise RuntimeError("the caller's step failed")

    with pytest.raises(RuntimeError):
        await sync_delivery_reports(gateway, settings=db, now=LATER, on_applied=failing)
    assert (await SmsMessage.get(id=message.id)).status is SmsStatus.SENT  # asked again next run
    assert [r.sms_message_id for r in seen] == [message.id]

    async def recording(report):
        seen.append(report)

    assert len(await sync_delivery_reports(gateway, settings=db, now=LATER, on_applied=recording)) == 1
    assert len(seen) == 2 and (await SmsMessage.get(id=message.id)).status is SmsStatus.DELIVERED


async def test_texts_older_than_max_age_are_not_queried(db, gateway, fake):
    message = await code_text(gateway, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    queries_before = len(fake.requests)
    assert await sync_delivery_reports(gateway, settings=db, now=NOW + timedelta(days=3)) == []
    assert len(fake.requests) == queries_before
    assert (await SmsMessage.get(id=message.id)).status is SmsStatus.SENT


async def test_gateway_outage_stops_the_run_without_changes(db, gateway, fake):
    message = await code_text(gateway, db)
    fake.deliver(message.provider_message_id, CARRIER_AT)
    fake.http_status = 503
    assert await sync_delivery_reports(gateway, settings=db, now=LATER) == []
    assert (await SmsMessage.get(id=message.id)).status is SmsStatus.SENT
    fake.http_status = None
    assert len(await sync_delivery_reports(gateway, settings=db, now=LATER)) == 1


async def test_dev_gateway_reports_arrival_in_the_demo(db, tmp_path):
    gateway = DevSmsGateway(tmp_path / "dev-sms.jsonl", clock=lambda: NOW)
    message = await code_text(gateway, db)
    assert message.provider == "dev"
    [report] = await sync_delivery_reports(gateway, settings=db, now=LATER)
    assert (report.status, report.received_at) == (SmsStatus.DELIVERED, NOW)
    assert await sync_delivery_reports(gateway, settings=db, now=LATER) == []

"""One contract, two gateways: Aliyun (against the loopback fake) and dev behave alike where
the ``SmsGateway`` interface says they do (warehouse's ``verifyClass`` habit)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from identity.models import SmsStatus, SmsTemplate
from identity.sms import SendResult, SmsGateway, SmsTemplateError, build_gateway
from identity.sms.aliyun import AliyunSmsGateway
from identity.sms.dev import DevSmsGateway
from tests.conftest import make_settings
from tests.fakes.aliyun_sms import FakeDysmsapi

CHINA = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2024, 5, 1, 9, 30, tzinfo=CHINA)
PHONE = "13812345678"
CODE_PARAMS = {"code": "123456", "minutes": "5"}
NOTICE_PARAMS = {"court": "示范市城中区人民法院", "case_number": "(2024)桂1202民初123号",
                 "link": "https://songda.example.cn/s/Ab3dE"}


@dataclass
class Subject:
    gateway: SmsGateway
    settle: Callable[[SendResult, datetime], None]  # the carrier reports arrival
    sent: Callable[[], int]  # how many texts left (or were written)


@pytest.fixture(params=["aliyun", "dev"])
def subject(request, tmp_path) -> Iterator[Subject]:
    if request.param == "aliyun":
        with FakeDysmsapi(clock=lambda: SENT_AT) as fake:
            settings = make_settings(
                tmp_path, sms_gateway="aliyun", aliyun_access_key_id=fake.access_key_id,
                aliyun_access_key_secret=fake.access_key_secret, aliyun_sms_endpoint=fake.endpoint,
                aliyun_sms_protocol="http",
            )
            gateway = build_gateway(settings)
            assert isinstance(gateway, AliyunSmsGateway)
            yield Subject(gateway, lambda result, at: fake.deliver(result.provider_message_id, at),
                          lambda: len(fake.sent))
    else:
        outbox = tmp_path / "dev-sms.jsonl"
        gateway = DevSmsGateway(outbox, clock=lambda: SENT_AT)

        def written() -> int:
            return len(outbox.read_text(encoding="utf-8").splitlines()) if outbox.exists() else 0

        yield Subject(gateway, lambda result, at: None, written)


def test_implements_the_interface(subject):
    assert isinstance(subject.gateway, SmsGateway)
    assert subject.gateway.provider in ("aliyun", "dev")
    assert subject.gateway.sign_name == "电子送达"


@pytest.mark.parametrize(("template", "params"), [
    (SmsTemplate.CODE, CODE_PARAMS), (SmsTemplate.SERVICE_NOTICE, NOTICE_PARAMS),
])
async def test_send_returns_an_id(subject, template, params):
    result = await subject.gateway.send(PHONE, template, params)
    assert result.provider_message_id and result.request_id
    assert subject.sent() == 1


async def test_each_text_gets_its_own_id(subject):
    first = await subject.gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    second = await subject.gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert first.provider_message_id != second.provider_message_id


async def test_reports_delivered_once_the_carrier_says_so(subject):
    result = await subject.gateway.send(PHONE, SmsTemplate.SERVICE_NOTICE, NOTICE_PARAMS)
    subject.settle(result, SENT_AT + timedelta(seconds=4))
    reports = await subject.gateway.query_reports(PHONE, SENT_AT.date(), result.provider_message_id)
    assert len(reports) == 1
    report = reports[0]
    assert report.provider_message_id == result.provider_message_id
    assert report.phone == PHONE
    assert report.status is SmsStatus.DELIVERED
    assert report.error_code == ""
    assert report.received_at is not None and report.received_at.tzinfo is not None
    assert SENT_AT <= report.received_at <= SENT_AT + timedelta(seconds=4)


async def test_query_by_id_reports_only_that_text(subject):
    first = await subject.gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    second = await subject.gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    for result in (first, second):
        subject.settle(result, SENT_AT)
    reports = await subject.gateway.query_reports(PHONE, SENT_AT.date(), second.provider_message_id)
    assert [r.provider_message_id for r in reports] == [second.provider_message_id]


@pytest.mark.parametrize(("phone", "day"), [
    ("13900000000", SENT_AT.date()), (PHONE, SENT_AT.date() - timedelta(days=1)),
])
async def test_no_reports_for_another_number_or_day(subject, phone: str, day: date):
    result = await subject.gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    subject.settle(result, SENT_AT)
    assert await subject.gateway.query_reports(phone, day, None) == []


@pytest.mark.parametrize("params", [
    {"code": "123456"},                                      # missing
    {"code": "123456", "minutes": "5", "name": "王小明"},     # unknown
    {"code": "", "minutes": "5"},                            # empty
])
async def test_template_params_are_validated_before_sending(subject, params):
    with pytest.raises(SmsTemplateError) as caught:
        await subject.gateway.send(PHONE, SmsTemplate.CODE, params)
    assert caught.value.code == "sms_misconfigured" and caught.value.status == 500
    assert subject.sent() == 0

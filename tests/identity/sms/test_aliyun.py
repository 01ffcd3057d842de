"""identity/sms/aliyun.py against the loopback Dysmsapi fake: signing, error mapping, threads."""
from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException

from core.errors import AppError
from core.settings import ConfigurationError
from identity.models import SmsStatus, SmsTemplate
from identity.sms import SmsRejected, SmsUnavailable
from identity.sms.aliyun import AliyunSmsGateway
from tests.conftest import make_settings
from tests.fakes.aliyun_sms import FakeDysmsapi, rpc_signature, string_to_sign

CHINA = ZoneInfo("Asia/Shanghai")
SENT_AT = datetime(2024, 5, 1, 9, 30, tzinfo=CHINA)
PHONE = "13812345678"
CODE_PARAMS = {"code": "123456", "minutes": "5"}
TEMPLATES = {SmsTemplate.CODE: "SMS_CODE", SmsTemplate.SERVICE_NOTICE: "SMS_NOTICE"}


@pytest.fixture
def fake():
    with FakeDysmsapi(clock=lambda: SENT_AT) as fake:
        yield fake


def gateway_for(fake: FakeDysmsapi, **overrides) -> AliyunSmsGateway:
    options = dict(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                   sign_name="电子送达", template_codes=TEMPLATES, endpoint=fake.endpoint, protocol="http")
    options.update(overrides)
    return AliyunSmsGateway(**options)


# --- the fake's own signature check ---------------------------------------------------------

def test_fake_signer_matches_aliyuns_documented_example():
    # The worked example of Aliyun's RPC signature documentation (ECS DescribeRegions).
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }
    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert rpc_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_aliyun_not_html_forms():
    sts = string_to_sign("GET", {"A": "a b*c~d+e/f"})
    # space → %20 (not +), * → %2A, ~ kept, then the whole query encoded once more.
    assert sts == "GET&%2F&A%3Da%2520b%252Ac~d%252Be%252Ff"


def _raw_request(fake: FakeDysmsapi, params: dict[str, str], secret: str, tamper: dict | None = None):
    params = {
        "AccessKeyId": fake.access_key_id, "Action": "QuerySendDetails", "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
        "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        **params,
    }
    params["Signature"] = rpc_signature("GET", params, secret)
    params.update(tamper or {})
    url = f"http://{fake.endpoint}/?{urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


QUERY = {"PhoneNumber": PHONE, "SendDate": "20240501", "PageSize": "10", "CurrentPage": "1"}


def test_fake_accepts_a_correctly_signed_request(fake):
    assert _raw_request(fake, QUERY, fake.access_key_secret)[0] == 200


@pytest.mark.parametrize(("secret", "tamper", "status", "code"), [
    ("wrong-secret", None, 400, "SignatureDoesNotMatch"),
    ("fake-access-key-secret", {"PhoneNumber": "13900000000"}, 400, "SignatureDoesNotMatch"),
    ("fake-access-key-secret", {"AccessKeyId": "someone-else"}, 404, "InvalidAccessKeyId.NotFound"),
    ("fake-access-key-secret", {"SignatureMethod": "HMAC-SHA256"}, 400, "InvalidSignatureMethod"),
    ("fake-access-key-secret", {"Version": "2018-05-01"}, 400, "InvalidVersion"),
    ("fake-access-key-secret", {"Timestamp": "2016-02-23T12:46:24Z"}, 400, "InvalidTimeStamp.Expired"),
])
def test_fake_refuses_what_aliyun_refuses(fake, secret, tamper, status, code):
    answer = _raw_request(fake, QUERY, secret, tamper)
    assert answer[0] == status and answer[1]["Code"] == code
    assert fake.requests == []


def test_fake_refuses_a_replayed_nonce(fake):
    assert _raw_request(fake, QUERY, fake.access_key_secret, {"SignatureNonce": "n1"})[0] == 400  # sig covers it
    params = dict(QUERY, SignatureNonce="same-nonce")
    assert _raw_request(fake, params, fake.access_key_secret)[0] == 200
    status, body = _raw_request(fake, params, fake.access_key_secret)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


# --- the gateway ------------------------------------------------------------------------------

async def test_send_is_signed_and_posts_business_parameters_in_the_body(fake):
    notice = {"court": "示范市城中区人民法院", "case_number": "(2024)桂1202民初123号",
              "link": "https://songda.example.cn/s/a~b*c d+e"}
    result = await gateway_for(fake).send(PHONE, SmsTemplate.SERVICE_NOTICE, notice)
    [sent] = fake.sent
    assert result.provider_message_id == sent.biz_id
    assert (sent.phone, sent.sign_name, sent.template_code, sent.params) == (PHONE, "电子送达", "SMS_NOTICE", notice)
    method, params = fake.requests[0]
    assert method == "POST" and params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    # Phone numbers stay out of URLs (and so out of access logs).
    assert all(PHONE not in target for target in fake.targets)


async def test_wrong_access_key_secret_is_a_configuration_error(fake):
    with pytest.raises(SmsRejected) as caught:
        await gateway_for(fake, access_key_secret="not-the-secret").send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    error = caught.value
    assert isinstance(error, AppError)
    assert (error.status, error.code, error.provider_code) == (500, "sms_misconfigured", "SignatureDoesNotMatch")
    assert isinstance(error.__cause__, ServerException)
    assert fake.sent == []


async def test_unknown_access_key_id_is_a_configuration_error(fake):
    with pytest.raises(SmsRejected) as caught:
        await gateway_for(fake, access_key_id="LTAI-unknown").send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert (caught.value.code, caught.value.provider_code) == ("sms_misconfigured", "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize(("provider_code", "status", "code"), [
    ("isv.MOBILE_NUMBER_ILLEGAL", 422, "sms_phone_invalid"),
    ("isv.BUSINESS_LIMIT_CONTROL", 429, "sms_rate_limited"),
    ("isv.DAY_LIMIT_CONTROL", 503, "sms_unavailable"),
    ("isv.MONTH_LIMIT_CONTROL", 503, "sms_unavailable"),
    ("isv.AMOUNT_NOT_ENOUGH", 503, "sms_unavailable"),
    ("isv.TEMPLATE_MISSING_PARAMETERS", 500, "sms_misconfigured"),
    ("isv.SMS_TEMPLATE_ILLEGAL", 500, "sms_misconfigured"),
    ("isv.SMS_SIGNATURE_ILLEGAL", 500, "sms_misconfigured"),
    ("isv.InvalidParameters", 500, "sms_misconfigured"),
    ("isv.SOMETHING_NEW", 502, "sms_rejected"),
])
async def test_business_errors_arrive_with_http_200_and_are_mapped(fake, provider_code, status, code):
    fake.refuse(PHONE, provider_code)
    with pytest.raises(SmsRejected) as caught:
        await gateway_for(fake).send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert (caught.value.status, caught.value.code, caught.value.provider_code) == (status, code, provider_code)
    assert caught.value.message  # Chinese, for the person at the counter


async def test_settings_that_aliyun_does_not_know_are_refused_by_it(fake):
    with pytest.raises(SmsRejected) as caught:
        await gateway_for(fake, sign_name="错误签名").send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert caught.value.provider_code == "isv.SMS_SIGNATURE_ILLEGAL"
    with pytest.raises(SmsRejected) as caught:
        await gateway_for(fake, template_codes={**TEMPLATES, SmsTemplate.CODE: "SMS_0"}).send(
            PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert caught.value.provider_code == "isv.SMS_TEMPLATE_ILLEGAL"


async def test_http_503_is_unavailable_and_not_retried(fake):
    fake.http_status = 503
    with pytest.raises(SmsUnavailable) as caught:
        await gateway_for(fake).send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert (caught.value.status, caught.value.code) == (503, "sms_unavailable")
    assert isinstance(caught.value.__cause__, ServerException)
    assert len(fake.targets) == 1  # one attempt: a retry could put two texts on the handset


async def test_connection_refused_is_unavailable():
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = AliyunSmsGateway(access_key_id="a", access_key_secret="b", sign_name="电子送达",
                               template_codes=TEMPLATES, endpoint=f"127.0.0.1:{port}", protocol="http")
    with pytest.raises(SmsUnavailable) as caught:
        await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert isinstance(caught.value.__cause__, ClientException)


async def test_read_timeout_is_unavailable(fake):
    fake.delay = 0.5
    with pytest.raises(SmsUnavailable):
        await gateway_for(fake, read_timeout=0.1).send(PHONE, SmsTemplate.CODE, CODE_PARAMS)


async def test_the_call_does_not_block_the_event_loop(fake):
    fake.delay = 0.3
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await gateway_for(fake).send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    finally:
        task.cancel()
    # A blocking call would have starved the ticker for the whole 0.3 s.
    assert ticks >= 10


async def test_query_reports_parses_send_details(fake):
    gateway = gateway_for(fake)
    delivered = await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    failed = await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    waiting = await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    fake.deliver(delivered.provider_message_id, SENT_AT + timedelta(seconds=3))
    fake.fail(failed.provider_message_id, "MOBILE_NOT_ON_SERVICE", SENT_AT + timedelta(seconds=9))

    [d] = await gateway.query_reports(PHONE, SENT_AT.date(), delivered.provider_message_id)
    assert (d.status, d.received_at, d.error_code) == (
        SmsStatus.DELIVERED, datetime(2024, 5, 1, 1, 30, 3, tzinfo=timezone.utc), "")
    assert d.received_at.utcoffset() == timedelta(hours=8)  # Beijing time as Aliyun reports it
    [f] = await gateway.query_reports(PHONE, SENT_AT.date(), failed.provider_message_id)
    assert (f.status, f.error_code) == (SmsStatus.FAILED, "MOBILE_NOT_ON_SERVICE")
    [w] = await gateway.query_reports(PHONE, SENT_AT.date(), waiting.provider_message_id)
    assert (w.status, w.received_at) == (SmsStatus.SENT, None)

    _, params = fake.requests[-1]
    assert (params["Action"], params["SendDate"], params["PageSize"], params["CurrentPage"], params["BizId"]) == (
        "QuerySendDetails", "20240501", "50", "1", waiting.provider_message_id)
    everything = await gateway.query_reports(PHONE, SENT_AT.date(), None)
    assert len(everything) == 3 and all(r.provider_message_id is None for r in everything)


def test_from_settings_refuses_missing_keys(tmp_path):
    with pytest.raises(ConfigurationError, match="SONGDA_ALIYUN_ACCESS_KEY_ID"):
        AliyunSmsGateway.from_settings(make_settings(tmp_path, sms_gateway="aliyun"))


def test_repr_hides_the_keys(fake):
    assert fake.access_key_secret not in repr(gateway_for(fake))

"""Aliyun Dysmsapi (阿里云短信服务, API version 2017-05-25) behind ``SmsGateway``.

Facts this module is built on (checked against the SDK and Aliyun's documentation): the SDK raises only for HTTP
≥ 300 or network errors, so a business refusal arrives as HTTP 200 with ``Code != "OK"``;
it blocks, so every call runs in a worker thread; and retries are ours, never the SDK's, so
one ``send`` can never become two texts on a handset.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aliyunsdkcore.client import AcsClient

from identity.aliyun_rpc import RpcErrors, call_rpc
from identity.models import SmsStatus, SmsTemplate
from identity.sms.gateway import (
    DeliveryReport,
    SendResult,
    SmsError,
    SmsRejected,
    SmsTemplateError,
    SmsUnavailable,
)
from identity.sms.templates import check_params

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["AliyunSmsGateway", "error_for"]

log = logging.getLogger(__name__)
# The SDK logs failed requests with Aliyun's string-to-sign, which holds the form body: phone
# numbers and one-time codes. Our own lines carry the error code and RequestId instead.
logging.getLogger("aliyunsdkcore").setLevel(logging.CRITICAL)

API_VERSION = "2017-05-25"
CHINA_TZ = ZoneInfo("Asia/Shanghai")  # Aliyun's SendDate and ReceiveDate are Beijing time
PAGE_SIZE = 50  # the API's maximum

_PHONE_INVALID = ("sms_phone_invalid", 422, "手机号码无效，短信无法发送")
_RATE_LIMITED = ("sms_rate_limited", 429, "短信发送过于频繁，请稍后再试")
_UNAVAILABLE = ("sms_unavailable", 503, "短信服务暂时不可用，请稍后再试")
_MISCONFIGURED = ("sms_misconfigured", 500, "短信服务配置有误，请联系系统管理员")

# Aliyun's documented error codes (短信服务错误码). BUSINESS_LIMIT_CONTROL is the per-number
# limit (by default 1/min, 5/hour, 10/day); DAY/MONTH limits are account-wide.
_BUSINESS_ERRORS: dict[str, tuple[str, int, str]] = {
    "isv.MOBILE_NUMBER_ILLEGAL": _PHONE_INVALID,
    "isv.BUSINESS_LIMIT_CONTROL": _RATE_LIMITED,
    "isv.DAY_LIMIT_CONTROL": _UNAVAILABLE,
    "isv.MONTH_LIMIT_CONTROL": _UNAVAILABLE,
    "isv.AMOUNT_NOT_ENOUGH": _UNAVAILABLE,
    "isv.OUT_OF_SERVICE": _UNAVAILABLE,
    "isv.TEMPLATE_MISSING_PARAMETERS": _MISCONFIGURED,
    "isv.SMS_TEMPLATE_ILLEGAL": _MISCONFIGURED,
    "isv.SMS_SIGNATURE_ILLEGAL": _MISCONFIGURED,
    "isv.InvalidParameters": _MISCONFIGURED,
    "isv.PARAM_LENGTH_LIMIT": _MISCONFIGURED,
    "isv.BLACK_KEY_CONTROL_LIMIT": _MISCONFIGURED,
    # Credentials. A wrong secret surfaces as SignatureDoesNotMatch: the SDK's rewrite to
    # InvalidAccessKeySecret never fires for a CommonRequest (it compares the outer request's
    # string-to-sign, which only the inner RpcRequest sets; checked against 2.16.1).
    "SignatureDoesNotMatch": _MISCONFIGURED,
    "InvalidAccessKeySecret": _MISCONFIGURED,
    "InvalidAccessKeyId.NotFound": _MISCONFIGURED,
    "InvalidAccessKeyId.Inactive": _MISCONFIGURED,
    "Forbidden.RAM": _MISCONFIGURED,
    "InvalidVersion": _MISCONFIGURED,
}


# QuerySendDetails SendStatus: 1 waiting for the carrier, 2 failed, 3 delivered.
_SEND_STATUS = {1: SmsStatus.SENT, 2: SmsStatus.FAILED, 3: SmsStatus.DELIVERED}


def error_for(provider_code: str, http_status: int | None = None) -> SmsError:
    """The ``SmsError`` for an Aliyun error code (and the HTTP status it came with)."""
    known = _BUSINESS_ERRORS.get(provider_code)
    if known is not None:
        code, status, message = known
        return SmsRejected(message, code=code, status=status, provider_code=provider_code)
    if (http_status or 0) >= 500 or provider_code.startswith(("Throttling", "ServiceUnavailable")):
        return SmsUnavailable(provider_code=provider_code)
    # Unknown refusals are logged by code so that the table above can learn them.
    log.warning("aliyun sms: unmapped error code %s (HTTP %s)", provider_code, http_status)
    return SmsRejected(f"短信服务商拒绝发送（{provider_code}）", provider_code=provider_code)


class AliyunSmsGateway:
    provider = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_codes: Mapping[SmsTemplate, str],
        endpoint: str = "dysmsapi.aliyuncs.com",
        protocol: str = "https",
        region: str = "cn-hangzhou",
        connect_timeout: float = 5,
        read_timeout: float = 10,
    ) -> None:
        self.sign_name = sign_name
        self._template_codes = dict(template_codes)
        self._endpoint = endpoint
        self._protocol = protocol
        # auto_retry=False: SendSms is not idempotent; a retried timeout could text twice.
        self._client = AcsClient(
            access_key_id, access_key_secret, region, auto_retry=False,
            connect_timeout=connect_timeout, timeout=read_timeout,
        )

    def __repr__(self) -> str:
        return f"AliyunSmsGateway(endpoint={self._endpoint!r})"  # never the keys

    @classmethod
    def from_settings(cls, settings: Settings) -> AliyunSmsGateway:
        from core.settings import ConfigurationError

        secret = settings.aliyun_access_key_secret.get_secret_value()
        if not (settings.aliyun_access_key_id and secret):
            raise ConfigurationError(
                "SONGDA_SMS_GATEWAY=aliyun 需要 SONGDA_ALIYUN_ACCESS_KEY_ID 与 SONGDA_ALIYUN_ACCESS_KEY_SECRET"
            )
        return cls(
            access_key_id=settings.aliyun_access_key_id,
            access_key_secret=secret,
            sign_name=settings.sms_sign_name,
            template_codes={
                SmsTemplate.CODE: settings.sms_template_code,
                SmsTemplate.SERVICE_NOTICE: settings.sms_template_notice,
                SmsTemplate.TASK_REMINDER: settings.sms_template_task_reminder,
                SmsTemplate.PICKUP_NOTICE: settings.sms_template_pickup,
                SmsTemplate.ADDRESS_REQUEST: settings.sms_template_address_request,
                SmsTemplate.HEARING_REMINDER: settings.sms_template_hearing,
            },
            endpoint=settings.aliyun_sms_endpoint,
            protocol=settings.aliyun_sms_protocol,
            region=settings.aliyun_region,
        )

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> SendResult:
        check_params(template, params)
        template_code = self._template_codes.get(template)
        if not template_code:  # a template the court has not had approved in the Aliyun console
            raise SmsTemplateError(f"短信模板 {template.value} 未配置模板代码")
        body = await self._call("SendSms", {
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
        })
        result = SendResult(provider_message_id=body.get("BizId") or None,
                            request_id=str(body.get("RequestId", "")))
        log.info("aliyun sms: sent, BizId %s, RequestId %s", result.provider_message_id, result.request_id)
        return result

    async def query_reports(self, phone: str, sent_on: date,
                            provider_message_id: str | None) -> list[DeliveryReport]:
        params = {
            "PhoneNumber": phone,
            "SendDate": sent_on.strftime("%Y%m%d"),
            "PageSize": str(PAGE_SIZE),
            "CurrentPage": "1",
        }
        if provider_message_id:
            params["BizId"] = provider_message_id
        body = await self._call("QuerySendDetails", params)
        details = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        # The detail rows carry no BizId: only a query by BizId tells which text they describe.
        return [_report(d, phone, provider_message_id) for d in details]

    async def _call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        return await asyncio.to_thread(self._call_blocking, action, params)

    def _call_blocking(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        return call_rpc(self._client, endpoint=self._endpoint, version=API_VERSION, protocol=self._protocol,
                        action=action, params=params, errors=_ERRORS)


def _report(detail: Mapping[str, Any], phone: str, provider_message_id: str | None) -> DeliveryReport:
    try:
        status = _SEND_STATUS[int(detail.get("SendStatus", 1))]
    except (KeyError, TypeError, ValueError):
        status = SmsStatus.SENT  # unknown means "not final yet"; we ask again next run
    err_code = str(detail.get("ErrCode") or "")
    return DeliveryReport(
        provider_message_id=provider_message_id,
        phone=str(detail.get("PhoneNum") or phone),
        status=status,
        received_at=_china_time(detail.get("ReceiveDate")),
        # "DELIVERED" is the success code, not an error.
        error_code="" if status is SmsStatus.DELIVERED else err_code,
    )


def _china_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ)
    except ValueError:
        return None


def _misconfigured(provider_code: str) -> SmsRejected:
    code, status, message = _MISCONFIGURED
    return SmsRejected(message, code=code, status=status, provider_code=provider_code)


_ERRORS = RpcErrors("sms", error_for, lambda code: SmsUnavailable(provider_code=code), _misconfigured)

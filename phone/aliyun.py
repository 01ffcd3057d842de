"""Aliyun 语音服务 (Dyvmsapi, API version 2017-05-25) behind ``Telephony``.

Built like the SMS gateway (identity/sms/aliyun.py): ``CommonRequest`` over the SDK's RPC
signing; a business refusal arrives as HTTP 200 with ``Code != "OK"``; the SDK blocks, so every
call runs in a worker thread; retries are ours (``auto_retry=False``: ClickToDial is not
idempotent, a retried timeout could ring a litigant twice).

Operations used:
- ``ClickToDial`` (CallerShowNumber, CallerNumber, CalledShowNumber, CalledNumber, RecordFlag,
  SessionTimeout, OutId) → ``CallId``;
- ``QueryCallDetailByCallId`` (CallId, ProdId, QueryDate in ms) → ``Data``, a JSON string with
  ``state``, ``stateDesc``, ``startDate``, ``endDate``, ``duration``;
- ``QueryRecordFileDownloadUrl`` (CallId, CallTime) → ``Data``, a short-lived download URL, which
  is then read with a plain HTTP GET.
"""
from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aliyunsdkcore.client import AcsClient

from identity.aliyun_rpc import RpcErrors, call_rpc
from phone.telephony import (
    CallDetail,
    CallOutcome,
    PlacedCall,
    TelephonyError,
    TelephonyRejected,
    TelephonyUnavailable,
)

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["AliyunTelephony", "STATE_OUTCOMES"]

log = logging.getLogger(__name__)
logging.getLogger("aliyunsdkcore").setLevel(logging.CRITICAL)  # its error lines quote the form body

API_VERSION = "2017-05-25"
CHINA_TZ = ZoneInfo("Asia/Shanghai")
MAX_RECORDING_BYTES = 50 * 1024 * 1024
SESSION_TIMEOUT = 3600  # seconds a call may last

# The call-state codes of Aliyun's 呼叫状态码 table that end a call, and what they mean here.
STATE_OUTCOMES: dict[str, CallOutcome] = {
    "200000": CallOutcome.ANSWERED,
    "200001": CallOutcome.EMPTY_NUMBER,   # 用户不存在 / 空号
    "200002": CallOutcome.BUSY,           # 用户忙
    "200003": CallOutcome.REJECTED,       # 用户拒接
    "200004": CallOutcome.NO_ANSWER,      # 用户无应答
    "200005": CallOutcome.NO_ANSWER,      # 用户关机 / 无法接通
    "200010": CallOutcome.EMPTY_NUMBER,   # 停机
    "200020": CallOutcome.STAFF_UNREACHED,  # 主叫（工作人员）未接听
}

_PHONE_INVALID = ("phone_number_invalid", 422, "号码无效，语音服务拒绝拨打")
_RATE_LIMITED = ("telephony_rate_limited", 429, "拨打过于频繁，请稍后再试")
_MISCONFIGURED = ("telephony_misconfigured", 500, "语音服务配置有误，请联系系统管理员")
_BUSINESS_ERRORS: dict[str, tuple[str, int, str]] = {
    "isv.MOBILE_NUMBER_ILLEGAL": _PHONE_INVALID,
    "isv.CALLED_NUMBER_ILLEGAL": _PHONE_INVALID,
    "isv.BUSINESS_LIMIT_CONTROL": _RATE_LIMITED,
    "isv.OUT_OF_SERVICE": ("telephony_unavailable", 503, "语音服务暂时不可用，请稍后再试"),
    "isv.AMOUNT_NOT_ENOUGH": ("telephony_unavailable", 503, "语音服务暂时不可用，请稍后再试"),
    "isv.DISPLAY_NUMBER_ILLEGAL": _MISCONFIGURED,
    "isv.InvalidParameters": _MISCONFIGURED,
    "SignatureDoesNotMatch": _MISCONFIGURED,
    "InvalidAccessKeyId.NotFound": _MISCONFIGURED,
    "InvalidAccessKeySecret": _MISCONFIGURED,
    "Forbidden.RAM": _MISCONFIGURED,
    "InvalidVersion": _MISCONFIGURED,
}


def error_for(provider_code: str, http_status: int | None = None) -> TelephonyError:
    known = _BUSINESS_ERRORS.get(provider_code)
    if known is not None:
        code, status, message = known
        kind = TelephonyUnavailable if status == 503 else TelephonyRejected
        return kind(message, code=code, status=status, provider_code=provider_code)
    if (http_status or 0) >= 500 or provider_code.startswith(("Throttling", "ServiceUnavailable")):
        return TelephonyUnavailable(provider_code=provider_code)
    log.warning("aliyun voice: unmapped error code %s (HTTP %s)", provider_code, http_status)
    return TelephonyRejected(f"语音服务拒绝了本次请求（{provider_code}）", provider_code=provider_code)


class AliyunTelephony:
    provider = "aliyun"

    def __init__(self, *, access_key_id: str, access_key_secret: str, show_number: str,
                 prod_id: str = "11000000300006", endpoint: str = "dyvmsapi.aliyuncs.com",
                 protocol: str = "https", region: str = "cn-hangzhou", connect_timeout: float = 5,
                 read_timeout: float = 10) -> None:
        self._show_number = show_number
        self._prod_id = prod_id
        self._endpoint = endpoint
        self._protocol = protocol
        self._read_timeout = read_timeout
        self._client = AcsClient(access_key_id, access_key_secret, region, auto_retry=False,
                                 connect_timeout=connect_timeout, timeout=read_timeout)

    def __repr__(self) -> str:
        return f"AliyunTelephony(endpoint={self._endpoint!r})"  # never the keys

    @classmethod
    def from_settings(cls, settings: Settings) -> AliyunTelephony:
        from core.settings import ConfigurationError

        secret = settings.aliyun_access_key_secret.get_secret_value()
        if not (settings.aliyun_access_key_id and secret):
            raise ConfigurationError(
                "SONGDA_TELEPHONY=aliyun 需要 SONGDA_ALIYUN_ACCESS_KEY_ID 与 SONGDA_ALIYUN_ACCESS_KEY_SECRET")
        if not settings.telephony_show_number:
            raise ConfigurationError("SONGDA_TELEPHONY=aliyun 需要 SONGDA_TELEPHONY_SHOW_NUMBER（法院登记的外显号码）")
        return cls(access_key_id=settings.aliyun_access_key_id, access_key_secret=secret,
                   show_number=settings.telephony_show_number, prod_id=settings.telephony_prod_id,
                   endpoint=settings.aliyun_voice_endpoint, protocol=settings.aliyun_voice_protocol,
                   region=settings.aliyun_region)

    async def place_call(self, *, staff_phone: str, callee: str, out_id: str) -> PlacedCall:
        body = await self._call("ClickToDial", {
            "CallerShowNumber": self._show_number, "CallerNumber": staff_phone,
            "CalledShowNumber": self._show_number, "CalledNumber": callee,
            "RecordFlag": "true", "SessionTimeout": str(SESSION_TIMEOUT), "OutId": out_id,
        })
        call_id = str(body.get("CallId") or "")
        if not call_id:
            raise TelephonyUnavailable(provider_code="NoCallId")
        log.info("aliyun voice: call placed, CallId %s, RequestId %s", call_id, body.get("RequestId"))
        return PlacedCall(call_id=call_id, request_id=str(body.get("RequestId", "")))

    async def call_detail(self, call_id: str, *, placed_at: datetime) -> CallDetail:
        body = await self._call("QueryCallDetailByCallId", {
            "CallId": call_id, "ProdId": self._prod_id, "QueryDate": str(int(placed_at.timestamp() * 1000)),
        })
        data = body.get("Data") or {}
        if isinstance(data, str):
            try:
                data = json.loads(data) if data else {}
            except ValueError:
                data = {}
        state = str(data.get("state") or "")
        outcome = STATE_OUTCOMES.get(state)
        if outcome is None and not data.get("endDate"):
            return CallDetail(ended=False)  # not reported yet, or still ringing / talking
        answered = outcome is CallOutcome.ANSWERED
        return CallDetail(
            ended=True, outcome=outcome or CallOutcome.UNKNOWN,
            started_at=_china_time(data.get("startDate")) if answered else None,
            ended_at=_china_time(data.get("endDate")), duration=_int(data.get("duration")) if answered else 0,
            recorded=answered,
        )

    async def fetch_recording(self, call_id: str, *, placed_at: datetime) -> bytes:
        body = await self._call("QueryRecordFileDownloadUrl", {
            "CallId": call_id, "CallTime": placed_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        })
        url = str(body.get("Data") or "")
        if not url.startswith(("http://", "https://")):
            raise TelephonyUnavailable("录音尚未生成，请稍后再试", provider_code="NoRecordingYet")
        return await asyncio.to_thread(self._download, url)

    def _download(self, url: str) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=self._read_timeout) as response:  # noqa: S310 (URL from the provider)
                data = response.read(MAX_RECORDING_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise TelephonyUnavailable("录音下载失败，稍后重试", provider_code=f"HTTP{exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TelephonyUnavailable("录音下载失败，稍后重试", provider_code="DownloadFailed") from exc
        if len(data) > MAX_RECORDING_BYTES:
            raise TelephonyRejected("录音文件过大", provider_code="RecordingTooLarge")
        if not data:
            raise TelephonyUnavailable("录音尚未生成，请稍后再试", provider_code="EmptyRecording")
        return data

    async def _call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        return await asyncio.to_thread(self._call_blocking, action, params)

    def _call_blocking(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        return call_rpc(self._client, endpoint=self._endpoint, version=API_VERSION, protocol=self._protocol,
                        action=action, params=params, errors=_ERRORS)


def _china_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ)
    except ValueError:
        return None


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _misconfigured(provider_code: str) -> TelephonyRejected:
    code, status, message = _MISCONFIGURED
    return TelephonyRejected(message, code=code, status=status, provider_code=provider_code)


_ERRORS = RpcErrors("voice", error_for, lambda code: TelephonyUnavailable(provider_code=code), _misconfigured)

"""A loopback fake of Aliyun Dysmsapi 2017-05-25 that speaks the real RPC wire format.

The SDK vendors its own ``requests``, so ``responses`` cannot intercept it; instead the gateway
is pointed at this server (``set_domain("127.0.0.1:PORT")``, protocol http). The fake checks
what Aliyun checks — the HMAC-SHA1 signature (computed here independently of the SDK, so a
broken signing path fails a test), AccessKeyId, signature method/version, API version,
timestamp and nonce, required parameters, sign name and template — and answers in Aliyun's
JSON shapes: business refusals with HTTP 200 and ``Code != "OK"``, protocol errors with 4xx.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes.loopback import LoopbackServer

__all__ = ["FakeDysmsapi", "SentSms", "percent_encode", "rpc_signature", "string_to_sign"]

CHINA_TZ = ZoneInfo("Asia/Shanghai")
VERSION = "2017-05-25"
COMMON_PARAMS = ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce",
                 "SignatureVersion", "Timestamp", "Version", "Signature")
REQUIRED = {
    "SendSms": ("PhoneNumbers", "SignName", "TemplateCode"),
    "QuerySendDetails": ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"),
}
DEFAULT_TEMPLATES = {  # the template codes Settings defaults to, with their variables
    "SMS_CODE": frozenset({"code", "minutes"}),
    "SMS_NOTICE": frozenset({"court", "case_number", "link"}),
    "SMS_TASK_REMINDER": frozenset({"court", "name", "case_number", "hotline"}),
    "SMS_PICKUP": frozenset({"court", "name", "case_number", "deadline"}),
    "SMS_ADDRESS_REQUEST": frozenset({"court", "name", "case_number", "hotline"}),
    "SMS_HEARING": frozenset({"court", "name", "case_number", "hearing"}),
}
_MOBILE = re.compile(r"1[3-9]\d{9}")
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value: str) -> str:
    """Aliyun's percentEncode: RFC 3986 over UTF-8; ``~`` kept, space → %20, ``*`` → %2A."""
    return quote(value, safe="-_.~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&percentEncode(canonicalised query)``, ``Signature`` itself excluded."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items(), key=lambda kv: kv[0].encode("utf-8"))
        if k != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """RPC signature v1: base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))."""
    digest = hmac.new((secret + "&").encode("utf-8"), string_to_sign(method, params).encode("utf-8"),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class SentSms:
    """One accepted SendSms, and what QuerySendDetails will say about it."""

    biz_id: str
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    sent_at: datetime  # China Standard Time, as Aliyun reports it
    out_id: str = ""
    send_status: int = 1  # 1 waiting for the carrier, 2 failed, 3 delivered
    receive_date: str = ""
    err_code: str = ""


class _ApiError(Exception):
    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.http_status, self.code, self.message = http_status, code, message


@dataclass
class FakeDysmsapi:
    access_key_id: str = "fake-access-key-id"
    access_key_secret: str = "fake-access-key-secret"
    sign_names: frozenset[str] = frozenset({"电子送达"})
    templates: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(CHINA_TZ))
    delay: float = 0.0  # seconds to wait before answering, to test that callers don't block
    http_status: int | None = None  # answer every request with this HTTP error (e.g. 503)
    sent: list[SentSms] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # verified ones
    targets: list[str] = field(default_factory=list)  # every request line's path + query

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: dict[str, tuple[str, str]] = {}
        self._nonces: set[str] = set()
        self._ids = itertools.count(900_000_000_000_000_001)
        self._loopback: LoopbackServer | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeDysmsapi:
        self._loopback = LoopbackServer(_Handler, fake=self, name="fake-dysmsapi")
        return self

    def close(self) -> None:
        if self._loopback is not None:
            self._loopback.close()
            self._loopback = None

    def __enter__(self) -> FakeDysmsapi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def endpoint(self) -> str:
        """What to put in ``aliyun_sms_endpoint`` (with ``aliyun_sms_protocol="http"``)."""
        assert self._loopback is not None, "start() the fake first"
        return f"127.0.0.1:{self._loopback.port}"

    # --- scripting ---------------------------------------------------------------------

    def refuse(self, phone: str, code: str, message: str = "") -> None:
        """Answer SendSms for ``phone`` with business error ``code`` (HTTP 200)."""
        with self._lock:
            self._refusals[phone] = (code, message or code)

    def deliver(self, biz_id: str, at: datetime) -> None:
        self._report(biz_id, 3, at, "DELIVERED")

    def fail(self, biz_id: str, err_code: str, at: datetime) -> None:
        self._report(biz_id, 2, at, err_code)

    def _report(self, biz_id: str, status: int, at: datetime, err_code: str) -> None:
        with self._lock:
            message = next(m for m in self.sent if m.biz_id == biz_id)
            message.send_status = status
            message.receive_date = at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
            message.err_code = err_code

    # --- the API -------------------------------------------------------------------------

    def handle(self, method: str, target: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4()).upper()
        with self._lock:
            self.targets.append(target)
        if self.delay:
            time.sleep(self.delay)
        try:
            if self.http_status is not None:
                raise _ApiError(self.http_status, "ServiceUnavailable",
                                "The request has failed due to a temporary failure of the server.")
            params = self._verified_params(method, target, body, content_type)
            with self._lock:
                self.requests.append((method, params))
                answer = self._dispatch(params)
        except _ApiError as exc:
            return exc.http_status, {"RequestId": request_id, "Code": exc.code, "Message": exc.message}
        return 200, {"RequestId": request_id, **answer}

    def _verified_params(self, method: str, target: str, body: bytes, content_type: str) -> dict[str, str]:
        url = urlsplit(target)
        if url.path != "/":
            raise _ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {url.path}")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        if method == "POST" and body and "application/x-www-form-urlencoded" in content_type:
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params: dict[str, str] = {}
        for key, value in pairs:
            if key in params:
                raise _ApiError(400, "InvalidParameter", f"Parameter {key} appears more than once.")
            params[key] = value
        for name in COMMON_PARAMS:
            if not params.get(name):
                raise _ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params["AccessKeyId"] != self.access_key_id:
            raise _ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise _ApiError(400, "InvalidSignatureMethod", "Specified signature method is not supported.")
        if params["Version"] != VERSION:
            raise _ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        try:
            stamp = datetime.strptime(params["Timestamp"], _TIMESTAMP).replace(tzinfo=timezone.utc)
        except ValueError:
            raise _ApiError(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.") from None
        if abs(datetime.now(timezone.utc) - stamp) > timedelta(minutes=15):
            raise _ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        expected = rpc_signature(method, params, self.access_key_secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            # Aliyun puts its string-to-sign after the colon; the SDK compares it with its own.
            raise _ApiError(400, "SignatureDoesNotMatch",
                            "Specified signature is not matched with our calculation. "
                            f"server string to sign is:{string_to_sign(method, params)}")
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                raise _ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(params["SignatureNonce"])
        return params

    def _dispatch(self, params: dict[str, str]) -> dict[str, Any]:
        action = params["Action"]
        if action not in REQUIRED:
            raise _ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")
        for name in REQUIRED[action]:
            if not params.get(name):
                raise _ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        return self._send_sms(params) if action == "SendSms" else self._query_send_details(params)

    def _send_sms(self, params: dict[str, str]) -> dict[str, Any]:
        phone = params["PhoneNumbers"]
        if phone in self._refusals:
            code, message = self._refusals[phone]
            return {"Code": code, "Message": message}
        if not _MOBILE.fullmatch(phone):
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if params["SignName"] not in self.sign_names:
            return {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "该账号下找不到对应签名"}
        variables = self.templates.get(params["TemplateCode"])
        if variables is None:
            return {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"}
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return {"Code": "isv.InvalidJsonParam", "Message": "JSON参数不合法，只接受字符串值"}
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return {"Code": "isv.InvalidJsonParam", "Message": "JSON参数不合法，只接受字符串值"}
        if not variables <= values.keys():
            return {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        biz_id = f"{next(self._ids)}^0"
        self.sent.append(SentSms(
            biz_id=biz_id, phone=phone, sign_name=params["SignName"], template_code=params["TemplateCode"],
            params=values, sent_at=self.clock().astimezone(CHINA_TZ), out_id=params.get("OutId", ""),
        ))
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def _query_send_details(self, params: dict[str, str]) -> dict[str, Any]:
        if not re.fullmatch(r"\d{8}", params["SendDate"]):
            return {"Code": "isv.InvalidParameters", "Message": "SendDate 格式错误"}
        try:
            page_size, page = int(params["PageSize"]), int(params["CurrentPage"])
        except ValueError:
            return {"Code": "isv.InvalidParameters", "Message": "分页参数错误"}
        if not 1 <= page_size <= 50 or page < 1:
            return {"Code": "isv.InvalidParameters", "Message": "分页参数错误"}
        matches = [
            m for m in self.sent
            if m.phone == params["PhoneNumber"] and m.sent_at.strftime("%Y%m%d") == params["SendDate"]
            and (not params.get("BizId") or m.biz_id == params["BizId"])
        ]
        page_rows = matches[(page - 1) * page_size: page * page_size]
        return {
            "Code": "OK", "Message": "OK", "TotalCount": len(matches),
            # As on the wire: the rows carry no BizId.
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": [{
                "PhoneNum": m.phone, "SendStatus": m.send_status, "ErrCode": m.err_code,
                "TemplateCode": m.template_code, "OutId": m.out_id,
                "Content": f"【{m.sign_name}】" + json.dumps(m.params, ensure_ascii=False),
                "SendDate": m.sent_at.strftime("%Y-%m-%d %H:%M:%S"), "ReceiveDate": m.receive_date,
            } for m in page_rows]},
        }


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.fake.handle(  # type: ignore[attr-defined]
            self.command, self.path, body, self.headers.get("Content-Type", ""))
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left, as a timeout test means it to

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet; the fake records requests in .requests


def gateway_for(fake: FakeDysmsapi):
    """Our real Aliyun gateway, pointed at ``fake``, with the two templates the platform sends."""
    from identity.models import SmsTemplate
    from identity.sms.aliyun import AliyunSmsGateway

    return AliyunSmsGateway(
        access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret, sign_name="电子送达",
        template_codes={SmsTemplate.CODE: "SMS_CODE", SmsTemplate.SERVICE_NOTICE: "SMS_NOTICE",
                        SmsTemplate.TASK_REMINDER: "SMS_TASK_REMINDER", SmsTemplate.PICKUP_NOTICE: "SMS_PICKUP",
                        SmsTemplate.ADDRESS_REQUEST: "SMS_ADDRESS_REQUEST",
                        SmsTemplate.HEARING_REMINDER: "SMS_HEARING"},
        endpoint=fake.endpoint, protocol="http",
    )

"""A loopback fake of Aliyun Dyvmsapi 2017-05-25 (语音服务) speaking the real RPC wire format.

Like ``tests/fakes/aliyun_sms.py`` it checks what Aliyun checks — the HMAC-SHA1 signature
(computed independently of the SDK), AccessKeyId, method/version, timestamp, nonce, required
parameters — and answers in Aliyun's shapes: business refusals with HTTP 200 and
``Code != "OK"``. Calls stay unreported until a test ``settle``s them; an answered call's
recording is served by this same server at the URL ``QueryRecordFileDownloadUrl`` hands out.
"""
from __future__ import annotations

import hmac
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from phone.aliyun import STATE_OUTCOMES
from phone.telephony import CallOutcome
from tests.fakes.aliyun_sms import COMMON_PARAMS, rpc_signature, string_to_sign
from tests.fakes.loopback import LoopbackServer

__all__ = ["FakeDyvmsapi", "FakeCall", "telephony_for"]

CHINA_TZ = ZoneInfo("Asia/Shanghai")
VERSION = "2017-05-25"
REQUIRED = {
    "ClickToDial": ("CallerShowNumber", "CallerNumber", "CalledNumber", "CalledShowNumber"),
    "QueryCallDetailByCallId": ("CallId", "ProdId", "QueryDate"),
    "QueryRecordFileDownloadUrl": ("CallId", "CallTime"),
}
STATE_OF = {outcome: state for state, outcome in reversed(list(STATE_OUTCOMES.items()))}
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class FakeCall:
    call_id: str
    caller: str
    called: str
    show_number: str
    record: bool
    out_id: str
    placed_at: datetime
    outcome: CallOutcome | None = None   # None: not reported yet
    duration: int = 0
    recording: bytes | None = None


class _ApiError(Exception):
    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.http_status, self.code, self.message = http_status, code, message


@dataclass
class FakeDyvmsapi:
    access_key_id: str = "fake-access-key-id"
    access_key_secret: str = "fake-access-key-secret"
    show_numbers: frozenset[str] = frozenset({"077212368"})
    http_status: int | None = None
    recording_failures: int = 0   # answer this many recording downloads with HTTP 404 first
    calls: list[FakeCall] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: dict[str, str] = {}
        self._nonces: set[str] = set()
        self._ids = itertools.count(116_012_354_148)
        self._loopback: LoopbackServer | None = None

    def __enter__(self) -> FakeDyvmsapi:
        self._loopback = LoopbackServer(_Handler, fake=self, name="fake-dyvmsapi")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loopback is not None
        self._loopback.close()

    @property
    def endpoint(self) -> str:
        assert self._loopback is not None
        return f"127.0.0.1:{self._loopback.port}"

    # --- scripting ---------------------------------------------------------------------

    def refuse(self, number: str, code: str) -> None:
        """Answer ClickToDial to ``number`` with business error ``code`` (HTTP 200)."""
        self._refusals[number] = code

    def settle(self, call_id: str, outcome: CallOutcome, *, duration: int = 0, recording: bytes | None = None) -> None:
        with self._lock:
            call = next(c for c in self.calls if c.call_id == call_id)
            call.outcome, call.duration, call.recording = outcome, duration, recording

    # --- the API -------------------------------------------------------------------------

    def handle(self, method: str, target: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
        url = urlsplit(target)
        if method == "GET" and url.path.startswith("/recordings/"):
            return self._recording(url.path.rsplit("/", 1)[-1].removesuffix(".mp3"))
        request_id = str(uuid.uuid4()).upper()
        try:
            if self.http_status is not None:
                raise _ApiError(self.http_status, "ServiceUnavailable", "temporary failure")
            params = self._verified(method, url, body, content_type)
            with self._lock:
                self.requests.append((method, params))
                answer = self._dispatch(params)
        except _ApiError as exc:
            payload = {"RequestId": request_id, "Code": exc.code, "Message": exc.message}
            return exc.http_status, "application/json", json.dumps(payload).encode()
        return 200, "application/json", json.dumps({"RequestId": request_id, **answer}, ensure_ascii=False).encode()

    def _recording(self, call_id: str) -> tuple[int, str, bytes]:
        with self._lock:
            call = next((c for c in self.calls if c.call_id == call_id), None)
            if self.recording_failures > 0:
                self.recording_failures -= 1
                return 404, "text/plain", b"not found"
        if call is None or call.recording is None:
            return 404, "text/plain", b"not found"
        return 200, "audio/mpeg", call.recording

    def _verified(self, method: str, url: Any, body: bytes, content_type: str) -> dict[str, str]:
        pairs = parse_qsl(url.query, keep_blank_values=True)
        if method == "POST" and body and "application/x-www-form-urlencoded" in content_type:
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params = dict(pairs)
        for name in COMMON_PARAMS:
            if not params.get(name):
                raise _ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params["AccessKeyId"] != self.access_key_id:
            raise _ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if params["Version"] != VERSION:
            raise _ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        stamp = datetime.strptime(params["Timestamp"], _TIMESTAMP).replace(tzinfo=timezone.utc)
        if abs(datetime.now(timezone.utc) - stamp) > timedelta(minutes=15):
            raise _ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not hmac.compare_digest(rpc_signature(method, params, self.access_key_secret), params["Signature"]):
            raise _ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                            f"calculation. server string to sign is:{string_to_sign(method, params)}")
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
        if action == "ClickToDial":
            return self._click_to_dial(params)
        call = next((c for c in self.calls if c.call_id == params["CallId"]), None)
        if action == "QueryCallDetailByCallId":
            if call is None or call.outcome is None:
                return {"Code": "OK", "Message": "OK", "Data": ""}  # not reported (yet)
            answered = call.outcome is CallOutcome.ANSWERED
            start = call.placed_at + timedelta(seconds=6)
            data = {"callId": call.call_id, "state": STATE_OF[call.outcome], "stateDesc": call.outcome.label,
                    "startDate": start.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if answered else "",
                    "endDate": (start + timedelta(seconds=call.duration)).astimezone(CHINA_TZ)
                    .strftime("%Y-%m-%d %H:%M:%S"), "duration": call.duration}
            return {"Code": "OK", "Message": "OK", "Data": json.dumps(data, ensure_ascii=False)}
        if call is None or call.outcome is not CallOutcome.ANSWERED:
            return {"Code": "isv.RECORD_FILE_NOT_EXIST", "Message": "录音文件不存在"}
        return {"Code": "OK", "Message": "OK", "Data": f"http://{self.endpoint}/recordings/{call.call_id}.mp3"}

    def _click_to_dial(self, params: dict[str, str]) -> dict[str, Any]:
        called = params["CalledNumber"]
        if called in self._refusals:
            return {"Code": self._refusals[called], "Message": self._refusals[called]}
        if params["CallerShowNumber"] not in self.show_numbers:
            return {"Code": "isv.DISPLAY_NUMBER_ILLEGAL", "Message": "外显号码不合法"}
        call = FakeCall(call_id=f"{next(self._ids)}^{next(self._ids)}", caller=params["CallerNumber"],
                        called=called, show_number=params["CallerShowNumber"],
                        record=params.get("RecordFlag") == "true", out_id=params.get("OutId", ""),
                        placed_at=datetime.now(timezone.utc))
        self.calls.append(call)
        return {"Code": "OK", "Message": "OK", "CallId": call.call_id}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content_type, data = self.server.fake.handle(  # type: ignore[attr-defined]
            self.command, self.path, body, self.headers.get("Content-Type", ""))
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


def telephony_for(fake: FakeDyvmsapi):
    from phone.aliyun import AliyunTelephony

    return AliyunTelephony(access_key_id=fake.access_key_id, access_key_secret=fake.access_key_secret,
                           show_number="077212368", endpoint=fake.endpoint, protocol="http")

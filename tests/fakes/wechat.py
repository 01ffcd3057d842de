"""A loopback fake of the WeChat server APIs the mini-program backend calls, in WeChat's wire format.

wechatpy is pointed at it through ``SONGDA_WECHAT_API_BASE_URL``. It checks what WeChat checks:
appid and secret on the token endpoints, the access token on every business call, codes that
work once (40029 for an unknown code, 40163 for a used one), and the subscribe-message fields.
Answers are JSON with HTTP 200 and an ``errcode``, as WeChat answers.
"""
from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import LoopbackServer

__all__ = ["FakeWeChat"]

# WeChat's value rules for the field types the platform's template uses, written out here apart
# from identity/wechat/subscribe_values.py so the fake checks our messages the way WeChat does.
_FAKE_RULES = {
    "character_string": re.compile(r"[0-9A-Za-z!-/:-@\[-`{-~]{1,32}"),
    "time": re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日 )?([01]?\d|2[0-3]):[0-5]\d"),
    "number": re.compile(r"\d{1,32}(\.\d+)?"),
}


def _accepted(key: str, value: str) -> bool:
    kind = key.rstrip("0123456789")
    if kind == "thing":
        return 0 < len(value) <= 20
    rule = _FAKE_RULES.get(kind)
    return rule is None or bool(rule.fullmatch(value))


@dataclass
class FakeWeChat:
    app_id: str = "wx0000000000fake"
    app_secret: str = "fake-app-secret"
    login_codes: dict[str, str] = field(default_factory=dict)     # code → openid
    phone_codes: dict[str, str] = field(default_factory=dict)     # code → phone
    used_codes: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)      # subscribe messages
    calls: list[str] = field(default_factory=list)                # paths, in order
    session_keys: list[str] = field(default_factory=list)         # every session_key handed out
    unsubscribed: set[str] = field(default_factory=set)           # openids that refuse messages
    down: bool = False                                            # answer HTTP 503 to everything
    face_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # verify_id → request + result

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._loopback: LoopbackServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeWeChat:
        self._loopback = LoopbackServer(_Handler, fake=self, name="fake-wechat")
        return self

    def close(self) -> None:
        if self._loopback is not None:
            self._loopback.close()
            self._loopback = None

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        assert self._loopback is not None
        return self._loopback.base_url + "/"

    # -- what the mini-program would obtain on the phone ------------------------------------------
    def login_code(self, openid: str) -> str:
        """What ``wx.login()`` gives the user ``openid``: a fresh single-use code."""
        code = f"0{next(self._seq):03d}{secrets.token_hex(12)}"
        with self._lock:
            self.login_codes[code] = openid
        return code

    def phone_code(self, phone: str) -> str:
        """What ``getPhoneNumber`` gives for ``phone``."""
        code = secrets.token_hex(16)
        with self._lock:
            self.phone_codes[code] = phone
        return code

    # -- the server side ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 503, {}
        url = urlsplit(target)
        query = dict(parse_qsl(url.query))
        path = url.path.lstrip("/")
        with self._lock:
            self.calls.append(path)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 200, {"errcode": 47001, "errmsg": "data format error"}
        routes = {
            ("GET", "cgi-bin/token"): lambda: self._token(query),
            ("POST", "cgi-bin/stable_token"): lambda: self._token(payload),
            ("GET", "sns/jscode2session"): lambda: self._jscode2session(query),
            ("POST", "wxa/business/getuserphonenumber"): lambda: self._phone(query, payload),
            ("POST", "cgi-bin/message/subscribe/send"): lambda: self._subscribe(query, payload),
            ("POST", "cityservice/face/identify/getverifyid"): lambda: self._verify_id(query, payload),
            ("POST", "cityservice/face/identify/queryverifyinfo"): lambda: self._verify_info(query, payload),
        }
        route = routes.get((method, path))
        if route is None:
            return 404, {"errcode": -1, "errmsg": "not found"}
        with self._lock:
            return 200, route()

    def _token(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if params.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if params.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _use(self, codes: dict[str, str], code: str) -> tuple[str | None, dict[str, Any] | None]:
        if code in self.used_codes:
            return None, {"errcode": 40163, "errmsg": "code been used"}
        value = codes.get(code)
        if value is None:
            return None, {"errcode": 40029, "errmsg": "invalid code"}
        self.used_codes.add(code)
        return value, None

    def _jscode2session(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        openid, error = self._use(self.login_codes, query.get("js_code", ""))
        if error:
            return error
        session_key = secrets.token_urlsafe(16)
        self.session_keys.append(session_key)
        return {"openid": openid, "session_key": session_key, "errcode": 0, "errmsg": "ok"}

    def _token_error(self, query: dict[str, str]) -> dict[str, Any] | None:
        if query.get("access_token") not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        return None

    def _phone(self, query: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        if error := self._token_error(query):
            return error
        phone, error = self._use(self.phone_codes, str(payload.get("code", "")))
        if error:
            return error
        return {"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": 1700000000, "appid": self.app_id}}}

    def _subscribe(self, query: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        if error := self._token_error(query):
            return error
        if not payload.get("touser") or not payload.get("template_id") or not isinstance(payload.get("data"), dict):
            return {"errcode": 47003, "errmsg": "argument invalid!"}
        if any(not isinstance(v, dict) or "value" not in v for v in payload["data"].values()):
            return {"errcode": 47003, "errmsg": "argument invalid! data.value empty"}
        for key, item in payload["data"].items():
            if not _accepted(key, str(item["value"])):
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
        if payload["touser"] in self.unsubscribed:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        self.sent.append(payload)
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._seq)}

    # 人脸核身 2.0: the user's scan on the phone is simulated with ``face_scanned``.
    def face_scanned(self, verify_id: str, verify_ret: int = 10000) -> None:
        with self._lock:
            self.face_sessions[verify_id]["verify_ret"] = verify_ret

    def _verify_id(self, query: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        if error := self._token_error(query):
            return error
        cert = payload.get("cert_info") or {}
        if not payload.get("openid") or not payload.get("out_seq_no") or cert.get("cert_type") != "IDENTITY_CARD" \
                or not cert.get("cert_name") or not cert.get("cert_no"):
            return {"errcode": 47001, "errmsg": "data format error"}
        verify_id = secrets.token_hex(16)
        self.face_sessions[verify_id] = {
            "openid": payload["openid"], "out_seq_no": payload["out_seq_no"], "verify_ret": None,
            "cert_hash": _cert_hash("IDENTITY_CARD", cert["cert_name"], cert["cert_no"])}
        return {"errcode": 0, "errmsg": "ok", "verify_id": verify_id, "expires_in": 3600}

    def _verify_info(self, query: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        if error := self._token_error(query):
            return error
        record = self.face_sessions.get(str(payload.get("verify_id")))
        if record is None or record["openid"] != payload.get("openid") \
                or record["out_seq_no"] != payload.get("out_seq_no"):
            return {"errcode": 47001, "errmsg": "verify_id invalid"}
        if record["cert_hash"] != payload.get("cert_hash"):
            return {"errcode": 0, "errmsg": "ok", "verify_ret": 10003}  # 身份证号不匹配
        if record["verify_ret"] is None:
            return {"errcode": 0, "errmsg": "ok", "verify_ret": 90004}  # not scanned: user left mid-way
        return {"errcode": 0, "errmsg": "ok", "verify_ret": record["verify_ret"]}


def _cert_hash(cert_type: str, cert_name: str, cert_no: str) -> str:
    """WeChat's cert_hash, computed here independently of the code under test."""
    import base64
    import hashlib

    parts = [f"{k}={base64.b64encode(v.encode()).decode()}" for k, v in
             (("cert_type", cert_type), ("cert_name", cert_name), ("cert_no", cert_no))]
    return hashlib.sha256("&".join(parts).encode()).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.fake.handle(method, self.path, body)  # type: ignore[attr-defined]
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass

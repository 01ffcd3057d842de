"""A loopback fake of Kuaidi100 (快递100) that checks what Kuaidi100 checks: the query's ``sign``
(upper-case hex MD5 of ``param + key + customer``, computed here independently of the adapter), the
customer, the carrier code, and the subscription's key and callback. It answers in Kuaidi100's JSON
shapes (``message: ok`` with ``data`` lines newest first; ``result: false`` with a ``returnCode``),
and builds the signed push a subscription would send (``push_form``)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from tests.fakes.loopback import LoopbackServer

BEIJING = ZoneInfo("Asia/Shanghai")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


@dataclass
class FakeKuaidi100:
    customer: str = "CUSTOMER01"
    key: str = "kuaidi100-key"
    salt: str = "kuaidi100-salt"
    lines: dict[str, list[dict[str, str]]] = field(default_factory=dict)   # waybill → lines, oldest first
    subscriptions: dict[str, str] = field(default_factory=dict)            # waybill → callback URL
    queries: int = 0
    refused_signs: int = 0

    def start(self) -> FakeKuaidi100:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
                status, body = fake.handle(self.path, form)
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._loopback = LoopbackServer(Handler)
        return self

    def close(self) -> None:
        self._loopback.close()

    @property
    def base_url(self) -> str:
        return self._loopback.base_url

    def add_line(self, waybill: str, at: datetime, state: str, context: str, area: str = "") -> None:
        self.lines.setdefault(waybill, []).append({
            "time": at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "ftime": at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "context": context, "statusCode": state, "areaName": area,
            "status": {"1": "揽收", "0": "在途", "5": "派件", "3": "签收", "6": "退回", "14": "拒签"}.get(state, "")})

    def result(self, waybill: str) -> dict[str, Any]:
        lines = list(reversed(self.lines.get(waybill, [])))
        state = lines[0]["statusCode"] if lines else "0"
        return {"message": "ok", "nu": waybill, "ischeck": "1" if state in ("3", "6", "14") else "0",
                "com": "ems", "status": "200", "state": state, "data": lines}

    def handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/poll/query.do":
            param = form.get("param", "")
            if form.get("customer") != self.customer or form.get("sign") != _md5(param + self.key + self.customer):
                self.refused_signs += 1
                return 200, {"result": False, "returnCode": "503", "message": "验证签名失败"}
            body = json.loads(param)
            if body.get("com") != "ems" or not body.get("num"):
                return 200, {"result": False, "returnCode": "400", "message": "找不到对应公司"}
            self.queries += 1
            if body["num"] not in self.lines:
                return 200, {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
            return 200, self.result(body["num"])
        if path == "/poll":
            body = json.loads(form.get("param", "{}"))
            if form.get("schema") != "json" or body.get("key") != self.key:
                return 200, {"result": False, "returnCode": "600", "message": "您不是合法的订阅者"}
            callback = (body.get("parameters") or {}).get("callbackurl", "")
            if not callback.startswith(("http://", "https://")) or body.get("company") != "ems":
                return 200, {"result": False, "returnCode": "700", "message": "订阅参数错误"}
            if body.get("number") in self.subscriptions:
                return 200, {"result": False, "returnCode": "501", "message": "重复订阅"}
            self.subscriptions[body["number"]] = callback
            return 200, {"result": True, "returnCode": "200", "message": "提交成功"}
        return 404, {"result": False, "returnCode": "404", "message": "not found"}

    def push_form(self, waybill: str, *, salt: str | None = None) -> dict[str, str]:
        """The form Kuaidi100 POSTs to the callback for ``waybill`` (signed with ``salt``)."""
        param = json.dumps({"status": "polling", "message": "", "lastResult": self.result(waybill)},
                           ensure_ascii=False)
        return {"param": param, "sign": _md5(param + (self.salt if salt is None else salt))}

"""快递100 (Kuaidi100), the tracking aggregator: real-time query and subscription push for EMS.

- Query: POST ``/poll/query.do`` form ``customer``, ``param`` (JSON: ``com`` carrier code ``ems``,
  ``num`` waybill, ``resultv2``), ``sign`` = upper-case hex MD5 of ``param + key + customer``.
- Subscribe: POST ``/poll`` form ``schema=json``, ``param`` (JSON: ``company``, ``number``, ``key``,
  ``parameters``: ``callbackurl``, ``salt``, ``resultv2``).
- Push: Kuaidi100 POSTs form ``param`` (JSON with ``lastResult``, shaped like a query answer) and
  ``sign`` = upper-case hex MD5 of ``param + salt``; we answer ``{"result": true, "returnCode": "200"}``.

States (``state`` / ``statusCode`` with resultv2): 1 揽收, 0 在途, 5 派件, 3 签收, 4 退签, 6 退回,
14 拒签, 7 转投; 2 疑难 and 8 清关 and anything new are kept as lines without a stage.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from mail.carriers.carrier import CarrierRejected, CarrierUnavailable, PushRejected, Tracking, TrackPoint
from mail.choices import MailStatus

log = logging.getLogger(__name__)
security_log = logging.getLogger("songda.security")
BEIJING = ZoneInfo("Asia/Shanghai")
STATES = {"1": MailStatus.POSTED, "0": MailStatus.IN_TRANSIT, "7": MailStatus.IN_TRANSIT,
          "5": MailStatus.DELIVERING, "3": MailStatus.DELIVERED, "4": MailStatus.RETURNED,
          "6": MailStatus.RETURNED, "14": MailStatus.RETURNED}
# Query answers with these return codes mean "nothing known yet", not an error.
NO_RESULT = ("500",)


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    return md5_upper(param + key + customer)


def push_sign(param: str, salt: str) -> str:
    return md5_upper(param + salt)


def status_of(code: str) -> MailStatus | None:
    """``statusCode`` (resultv2: 3 digits, the first is the main state; ``14`` is 拒签) or ``state``."""
    code = (code or "").strip()
    if code in STATES:
        return STATES[code]
    if len(code) == 3 and code.isdigit():
        return STATES.get(code[0])
    return None


def parse_result(waybill: str, body: Mapping) -> Tracking:
    points = []
    for row in body.get("data") or []:
        try:
            at = datetime.strptime(str(row.get("ftime") or row.get("time")), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            log.warning("kuaidi100: unreadable time on waybill line, skipped")
            continue
        status = status_of(str(row.get("statusCode") or "")) or _status_text(str(row.get("status") or ""))
        if status is None:
            log.info("kuaidi100: unknown status %r kept without a stage", row.get("statusCode") or row.get("status"))
        points.append(TrackPoint(at, status, str(row.get("context") or "")[:500], str(row.get("areaName") or "")[:100]))
    return Tracking(waybill, tuple(sorted(points, key=lambda p: p.at)))


_TEXT = {"揽收": MailStatus.POSTED, "在途": MailStatus.IN_TRANSIT, "派件": MailStatus.DELIVERING,
         "签收": MailStatus.DELIVERED, "退签": MailStatus.RETURNED, "退回": MailStatus.RETURNED,
         "拒签": MailStatus.RETURNED}


def _status_text(text: str) -> MailStatus | None:
    return _TEXT.get(text)


class Kuaidi100Carrier:
    name = "kuaidi100"

    def __init__(self, *, customer: str, key: str, salt: str, base_url: str = "https://poll.kuaidi100.com",
                 company: str = "ems", timeout: float = 10.0) -> None:
        if not (customer and key and salt):
            raise ValueError("kuaidi100 needs customer, key and salt")
        self._customer, self._key, self._salt = customer, key, salt
        self._base, self._company, self._timeout = base_url.rstrip("/"), company, timeout

    async def _post(self, path: str, form: dict[str, str]) -> dict:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(f"{self._base}{path}", data=form)
        except httpx.HTTPError as exc:
            raise CarrierUnavailable("物流查询服务暂时无法连接，稍后将自动重试") from exc
        if response.status_code >= 500:
            raise CarrierUnavailable("物流查询服务暂时不可用，稍后将自动重试")
        try:
            return response.json()
        except ValueError as exc:
            raise CarrierUnavailable("物流查询服务返回了无法识别的内容") from exc

    async def track(self, waybill: str, *, now: datetime) -> Tracking:
        param = json.dumps({"com": self._company, "num": waybill, "resultv2": "1"}, separators=(",", ":"))
        body = await self._post("/poll/query.do", {"customer": self._customer, "param": param,
                                                    "sign": query_sign(param, self._key, self._customer)})
        if body.get("result") is False or "returnCode" in body and "data" not in body:
            code = str(body.get("returnCode") or "")
            if code in NO_RESULT:
                return Tracking(waybill, ())
            raise CarrierRejected(f"快递100拒绝查询：{str(body.get('message') or code)[:100]}")
        return parse_result(waybill, body)

    async def subscribe(self, waybill: str, *, callback_url: str, now: datetime) -> None:
        param = json.dumps({"company": self._company, "number": waybill, "key": self._key,
                            "parameters": {"callbackurl": callback_url, "salt": self._salt, "resultv2": "1"}},
                           separators=(",", ":"))
        body = await self._post("/poll", {"schema": "json", "param": param})
        # 501: already subscribed, which is what we wanted.
        if not body.get("result") and str(body.get("returnCode")) != "501":
            raise CarrierRejected(f"快递100拒绝订阅：{str(body.get('message') or '')[:100]}")

    def read_push(self, form: Mapping[str, str]) -> Tracking:
        param, sign = form.get("param") or "", form.get("sign") or ""
        if not param or not hmac.compare_digest(push_sign(param, self._salt), sign.upper()):
            security_log.warning("kuaidi100 push with a bad signature refused")
            raise PushRejected("推送签名无效")
        try:
            result = json.loads(param)["lastResult"]
            waybill = str(result["nu"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PushRejected("推送内容无法识别") from exc
        return parse_result(waybill, result)

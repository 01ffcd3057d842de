"""The court's lookup gateway (查控网关) over HTTPS: one signed JSON POST per lookup, and every way
it can fail turned into one ``LookupFailed`` (docs/LOOKUPS.md has the wire format).

Person data travels in the body only, never in the URL, so it stays out of access logs.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from addresses.lookups.lookup import (
    LookupAuthFailed,
    LookupFailed,
    LookupProviderLimited,
    LookupRefused,
    LookupUnavailable,
)
from addresses.lookups.signing import signed_headers

log = logging.getLogger(__name__)
NOT_FOUND = "NOT_FOUND"
# 403 codes that are about the person, not about us: the gateway answered, it will not disclose.
REFUSALS = {"NAME_MISMATCH": "号码的实名登记信息与受送达人姓名不一致，运营商未提供地址",
            "PERSON_RESTRICTED": "该人员信息受限，查询接口未提供地址"}


class LookupGateway:
    """Signs and sends one request; answers the ``records`` of a 200 ``OK``, ``[]`` for
    ``NOT_FOUND``, raises ``LookupFailed`` for the rest."""

    def __init__(self, *, base_url: str, app_key: str, secret: str, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not (base_url and app_key and secret):
            raise ValueError("the lookup gateway needs a base URL, an app key and a secret")
        self._base, self._key, self._secret = base_url.rstrip("/"), app_key, secret
        # A short connect timeout: a gateway that is down should be said so quickly; a slow
        # answer (the ministry's side) gets the configured read time.
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        self._clock, self._transport = clock, transport

    async def post(self, path: str, payload: Mapping[str, Any], *, what: str) -> list[dict[str, Any]]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = signed_headers(method="POST", path=path, app_key=self._key, secret=self._secret,
                                 timestamp=int(self._clock()), nonce=secrets.token_hex(16), body=body)
        headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
                response = await client.post(f"{self._base}{path}", content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise LookupUnavailable(f"{what}接口响应超时，请稍后再试") from exc
        except httpx.HTTPError as exc:
            raise LookupUnavailable(f"{what}接口暂时无法连接，请稍后再试") from exc
        return _answer(response, what=what, request_id=str(payload.get("request_id", "")))


def _answer(response: httpx.Response, *, what: str, request_id: str) -> list[dict[str, Any]]:
    status = response.status_code
    try:
        data = response.json()
        code = str(data.get("code") or "") if isinstance(data, dict) else ""
    except ValueError:
        data, code = None, ""
    if status >= 500 or not isinstance(data, dict):
        log.warning("lookup gateway: %s answered HTTP %s (%s), request %s", what, status, code or "no JSON", request_id)
        raise LookupUnavailable(f"{what}接口暂时不可用，请稍后再试")
    if status == 200:
        records = data.get("records")
        if code != "OK" or not isinstance(records, list):
            raise LookupUnavailable(f"{what}接口返回了无法识别的内容")
        return [r for r in records if isinstance(r, dict)]
    log.info("lookup gateway: %s refused with HTTP %s %s, request %s", what, status, code, request_id)
    if status == 404 and code == NOT_FOUND:
        return []
    if status == 401 or (status == 403 and code not in REFUSALS):
        raise LookupAuthFailed(f"{what}接口拒绝了本平台的身份认证（{code or status}），请联系系统管理员核对密钥与服务器时间")
    if status == 403:
        raise LookupRefused(REFUSALS[code])
    if status == 429:
        retry = response.headers.get("Retry-After", "")
        raise LookupProviderLimited(f"{what}接口查询过于频繁，请稍后再试",
                                    details={"retry_after": int(retry)} if retry.isdigit() else None)
    raise LookupFailed(f"{what}接口不接受本平台的请求（{code or status}），请联系系统管理员", code="lookup_request_invalid")

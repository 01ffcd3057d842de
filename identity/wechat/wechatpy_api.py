"""``WeChatApi`` through wechatpy 1.8.18 (blocking ``requests``, so every call runs in a thread)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from identity.wechat.api import (
    FaceIdentifyResult,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
    WxCodeInvalid,
    WxCodeUsed,
    WxLogin,
    WxSubscribeRefused,
)

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
# errcodes the user or their code caused; anything else is our or WeChat's problem.
_CODE_ERRORS = {40029: WxCodeInvalid, 40163: WxCodeUsed}
_SUBSCRIBE_REFUSALS = {43101, 40003, 47003, 40037}
_LIMITED = {45011, 45009}


class StableTokenClient(WeChatClient):
    """Fetch the access token through ``cgi-bin/stable_token``: unlike ``cgi-bin/token`` it does
    not invalidate the token other workers hold, so N processes can each fetch their own."""

    def fetch_access_token(self):
        res = self._http.post(f"{self.API_BASE_URL}stable_token", timeout=self.timeout, json={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
            "force_refresh": False})
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(None, None, client=self, request=exc.request, response=exc.response)
        result = res.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


class WechatpyApi:
    def __init__(self, app_id: str, app_secret: str, *, base_url: str = "https://api.weixin.qq.com/",
                 session=None) -> None:
        base = base_url.rstrip("/") + "/"
        self._base = base
        self._client = StableTokenClient(app_id, app_secret, session=session, timeout=TIMEOUT_SECONDS)
        self._client.API_BASE_URL = base + "cgi-bin/"
        self._client.wxa.API_BASE_URL = base  # the wxa API object is per client instance

    def __repr__(self) -> str:
        return f"WechatpyApi(app_id={self._client.appid!r}, base_url={self._base!r})"

    async def _call(self, what: str, fn, *args, **kwargs):
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except WeChatClientException as exc:
            errcode = exc.errcode
            log.warning("wechat %s failed: errcode=%s", what, errcode)
            if errcode in _CODE_ERRORS:
                message = "微信登录凭证无效，请重新进入小程序" if errcode == 40029 else "微信登录凭证已使用，请重新进入小程序"
                raise _CODE_ERRORS[errcode](message) from exc
            if errcode in _LIMITED:
                raise WeChatRateLimited("微信接口调用过于频繁，请稍后再试") from exc
            if errcode in _SUBSCRIBE_REFUSALS:
                raise WxSubscribeRefused("用户未订阅该消息或已拒收", details={"errcode": errcode}) from exc
            raise WeChatUnavailable("微信服务暂时不可用，请稍后再试", details={"errcode": errcode}) from exc
        except (requests.RequestException, ValueError) as exc:
            log.warning("wechat %s failed: %s", what, type(exc).__name__)
            raise WeChatUnavailable("微信服务暂时不可用，请稍后再试") from exc

    async def code_to_session(self, js_code: str) -> WxLogin:
        result = await self._call("code2session", self._client.wxa.code_to_session, js_code)
        if not isinstance(result, dict) or not result.get("openid"):
            raise WeChatUnavailable("微信服务返回了无法识别的结果")
        return WxLogin(openid=result["openid"], unionid=result.get("unionid", ""),
                       session_key=result.get("session_key", ""))

    async def phone_number(self, code: str) -> str:
        # wechatpy 1.8.18 has no helper for the code-based phone API: post the endpoint itself.
        result = await self._call("getuserphonenumber", self._client.post, "wxa/business/getuserphonenumber",
                                  data={"code": code}, api_base_url=self._base)
        info = result.get("phone_info") if isinstance(result, dict) else None
        if not info or not info.get("purePhoneNumber"):
            raise WeChatUnavailable("微信服务返回了无法识别的结果")
        if str(info.get("countryCode", "86")) != "86":
            raise WeChatError("仅支持中国大陆手机号码", code="phone_not_mainland", status=422)
        return info["purePhoneNumber"]

    async def send_subscribe_message(self, openid: str, template_id: str, data: Mapping[str, str],
                                     page: str | None = None) -> None:
        payload = {key: {"value": value} for key, value in data.items()}
        await self._call("subscribe/send", self._client.wxa.send_subscribe_message, openid, template_id,
                         payload, page)

    async def face_verify_id(self, openid: str, out_seq_no: str, cert_name: str, cert_no: str) -> str:
        result = await self._call("getverifyid", self._client.post, "cityservice/face/identify/getverifyid",
                                  data={"out_seq_no": out_seq_no, "openid": openid, "cert_info": {
                                      "cert_type": "IDENTITY_CARD", "cert_name": cert_name, "cert_no": cert_no}},
                                  api_base_url=self._base)
        if not isinstance(result, dict) or not result.get("verify_id"):
            raise WeChatUnavailable("微信服务返回了无法识别的结果")
        return result["verify_id"]

    async def face_verify_result(self, openid: str, verify_id: str, out_seq_no: str,
                                 cert_hash: str) -> FaceIdentifyResult:
        result = await self._call("queryverifyinfo", self._client.post, "cityservice/face/identify/queryverifyinfo",
                                  data={"verify_id": verify_id, "out_seq_no": out_seq_no, "cert_hash": cert_hash,
                                        "openid": openid}, api_base_url=self._base)
        verify_ret = int(result.get("verify_ret", 0)) if isinstance(result, dict) else 0
        return FaceIdentifyResult(passed=verify_ret == 10000, verify_ret=verify_ret)

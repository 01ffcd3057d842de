"""The ``WeChatApi`` interface, its errors, and the choice of implementation from settings.

Only what the mini-program needs: ``code2session`` for login, ``getuserphonenumber`` for the
phone the user chose to share, and subscribe messages (订阅消息). Vendor errors are mapped to
``AppError`` subclasses here so no wechatpy exception reaches a handler.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from core.errors import AppError

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "WeChatApi", "WxLogin", "WeChatError", "WxCodeInvalid", "WxCodeUsed", "WeChatUnavailable",
    "WeChatRateLimited", "WxSubscribeRefused", "build_wechat_api", "FaceIdentifyResult", "cert_hash",
]


@dataclass(frozen=True)
class WxLogin:
    """What code2session proved. The session_key stays inside the implementation: it is
    never returned, stored or logged (``repr=False`` as a last line of defence)."""

    openid: str
    unionid: str = ""
    session_key: str = field(default="", repr=False)


class WeChatError(AppError):
    status = 502
    code = "wechat_error"


class WxCodeInvalid(WeChatError):
    """errcode 40029: a forged, mistyped or expired code."""

    status = 400
    code = "wx_code_invalid"


class WxCodeUsed(WeChatError):
    """errcode 40163: the code was already exchanged (a replay)."""

    status = 400
    code = "wx_code_used"


class WeChatRateLimited(WeChatError):
    status = 429
    code = "wechat_rate_limited"


class WeChatUnavailable(WeChatError):
    """Network failure or an unexpected answer: retry later."""

    status = 503
    code = "wechat_unavailable"


class WxSubscribeRefused(WeChatError):
    """43101 (the user did not subscribe) and friends: retrying will not help."""

    status = 400
    code = "wechat_subscribe_refused"


@dataclass(frozen=True)
class FaceIdentifyResult:
    """人脸核身 2.0's verdict: passed only when errcode == 0 and verify_ret == 10000."""

    passed: bool
    verify_ret: int


def cert_hash(cert_type: str, cert_name: str, cert_no: str) -> str:
    """SHA-256 hex of ``cert_type=<b64>&cert_name=<b64>&cert_no=<b64>`` (WeChat's definition), so
    WeChat can check the result is for the identity we asked about without us resending it."""
    import base64
    import hashlib

    def b64(value: str) -> str:
        return base64.b64encode(value.encode("utf-8")).decode("ascii")

    text = f"cert_type={b64(cert_type)}&cert_name={b64(cert_name)}&cert_no={b64(cert_no)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WeChatApi(Protocol):
    async def code_to_session(self, js_code: str) -> WxLogin: ...

    async def phone_number(self, code: str) -> str:
        """The pure (national) phone number behind a getPhoneNumber code; a code works once."""
        ...

    async def send_subscribe_message(self, openid: str, template_id: str, data: Mapping[str, str],
                                     page: str | None = None) -> None: ...

    async def face_verify_id(self, openid: str, out_seq_no: str, cert_name: str, cert_no: str) -> str:
        """人脸核身 2.0 getVerifyId: a verify_id the mini-program passes to wx.requestFacialVerify."""
        ...

    async def face_verify_result(self, openid: str, verify_id: str, out_seq_no: str,
                                 cert_hash: str) -> FaceIdentifyResult: ...


def build_wechat_api(settings: Settings) -> WeChatApi:
    from core.settings import WeChatApiName

    if settings.wechat_api is WeChatApiName.WECHATPY:
        from identity.wechat.wechatpy_api import WechatpyApi

        return WechatpyApi(settings.wechat_app_id, settings.wechat_app_secret.get_secret_value(),
                           base_url=settings.wechat_api_base_url)
    from identity.wechat.dev import DevWeChatApi

    return DevWeChatApi(settings.secret_key.get_secret_value())

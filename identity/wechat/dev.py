"""A dev ``WeChatApi`` for the demo without a WeChat account. Refused in production.

Login codes map to stable fake openids (``dev-`` + HMAC of the code), so the same code always
logs in the same pretend user. A phone code is ``phone:<11 digits>``: the demo types the number
it wants to claim. Subscribe messages are appended to ``sent`` and logged (ids only).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping

from identity.wechat.api import FaceIdentifyResult, WxCodeInvalid, WxLogin

log = logging.getLogger(__name__)


class DevWeChatApi:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"songda/dev-wechat|" + secret.encode("utf-8")).digest()
        self.sent: list[dict] = []
        log.warning("dev WeChat API in use: logins and phone numbers are not verified by WeChat")

    async def code_to_session(self, js_code: str) -> WxLogin:
        if not js_code or len(js_code) > 128:
            raise WxCodeInvalid("微信登录凭证无效，请重新进入小程序")
        digest = hmac.new(self._key, js_code.encode("utf-8"), hashlib.sha256).hexdigest()
        return WxLogin(openid=f"dev-{digest[:24]}")

    async def phone_number(self, code: str) -> str:
        prefix = "phone:"
        if not code.startswith(prefix) or not (code[len(prefix):].isascii() and code[len(prefix):].isdigit()):
            raise WxCodeInvalid("手机号授权凭证无效，请重新授权")
        return code[len(prefix):]

    async def send_subscribe_message(self, openid: str, template_id: str, data: Mapping[str, str],
                                     page: str | None = None) -> None:
        self.sent.append({"openid": openid, "template_id": template_id, "data": dict(data), "page": page})
        log.info("dev subscribe message to %s (template %s)", openid[:12], template_id)

    async def face_verify_id(self, openid: str, out_seq_no: str, cert_name: str, cert_no: str) -> str:
        return f"dev-verify-{out_seq_no}"

    async def face_verify_result(self, openid: str, verify_id: str, out_seq_no: str,
                                 cert_hash: str) -> FaceIdentifyResult:
        # The demo has no WeChat to scan a face: it never passes, the SMS route always works.
        return FaceIdentifyResult(passed=False, verify_ret=90001)

"""The kinds of outbox job."""
from __future__ import annotations

from core.enums import LabelledEnum


class JobKind(LabelledEnum):
    """Work queued in the outbox, run after the transaction that queued it commits."""

    SEAL_RECEIPT = "seal_receipt", "生成送达回证"
    NOTIFY_SMS = "notify_sms", "发送送达短信"
    WEBHOOK = "webhook", "回调法院系统"
    MP_SUBSCRIBE = "mp_subscribe", "发送小程序订阅消息"
    LOGIN_CODE = "login_code", "发送登录验证码"

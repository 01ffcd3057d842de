"""Enums for every status and kind; never bare strings (netbox ``choices.py`` style)."""
from __future__ import annotations

from core.enums import LabelledEnum


class RecipientRole(LabelledEnum):
    PLAINTIFF = "plaintiff", "原告"
    DEFENDANT = "defendant", "被告"
    THIRD_PARTY = "third_party", "第三人"
    AGENT = "agent", "委托代理人"
    LEGAL_REPRESENTATIVE = "legal_representative", "法定代表人"


class ConsentBasis(LabelledEnum):
    """Why electronic service is allowed (民事诉讼法 art. 90; 在线诉讼规则 art. 31)."""

    CONFIRMED = "confirmed", "受送达人确认的电子送达地址（送达地址确认书）"
    COURT_FOUND = "court_found", "法院查明的电子送达地址"


class Channel(LabelledEnum):
    SMS = "sms", "短信链接"
    PORTAL = "portal", "诉讼服务网"
    WECHAT = "wechat", "微信小程序"


class DeliveryState(LabelledEnum):
    CREATED = "created", "已创建"
    NOTIFIED = "notified", "已通知"
    ARRIVED = "arrived", "已送达终端"
    OPENED = "opened", "已打开"
    VERIFIED = "verified", "已验证身份"
    VIEWED = "viewed", "已阅读"
    SIGNED = "signed", "已签收"
    FAILED = "failed", "发送失败"
    EXPIRED = "expired", "已过期"
    REVOKED = "revoked", "已撤回"


class ServiceStatus(LabelledEnum):
    IN_PROGRESS = "in_progress", "送达中"
    COMPLETED = "completed", "已全部签收"
    REVOKED = "revoked", "已撤回"
    EXPIRED = "expired", "已过期"


class CourtSystem(LabelledEnum):
    TRIAL = "trial", "审判系统"
    ENFORCEMENT = "enforcement", "执行系统"
    DOSSIER = "dossier", "电子卷宗系统"


class ReceiptStatus(LabelledEnum):
    PENDING = "pending", "待加盖电子印章"
    SEALED = "sealed", "已生成"

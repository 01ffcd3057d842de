"""Enums for every status and kind; never bare strings (netbox ``choices.py`` style)."""
from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry the Chinese label a clerk reads."""

    def __new__(cls, value: str, label: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label or value
        return obj


class DocumentKind(LabelledEnum):
    SUMMONS = "summons", "传票"
    NOTICE_TO_RESPOND = "notice_to_respond", "应诉通知书"
    NOTICE_OF_EVIDENCE = "notice_of_evidence", "举证通知书"
    COMPLAINT_COPY = "complaint_copy", "起诉状副本"
    JUDGMENT = "judgment", "判决书"
    RULING = "ruling", "裁定书"
    MEDIATION = "mediation", "调解书"
    OTHER = "other", "其他"


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


class ActorKind(LabelledEnum):
    API_CLIENT = "api_client", "法院业务系统"
    RECIPIENT = "recipient", "受送达人"
    STAFF = "staff", "法院工作人员"
    SYSTEM = "system", "系统"


class EventType(LabelledEnum):
    """Facts, in the past tense. One table feeds audit, timelines and the outbox."""

    DOCUMENT_UPLOADED = "document.uploaded", "文书已上传"
    SERVICE_CREATED = "service.created", "送达已创建"
    SERVICE_REVOKED = "service.revoked", "送达已撤回"
    SERVICE_EXTENDED = "service.extended", "送达期限已延长"
    DELIVERY_NOTIFIED = "delivery.notified", "已发送通知"
    DELIVERY_NOTICE_RESENT = "delivery.notice_resent", "已重发通知"
    DELIVERY_ARRIVED = "delivery.arrived", "通知已到达"
    DELIVERY_OPENED = "delivery.opened", "链接已打开"
    DELIVERY_CODE_SENT = "delivery.code_sent", "验证码已发送"
    DELIVERY_CODE_FAILED = "delivery.code_failed", "验证码核验未通过"
    DELIVERY_VERIFIED = "delivery.verified", "身份已验证"
    DELIVERY_VIEWED = "delivery.viewed", "文书已阅读"
    DELIVERY_SIGNED = "delivery.signed", "已签收"
    DELIVERY_FAILED = "delivery.failed", "送达失败"
    DELIVERY_EXPIRED = "delivery.expired", "送达已过期"
    DELIVERY_REVOKED = "delivery.revoked", "送达已撤回"
    DOCUMENT_VIEWED = "document.viewed", "文书已查看"
    DOCUMENT_DOWNLOADED = "document.downloaded", "文书已下载"
    RECEIPT_READY = "receipt.ready", "送达回证已生成"


class ReceiptStatus(LabelledEnum):
    PENDING = "pending", "待加盖电子印章"
    SEALED = "sealed", "已生成"


class JobKind(LabelledEnum):
    """Work queued in the outbox, run after the transaction that queued it commits."""

    SEAL_RECEIPT = "seal_receipt", "生成送达回证"
    NOTIFY_SMS = "notify_sms", "发送送达短信"
    WEBHOOK = "webhook", "回调法院系统"
    MP_SUBSCRIBE = "mp_subscribe", "发送小程序订阅消息"

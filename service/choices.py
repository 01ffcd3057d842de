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
    """送达渠道. The first three are electronic and run by the platform (a ``Delivery`` each);
    the others are tasks (送达任务) that a person of the service centre handles."""

    SMS = "sms", "短信链接"
    PORTAL = "portal", "诉讼服务网"
    WECHAT = "wechat", "微信小程序"
    PHONE = "phone", "电话联系"
    MAIL = "mail", "邮寄送达"
    PICKUP = "pickup", "来院领取"
    FIELD = "field", "外出送达"
    ANNOUNCEMENT = "announcement", "公告送达"
    ENTRUSTED = "entrusted", "委托送达"


ELECTRONIC_CHANNELS = (Channel.SMS, Channel.PORTAL, Channel.WECHAT)
TASK_CHANNELS = (Channel.PHONE, Channel.MAIL, Channel.PICKUP, Channel.FIELD, Channel.ANNOUNCEMENT,
                 Channel.ENTRUSTED)
# Channels that cannot work without a postal address of the recipient.
ADDRESS_CHANNELS = (Channel.MAIL, Channel.FIELD)


class TaskStatus(LabelledEnum):
    """Where an attempt stands. Electronic attempts are 办理中 until their delivery ends."""

    UNASSIGNED = "unassigned", "待分派"
    ASSIGNED = "assigned", "待办理"
    IN_PROGRESS = "in_progress", "办理中"
    CLOSED = "closed", "已办结"
    HANDED_BACK = "handed_back", "已退回"


OPEN_TASK_STATUSES = (TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS,
                      TaskStatus.HANDED_BACK)


class Outcome(LabelledEnum):
    SERVED = "served", "送达成功"
    FAILED = "failed", "送达失败"
    # Closed by the platform without being worked on: the service was revoked, or the recipient
    # was already served on another channel (centre/withdrawal.py).
    WITHDRAWN = "withdrawn", "无需继续送达"


class FailureReason(LabelledEnum):
    """The fixed list a closed, failed attempt chooses from (其他 needs a text)."""

    REFUSED = "refused", "拒收"
    NO_SUCH_PERSON = "no_such_person", "查无此人"
    ADDRESS_UNCLEAR = "address_unclear", "地址不详"
    MOVED = "moved", "迁出"
    NO_ANSWER = "no_answer", "无人接听"
    WRONG_NUMBER = "wrong_number", "号码错误"
    OTHER = "other", "其他"


class ServiceMethod(LabelledEnum):
    """How a successful attempt served the documents: what the legal-effect engine decides on."""

    ELECTRONIC = "electronic", "电子送达"
    DIRECT = "direct", "直接送达（签收）"
    LODGED = "lodged", "留置送达"
    MAIL = "mail", "邮寄送达（回执签收）"
    ANNOUNCEMENT = "announcement", "公告送达"
    ENTRUSTED = "entrusted", "委托送达"
    PHONE = "phone", "电话送达（当事人确认收悉）"


# Which methods a task of each channel may close with.
METHODS_OF_CHANNEL = {
    Channel.PHONE: (ServiceMethod.PHONE,),
    Channel.MAIL: (ServiceMethod.MAIL,),
    Channel.PICKUP: (ServiceMethod.DIRECT,),
    Channel.FIELD: (ServiceMethod.DIRECT, ServiceMethod.LODGED),
    Channel.ANNOUNCEMENT: (ServiceMethod.ANNOUNCEMENT,),
    Channel.ENTRUSTED: (ServiceMethod.ENTRUSTED,),
}


class ContactKind(LabelledEnum):
    CALL = "call", "电话"
    SMS = "sms", "短信"
    VISIT = "visit", "上门"
    MAIL = "mail", "邮寄"
    NOTE = "note", "备注"


class EvidenceKind(LabelledEnum):
    AUDIO = "audio", "录音"
    IMAGE = "image", "图片"
    PDF = "pdf", "PDF"
    VIDEO = "video", "视频"


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


class MailSigner(LabelledEnum):
    """Who signed the mail return card (《最高人民法院关于以法院专递方式邮寄送达民事诉讼文书的若干规定》
    art. 9 lists who may sign; anyone else's signature is not service)."""

    RECIPIENT = "recipient", "受送达人本人"
    FAMILY = "family", "同住成年家属"
    DESIGNATED = "designated", "受送达人指定的代收人"
    AGENT = "agent", "诉讼代理人"
    LEGAL_GUARDIAN = "legal_guardian", "法定代理人"
    ORGANISATION = "organisation", "法人的法定代表人、主要负责人或收发室人员"
    OTHER = "other", "其他人"


class MailReturn(LabelledEnum):
    """Why a mail item came back (退回原因)."""

    REFUSED = "refused", "受送达人或其指定的代收人拒收"
    ADDRESS_WRONG = "address_wrong", "地址不准确"
    MOVED = "moved", "迁出，地址变更未告知法院"
    NO_SUCH_PERSON = "no_such_person", "查无此人"
    NOBODY_HOME = "nobody_home", "无人签收，逾期退回"
    OTHER = "other", "其他"

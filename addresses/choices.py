"""The address book's kinds, sources and statuses (labels are what a clerk reads)."""
from __future__ import annotations

from core.enums import LabelledEnum


class AddressKind(LabelledEnum):
    """地址类型."""

    REGISTERED = "registered", "户籍地址"
    HABITUAL_RESIDENCE = "habitual_residence", "经常居住地"
    CONFIRMED_SERVICE = "confirmed_service", "确认的送达地址"
    CONTRACT = "contract", "合同约定地址"
    WORKPLACE = "workplace", "工作单位地址"
    POSTAL = "postal", "邮寄地址"
    PHONE = "phone", "电话号码"
    EMAIL = "email", "电子邮箱"
    WECHAT = "wechat", "微信"


ELECTRONIC_KINDS = frozenset({AddressKind.PHONE, AddressKind.EMAIL, AddressKind.WECHAT})


class AddressSource(LabelledEnum):
    """地址来源."""

    COURT_INTAKE = "court_intake", "法院推送"
    DOCUMENT = "document", "诉讼材料提取"
    PHONE_CALL = "phone_call", "电话确认"
    LITIGANT = "litigant", "当事人确认"
    EXTERNAL_LOOKUP = "external_lookup", "外部查询"
    RETURNED_MAIL = "returned_mail", "邮件退回"


class AddressStatus(LabelledEnum):
    """地址状态."""

    CONFIRMED = "confirmed", "已确认"
    UNVERIFIED = "unverified", "未核实"
    INVALID = "invalid", "已失效"


class CandidateStatus(LabelledEnum):
    """An extracted candidate's review (待审核 / 已采纳 / 已驳回)."""

    PENDING = "pending", "待审核"
    ACCEPTED = "accepted", "已采纳"
    REJECTED = "rejected", "已驳回"


class ConfirmationChannel(LabelledEnum):
    """Where the litigant signed the 送达地址确认书."""

    PORTAL = "portal", "诉讼服务网"
    MINIPROGRAM = "miniprogram", "微信小程序"

"""Enums of announcement service; never bare strings."""
from __future__ import annotations

from core.enums import LabelledEnum


class AnnouncementStatus(LabelledEnum):
    """Where an announcement stands: drafted by the centre, submitted to the paper, typeset,
    published (the task closes as served) or returned by the paper (edit and submit again)."""

    DRAFT = "draft", "待发布"
    SUBMITTED = "submitted", "已提交报社"
    TYPESET = "typeset", "已排版"
    PUBLISHED = "published", "已刊登"
    RETURNED = "returned", "已退回"


class FeePayer(LabelledEnum):
    """Who pays the paper's fee (公告费)."""

    UNDECIDED = "undecided", "未确定"
    PARTY = "party", "申请方当事人"
    COURT = "court", "法院"


class FeeStatus(LabelledEnum):
    PENDING = "pending", "待缴费"
    PAID = "paid", "已缴费"
    WAIVED = "waived", "已免交"


class PaperStatus(LabelledEnum):
    """What the paper's callback reports (已排版 / 已刊登 / 退回)."""

    TYPESET = "typeset", "已排版"
    PUBLISHED = "published", "已刊登"
    RETURNED = "returned", "退回"


OPEN = (AnnouncementStatus.SUBMITTED, AnnouncementStatus.TYPESET)
EDITABLE = (AnnouncementStatus.DRAFT, AnnouncementStatus.RETURNED)

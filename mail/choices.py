"""Enums of the mail service; never bare strings."""
from __future__ import annotations

from core.enums import LabelledEnum


class MailStatus(LabelledEnum):
    """Where a mail item stands: printed in a batch, then the carrier's stages (法院专递投递标准)."""

    PRINTED = "printed", "已制作待交寄"
    POSTED = "posted", "已收寄"
    IN_TRANSIT = "in_transit", "运输中"
    DELIVERING = "delivering", "派送中"
    DELIVERED = "delivered", "已妥投"
    RETURNED = "returned", "已退回"


# The order the carrier moves an item through; a later stage never goes back to an earlier one.
STAGES = (MailStatus.PRINTED, MailStatus.POSTED, MailStatus.IN_TRANSIT, MailStatus.DELIVERING)
FINAL = (MailStatus.DELIVERED, MailStatus.RETURNED)


class PriceBand(LabelledEnum):
    """双程邮寄 price band: from the court's place to the destination."""

    SAME_CITY = "same_city", "同城"
    SAME_PROVINCE = "same_province", "区内"
    OTHER_PROVINCE = "other_province", "省外"


class CarrierName(LabelledEnum):
    DEV = "dev", "开发用模拟承运商"
    KUAIDI100 = "kuaidi100", "快递100"

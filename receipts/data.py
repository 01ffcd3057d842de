"""What one receipt (送达回证) says: plain, frozen data, filled in by the service domain and
rendered by :mod:`receipts.layout`.

Everything here is already masked and already labelled in Chinese; the layout does not decide
what a clerk may see, it only draws it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.choices import Channel


@dataclass(frozen=True)
class ReceiptDocument:
    """One served document (送达文书) as listed on the receipt."""

    title: str          # 文书名称, e.g. "民事判决书"
    kind_label: str     # 文书类型, e.g. "判决书"
    pages: int
    sha256: str         # hex digest of the stored file, so the receipt pins the exact bytes


@dataclass(frozen=True)
class ReceiptData:
    """One 电子送达凭证（送达回证）: one recipient, one service, its documents and its evidence."""

    receipt_no: str
    court_name: str
    case_number: str                      # 案号
    cause: str                            # 案由
    recipient_name: str                   # 受送达人
    recipient_role: str                   # e.g. "原告", "被告", "第三人"
    recipient_id_masked: str | None
    documents: list[ReceiptDocument]
    channel_label: str                    # 送达方式, e.g. "短信", "微信小程序"
    electronic_address_masked: str        # e.g. 138****1234
    consent_label: str                    # 同意电子送达的依据
    # (label, time) in the order printed, e.g. ("发送", …), ("到达", …), ("签收", None).
    # Aware datetimes are converted to Beijing time; naive ones are taken as UTC (the database's).
    times: list[tuple[str, datetime | None]]
    identity_proof: str
    ip: str
    device: str
    signature_png: bytes | None           # handwritten signature; None prints 无
    served_by: str                        # 送达人
    effect_rule: str                      # 法律依据, from documents.legal_effect
    effect_reason: str
    effective_at: datetime | None
    verify_url: str                       # printed and encoded in the QR code
    test_certificate: bool = False        # sealed with the dev CA: the receipt says so in red
    effect_channel: Channel | None = None  # the channel on which effect was reached, when known
    court_phone: str = ""                 # printed beside 送达人, under the seal

"""Enums of in-person service."""
from __future__ import annotations

from core.enums import LabelledEnum


class Collector(LabelledEnum):
    """Who took the documents (领取人 / 签收人)."""

    RECIPIENT = "recipient", "受送达人本人"
    AGENT = "agent", "受托人（凭授权委托书）"
    FAMILY = "family", "同住成年家属"          # field service only (民事诉讼法 art. 88)


class CaptureKind(LabelledEnum):
    """What one capture on site (or at the desk) is."""

    SIGNATURE = "signature", "签名"
    FINGERPRINT = "fingerprint", "指印"
    LIVE_PHOTO = "live_photo", "现场照片（领取人）"
    ID_PORTRAIT = "id_portrait", "身份证人像面"
    AUTHORISATION = "authorisation", "授权委托书"
    SITE_PHOTO = "site_photo", "送达现场照片"
    WITNESS_PHOTO = "witness_photo", "见证照片"
    VIDEO = "video", "现场视频"


class UploadState(LabelledEnum):
    RECEIVING = "receiving", "上传中"
    COMPLETE = "complete", "已完成"


class TaskReceiptStatus(LabelledEnum):
    PENDING = "pending", "待盖章"
    SEALED = "sealed", "已盖章"

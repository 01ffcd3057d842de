"""Who acted and what happened: the vocabulary of the event table."""
from __future__ import annotations

from core.enums import LabelledEnum


class ActorKind(LabelledEnum):
    API_CLIENT = "api_client", "法院业务系统"
    RECIPIENT = "recipient", "受送达人"
    STAFF = "staff", "工作人员"
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
    # The service centre's tasks (centre/); ``data.attempt_id`` names the attempt.
    TASK_CREATED = "task.created", "送达任务已创建"
    TASK_ASSIGNED = "task.assigned", "送达任务已分派"
    TASK_HANDED_BACK = "task.handed_back", "送达任务已退回"
    TASK_STARTED = "task.started", "开始办理"
    TASK_CONTACT_RECORDED = "task.contact_recorded", "已记录联系情况"
    TASK_NOTE_CHANGED = "task.note_changed", "备注已修改"
    TASK_EVIDENCE_ADDED = "task.evidence_added", "已上传送达证据"
    TASK_CLOSED = "task.closed", "送达任务已办结"
    ATTEMPT_CLOSED = "attempt.closed", "电子送达已结束"
    TASK_ESCALATED = "task.escalated", "升级规则已触发"
    ANNOUNCEMENT_SUGGESTED = "announcement.suggested", "建议公告送达"
    ESCALATION_RULE_CHANGED = "escalation_rule.changed", "升级规则已修改"
    PII_REVEALED = "pii.revealed", "已查看个人信息"
    MAIL_PRINTED = "mail.printed", "邮件已编入打印批次"
    MAIL_WAYBILL_ENTERED = "mail.waybill_entered", "已登记邮件单号"
    MAIL_CARD_CONFIRMED = "mail.card_confirmed", "已确认邮件回执"
    # Phone contact (phone/); ``data.attempt_id`` and, for calls, ``data.call_id``.
    CALL_PLACED = "call.placed", "已拨打电话"
    CALL_FAILED = "call.failed", "电话未能拨出"
    CALL_ENDED = "call.ended", "通话已结束"
    RECORDING_STORED = "recording.stored", "通话录音已保存"
    RECORDING_MISSING = "recording.missing", "通话录音缺失"
    RECORDING_PLAYED = "recording.played", "通话录音已播放"
    RECORDING_DELETED = "recording.deleted", "通话录音已按期删除"
    ADDRESS_CONFIRMED = "address.confirmed_by_phone", "当事人电话确认地址"
    # The address book (addresses/).
    ADDRESS_RECORDED = "address.recorded", "地址已入库"
    ADDRESS_INVALIDATED = "address.invalidated", "地址已标记失效"
    ADDRESS_CANDIDATE_REVIEWED = "address.candidate_reviewed", "提取地址已审核"
    ADDRESS_REFUSED = "address.refused", "当事人拒绝确认送达地址"
    ADDRESS_LOOKED_UP = "address.looked_up", "查询地址库"
    TASK_SMS_SENT = "task.sms_sent", "已发送短信"
    TASK_SMS_ARRIVED = "task.sms_arrived", "短信已送达"
    STAFF_PHONE_SET = "staff.phone_set", "工作人员电话已登记"
    # In-person service (inperson/); ``data.attempt_id`` names the attempt.
    TASK_ARRIVED = "task.arrived", "送达员已到达现场"
    TASK_IDENTITY_VERIFIED = "task.identity_verified", "领取人身份已核验"
    TASK_RECEIPT_READY = "task.receipt_ready", "送达回证已生成"

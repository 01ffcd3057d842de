"""The phone package's statuses, as enums with the label a clerk reads."""
from __future__ import annotations

from core.enums import LabelledEnum
from phone.telephony import CallOutcome

__all__ = ["CallOutcome", "CallState", "RecordingState", "TaskTextTemplate"]


class CallState(LabelledEnum):
    PLACED = "placed", "呼叫中"
    ENDED = "ended", "已结束"
    FAILED = "failed", "未能拨出"          # the provider refused or could not be reached
    UNREPORTED = "unreported", "无通话回执"  # no final report in time: outcome unknown


class RecordingState(LabelledEnum):
    NONE = "none", "无录音"
    PENDING = "pending", "录音获取中"
    STORED = "stored", "已保存"
    MISSING = "missing", "录音缺失"
    DELETED = "deleted", "已按期删除"


class TaskTextTemplate(LabelledEnum):
    """Court-approved one-click texts from a task (一键短信)."""

    TASK_REMINDER = "task_reminder", "送达提醒"
    PICKUP_NOTICE = "pickup_notice", "领取通知"
    ADDRESS_REQUEST = "address_request", "地址确认请求"
    HEARING_REMINDER = "hearing_reminder", "开庭提醒"

"""Enums of the service centre's own tables."""
from __future__ import annotations

from core.enums import LabelledEnum


class EscalationTrigger(LabelledEnum):
    """What makes an escalation rule fire on an attempt of its ``from_channels``."""

    STALLED = "stalled", "超过期限未送达成功"      # still open (electronic: unsigned) after N hours
    FAILED = "failed", "送达失败"                  # closed as failed
    ALL_FAILED = "all_failed", "全部渠道均失败"    # every attempt of the recipient closed as failed


class EscalationAction(LabelledEnum):
    OPEN_TASK = "open_task", "创建下一渠道的送达任务"
    SUGGEST_ANNOUNCEMENT = "suggest_announcement", "建议书记员公告送达"

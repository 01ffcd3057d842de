"""升级规则: a court's configurable rules that open the next channel's task when one stalls or
fails, or suggest announcement service to the clerk when every channel failed. This module
keeps the rows (defaults, list, create, update, disable); centre/escalation.py runs them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.choices import EscalationAction, EscalationTrigger
from centre.models import EscalationRule
from core.errors import NotFound, ValidationFailed
from service.choices import TASK_CHANNELS, Channel

MAX_AFTER_HOURS = 2160    # 90 days
MAX_RULES = 50            # per court: each is a query of every sweep


@dataclass(frozen=True)
class RuleDraft:
    """What an admin states about a rule."""

    name: str
    trigger: EscalationTrigger
    from_channels: tuple[Channel, ...]
    action: EscalationAction
    open_channel: Channel | None = None
    after_hours: int = 0
    active: bool = True


# The defaults every court starts with (kept in step with app/migrations/0004).
DEFAULT_RULES = (
    RuleDraft("电子送达72小时未签收转电话联系", EscalationTrigger.STALLED,
              (Channel.SMS, Channel.PORTAL, Channel.WECHAT), EscalationAction.OPEN_TASK, Channel.PHONE, 72),
    RuleDraft("电话联系失败转邮寄送达", EscalationTrigger.FAILED, (Channel.PHONE,), EscalationAction.OPEN_TASK,
              Channel.MAIL),
    RuleDraft("邮寄送达退回转外出送达", EscalationTrigger.FAILED, (Channel.MAIL,), EscalationAction.OPEN_TASK,
              Channel.FIELD),
    RuleDraft("全部渠道失败建议公告送达", EscalationTrigger.ALL_FAILED, (), EscalationAction.SUGGEST_ANNOUNCEMENT),
)


def check_rule(draft: RuleDraft) -> RuleDraft:
    """The draft, normalised, or a 422 naming every field that is wrong."""
    problems: list[dict[str, str]] = []
    name = (draft.name or "").strip()
    if not name or len(name) > 100:
        problems.append({"field": "name", "message": "请填写规则名称（不超过100字）"})
    channels = tuple(dict.fromkeys(draft.from_channels))
    if draft.trigger is EscalationTrigger.ALL_FAILED:
        channels = ()
    elif not channels:
        problems.append({"field": "from_channels", "message": "请选择触发渠道"})
    hours = draft.after_hours
    if draft.trigger is EscalationTrigger.STALLED:
        if not isinstance(hours, int) or not 1 <= hours <= MAX_AFTER_HOURS:
            problems.append({"field": "after_hours", "message": f"未送达成功的期限应为1至{MAX_AFTER_HOURS}小时"})
    else:
        hours = 0
    open_channel = draft.open_channel
    if draft.action is EscalationAction.OPEN_TASK:
        if open_channel not in TASK_CHANNELS:
            problems.append({"field": "open_channel", "message": "新任务的渠道应为：" + "、".join(
                c.label for c in TASK_CHANNELS)})
        elif open_channel in channels:
            problems.append({"field": "open_channel", "message": "新任务的渠道不能是触发渠道本身"})
    else:
        open_channel = None
    if problems:
        raise ValidationFailed("升级规则有误", code="escalation_rule_invalid", details=problems)
    return RuleDraft(name, draft.trigger, channels, draft.action, open_channel, hours, draft.active)


def _values(draft: RuleDraft) -> dict:
    return {"name": draft.name, "trigger": draft.trigger, "from_channels": [c.value for c in draft.from_channels],
            "after_hours": draft.after_hours, "action": draft.action,
            "open_channel": draft.open_channel.value if draft.open_channel else None, "active": draft.active}


def describe(rule: EscalationRule) -> dict:
    """A rule as the audit event and the court API state it."""
    return {"rule_id": rule.id, "name": rule.name, "trigger": rule.trigger.value,
            "from_channels": list(rule.from_channels), "after_hours": rule.after_hours,
            "action": rule.action.value, "open_channel": rule.open_channel, "active": rule.active}


async def default_rules(court_id: int, *, now: datetime) -> list[EscalationRule]:
    """Give a court the default rules, unless it has rules already (then nothing changes)."""
    async with in_transaction():
        if await EscalationRule.filter(court_id=court_id).exists():
            return []
        return [await EscalationRule.create(court_id=court_id, created_at=now, **_values(d)) for d in DEFAULT_RULES]


async def list_rules(court_id: int) -> list[EscalationRule]:
    return await EscalationRule.filter(court_id=court_id).order_by("id")


async def rule_of_court(court_id: int, rule_id: int) -> EscalationRule:
    if not 0 < rule_id < 2**31:
        raise NotFound("升级规则不存在")
    rule = await EscalationRule.filter(id=rule_id, court_id=court_id).first()
    if rule is None:
        raise NotFound("升级规则不存在")
    return rule


async def create_rule(court_id: int, draft: RuleDraft, *, actor: Actor, meta: RequestMeta,
                      now: datetime) -> EscalationRule:
    draft = check_rule(draft)
    async with in_transaction():
        if await EscalationRule.filter(court_id=court_id).count() >= MAX_RULES:
            raise ValidationFailed(f"每个法院最多{MAX_RULES}条升级规则", code="too_many_rules")
        rule = await EscalationRule.create(court_id=court_id, created_at=now, **_values(draft))
        await record_event(EventType.ESCALATION_RULE_CHANGED, court_id=court_id, actor=actor, meta=meta,
                           data={"change": "created", **describe(rule)})
    return rule


async def update_rule(court_id: int, rule_id: int, draft: RuleDraft, *, actor: Actor,
                      meta: RequestMeta) -> EscalationRule:
    draft = check_rule(draft)
    async with in_transaction():
        rule = await rule_of_court(court_id, rule_id)
        await EscalationRule.filter(id=rule.id).update(**_values(draft))
        rule = await EscalationRule.get(id=rule.id)
        await record_event(EventType.ESCALATION_RULE_CHANGED, court_id=court_id, actor=actor, meta=meta,
                           data={"change": "updated", **describe(rule)})
    return rule


async def set_rule_active(court_id: int, rule_id: int, active: bool, *, actor: Actor,
                          meta: RequestMeta) -> EscalationRule:
    """Disable (or enable again) a rule; what it already did stays."""
    async with in_transaction():
        rule = await rule_of_court(court_id, rule_id)
        if rule.active == active:
            return rule
        await EscalationRule.filter(id=rule.id).update(active=active)
        rule.active = active
        await record_event(EventType.ESCALATION_RULE_CHANGED, court_id=court_id, actor=actor, meta=meta,
                           data={"change": "enabled" if active else "disabled", **describe(rule)})
    return rule

"""``/console/escalation``: the court admin's escalation rules (升级规则) — list, add, change,
disable, enable — and the clerk's announcement suggestions (建议公告送达).

Thin: parse the form into a ``RuleDraft`` (an unknown choice is a 422 like any other mistake,
shown on the page), call centre/escalation_rules.py, redirect; a rule of another court is 404.
"""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from audit.choices import ActorKind
from audit.events import Actor
from centre.choices import EscalationAction, EscalationTrigger
from centre.escalation import announcement_suggestions
from centre.escalation_rules import (
    MAX_AFTER_HOURS,
    RuleDraft,
    create_rule,
    list_rules,
    set_rule_active,
    update_rule,
)
from core.errors import AppError, ValidationFailed
from court.console import web
from service.choices import TASK_CHANNELS, Channel
from web.input_guard import refuse_control_characters

bp = Blueprint("console_escalation", url_prefix="/console/escalation", strict_slashes=False)
bp.on_request(refuse_control_characters)

DONE = {"created": "已新增升级规则", "updated": "已保存升级规则", "disabled": "已停用升级规则",
        "enabled": "已启用升级规则"}


def _actor(request: Request) -> Actor:
    return Actor(ActorKind.STAFF, str(request.ctx.staff.id))


def _choice(enum, value: str | None, field: str, message: str):
    try:
        return enum((value or "").strip())
    except ValueError:
        raise ValidationFailed(message, code="escalation_rule_invalid",
                               details=[{"field": field, "message": message}]) from None


def _draft(form) -> RuleDraft:
    """The form as a draft; choices outside their lists and hours that are not a number are refused
    here, the rest by ``check_rule``."""
    trigger = _choice(EscalationTrigger, form.get("trigger"), "trigger", "请选择触发条件")
    action = _choice(EscalationAction, form.get("action"), "action", "请选择升级动作")
    channels = tuple(_choice(Channel, c, "from_channels", "触发渠道无效") for c in (form.getlist("from_channels") if hasattr(form, "getlist") else []))
    open_value = (form.get("open_channel") or "").strip()
    open_channel = _choice(Channel, open_value, "open_channel", "新任务的渠道无效") if open_value else None
    hours_text = (form.get("after_hours") or "").strip()
    if trigger is EscalationTrigger.STALLED:
        if not (hours_text.isascii() and hours_text.isdigit() and len(hours_text) <= 5):
            raise ValidationFailed(f"未送达成功的期限应为1至{MAX_AFTER_HOURS}小时", code="escalation_rule_invalid",
                                   details=[{"field": "after_hours", "message": "请填写整数小时"}])
        hours = int(hours_text)
    else:
        hours = 0
    return RuleDraft(name=form.get("name") or "", trigger=trigger, from_channels=channels, action=action,
                     open_channel=open_channel, after_hours=hours)


async def _page(request: Request, *, error: str = "", status: int = 200, form=None) -> HTTPResponse:
    court_id = request.ctx.staff.court_id
    return web.render("console_escalation.html", status=status, error=error,
                      rules=await list_rules(court_id), suggestions=await announcement_suggestions(court_id),
                      channels=list(Channel), task_channels=TASK_CHANNELS, triggers=list(EscalationTrigger),
                      actions=list(EscalationAction), max_hours=MAX_AFTER_HOURS, form=form or {},
                      done=DONE.get(request.args.get("done") or "", ""), **web.page_context(request))


async def _act(request: Request, action, done: str) -> HTTPResponse:
    try:
        await action()
    except AppError as exc:
        if exc.status == 404:
            raise
        message = exc.message
        if isinstance(exc.details, list) and exc.details:
            message += "：" + "；".join(d.get("message", "") for d in exc.details if isinstance(d, dict))
        form = request.form or {}
        return await _page(request, error=message, status=exc.status,
                           form={"name": form.get("name") or "", "after_hours": form.get("after_hours") or ""})
    return redirect(f"/console/escalation?done={done}", status=303)


@bp.get("/")
@web.staff_page("escalation")
async def rules_page(request: Request) -> HTTPResponse:
    return await _page(request)


@bp.post("/")
@web.staff_page("escalation")
async def create(request: Request) -> HTTPResponse:
    court_id = request.ctx.staff.court_id

    async def action() -> None:
        await create_rule(court_id, _draft(request.form or {}), actor=_actor(request), meta=web.meta(request),
                          now=web.utcnow())
    return await _act(request, action, "created")


@bp.post("/<rule_id:int>")
@web.staff_page("escalation")
async def update(request: Request, rule_id: int) -> HTTPResponse:
    court_id = request.ctx.staff.court_id

    async def action() -> None:
        await update_rule(court_id, rule_id, _draft(request.form or {}), actor=_actor(request),
                          meta=web.meta(request))
    return await _act(request, action, "updated")


@bp.post("/<rule_id:int>/disable")
@web.staff_page("escalation")
async def disable(request: Request, rule_id: int) -> HTTPResponse:
    court_id = request.ctx.staff.court_id
    return await _act(request, lambda: set_rule_active(court_id, rule_id, False, actor=_actor(request),
                                                       meta=web.meta(request)), "disabled")


@bp.post("/<rule_id:int>/enable")
@web.staff_page("escalation")
async def enable(request: Request, rule_id: int) -> HTTPResponse:
    court_id = request.ctx.staff.court_id
    return await _act(request, lambda: set_rule_active(court_id, rule_id, True, actor=_actor(request),
                                                       meta=web.meta(request)), "enabled")


@bp.get("/suggestions")
@web.staff_page("request_task")
async def suggestions(request: Request) -> HTTPResponse:
    """The clerk's list: recipients every channel failed for, to consider 公告送达."""
    return web.render("console_announcement_suggestions.html",
                      suggestions=await announcement_suggestions(request.ctx.staff.court_id),
                      **web.page_context(request))

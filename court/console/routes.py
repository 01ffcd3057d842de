"""``/console``: login, services list, case / service / person tracking, actions, report, statistics.

Handlers are thin: check the session and role (``web.staff_page``), read through
``court.console.queries`` (always scoped to the clerk's court), call the documents use cases,
render. Every action is an event with the clerk as the actor.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from audit.choices import ActorKind
from audit.events import Actor
from centre.queries import service_tasks
from centre.scope import Scope
from core.errors import AppError, NotFound, ValidationFailed
from court.console import queries, web
from court.console.charts import bar_chart
from court.console.staff import LoginFailed, authenticate, may, staff_of
from identity.limits import RateLimited
from identity.models import SessionKind
from identity.sessions import create_session, revoke_session
from mail.report import mail_report
from receipts.service_report import case_report_pdf
from service.access import receipt_for_court
from service.choices import Channel, CourtSystem, DeliveryState, ReceiptStatus, ServiceStatus
from service.expiry import extend_service
from service.models import Court, Signature
from service.notices import resend_notice
from service.revocation import revoke_service
from service.statistics import court_statistics
from web.cookies import clear_cookie, read_cookie, set_cookie
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters
from web.templating import BEIJING

bp = Blueprint("console", url_prefix="/console", strict_slashes=False)
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
RESENDS_PER_HOUR = 3


def _actor(request: Request) -> Actor:
    return Actor(ActorKind.STAFF, str(request.ctx.staff.id))


# -- login ---------------------------------------------------------------------------------------

def _login_page(request: Request, *, error: str = "", status: int = 200, login: str = "") -> HTTPResponse:
    settings = request.app.ctx.settings
    nonce = read_cookie(request, settings, web.PRE_COOKIE) or web.new_nonce()
    response = web.render("console_login.html", status=status, error=error, login=login,
                          csrf=web.login_token(settings, nonce), csrf_field=web.CSRF_FIELD)
    return set_cookie(response, settings, nonce, web.PRE_COOKIE)


@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    return _login_page(request)


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    web.check_login_token(request)
    form = request.form or {}
    now = web.utcnow()
    try:
        staff = await authenticate(form.get("login") or "", form.get("password") or "", form.get("totp") or "",
                                   ip=web.address(request), limits=web.limits(request),
                                   settings=request.app.ctx.settings, now=now)
    except (LoginFailed, RateLimited) as exc:
        response = _login_page(request, error=exc.message, status=exc.status, login=(form.get("login") or "")[:64])
        response.headers.update(exc.headers())
        return response
    settings = request.app.ctx.settings
    old = read_cookie(request, settings, web.SESSION_COOKIE)
    if old:
        await revoke_session(old, now=now)
    sid, _ = await create_session(SessionKind.CONSOLE, {"staff_id": staff.id, "court_id": staff.court_id},
                                  now=now, idle=web.IDLE, absolute=web.ABSOLUTE)
    # Service-centre staff start at their work: dispatch, or their to-do list.
    home = "/console/" if staff.centre_id is None else (
        "/console/dispatch" if may(staff.role, "dispatch") else "/console/tasks")
    response = redirect(home, status=303)
    set_cookie(response, settings, sid, web.SESSION_COOKIE)
    return clear_cookie(response, settings, web.PRE_COOKIE)


@bp.post("/logout")
@web.staff_page()
async def logout(request: Request) -> HTTPResponse:
    await revoke_session(request.ctx.console_sid, now=web.utcnow())
    return clear_cookie(redirect("/console/login", status=303), request.app.ctx.settings, web.SESSION_COOKIE)


# -- lists and tracking --------------------------------------------------------------------------

# The longest a filter's value may be: a case number is a CharField(64); dates, states and
# channels are short words. A longer value is refused with the field's name, never truncated
# silently or sent to the database.
FILTER_MAX_LENGTHS = {"case_number": 64, "from": 32, "to": 32, "status": 32, "channel": 32, "page": 16,
                      "client": 16, "outcome": 32}


def _arg(request: Request, name: str, field: str) -> str:
    """A filter's value from the query string, or "" when absent; too long is a clear 422."""
    value = request.args.get(name) or ""
    limit = FILTER_MAX_LENGTHS[name]
    if len(value) > limit:
        raise ValidationFailed(f"{field}过长（最多 {limit} 个字符）", code="filter_too_long")
    return value


def _date(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    """A Beijing calendar date from a form field; the end of a range is exclusive (next day)."""
    if not value:
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(f"{field}格式应为 年-月-日，如 2024-05-01", code="bad_date") from None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=BEIJING)


def _enum(kind, value: str | None, field: str):
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValidationFailed(f"{field}无效", code="bad_filter") from None


def _filters(request: Request) -> queries.ServiceFilters:
    page = _arg(request, "page", "页码") or "1"
    return queries.ServiceFilters(
        status=_enum(ServiceStatus, _arg(request, "status", "状态"), "状态"),
        case_number=_arg(request, "case_number", "案号"),
        since=_date(_arg(request, "from", "开始日期"), "开始日期"),
        until=_date(_arg(request, "to", "结束日期"), "结束日期", end=True),
        channel=_enum(Channel, _arg(request, "channel", "渠道"), "渠道"),
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1)


@bp.get("/")
@web.staff_page()
async def services(request: Request) -> HTTPResponse:
    error, status = "", 200
    try:
        filters = _filters(request)
    except ValidationFailed as exc:
        filters, error, status = queries.ServiceFilters(), exc.message, 422
    rows, total = await queries.list_services(request.ctx.staff.court_id, filters)
    pages = max(1, -(-total // queries.PER_PAGE))
    kept = {k: v for k, v in request.args.items() if k != "page" and v and v[0]}
    query = urlencode({k: v[0] for k, v in kept.items()})
    return web.render("console_services.html", status=status, rows=rows, total=total, page=filters.page,
                      pages=pages, query=query, args={k: v[0] for k, v in kept.items()}, error=error,
                      statuses=list(ServiceStatus), channels=list(Channel), **web.page_context(request))


@bp.get("/cases/<case_id:int>")
@web.staff_page()
async def case_page(request: Request, case_id: int) -> HTTPResponse:
    case, details = await queries.case_detail(request.ctx.staff.court_id, case_id)
    mail_items = [item for detail in details for item in await mail_report(detail.service.id)]
    return web.render("console_case.html", case=case, details=details, mail_items=mail_items,
                      **web.page_context(request))


async def _service_page(request: Request, service_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    detail = await queries.service_detail(request.ctx.staff.court_id, service_id)
    done = {"extend": "已延长送达期限", "revoke": "已撤回该送达", "resend": "已重发送达通知短信"}.get(
        request.args.get("done") or "", "")
    tasks = await service_tasks(Scope(request.ctx.staff.id, court_id=request.ctx.staff.court_id), service_id) \
        if may(request.ctx.staff.role, "tasks") else []
    return web.render("console_service.html", status=status, detail=detail, error=error, done=done,
                      signed_state=DeliveryState.SIGNED, sms=Channel.SMS, tasks=tasks, **web.page_context(request))


@bp.get("/services/<service_id:int>")
@web.staff_page()
async def service_page(request: Request, service_id: int) -> HTTPResponse:
    return await _service_page(request, service_id)


@bp.get("/recipients/<recipient_id:int>")
@web.staff_page()
async def person_page(request: Request, recipient_id: int) -> HTTPResponse:
    recipient, rows = await queries.person_detail(request.ctx.staff.court_id, recipient_id)
    mail_items = await mail_report(recipient.service_id, recipient_id=recipient.id)
    return web.render("console_person.html", recipient=recipient, rows=rows, mail_items=mail_items,
                      **web.page_context(request))


@bp.get("/deliveries/<delivery_id:int>/signature.png")
@web.staff_page()
async def signature_image(request: Request, delivery_id: int) -> HTTPResponse:
    delivery = await queries.court_delivery(request.ctx.staff.court_id, delivery_id)
    signature = await Signature.get_or_none(delivery_id=delivery.id)
    if signature is None:
        raise NotFound("该送达没有签名")
    png = await asyncio.to_thread(request.app.ctx.storage.get, signature.image_sha256)
    return raw(png, content_type="image/png", headers=document_headers())


@bp.get("/receipts/<receipt_id:int>/receipt.pdf")
@web.staff_page()
async def receipt_pdf(request: Request, receipt_id: int) -> HTTPResponse:
    receipt = await receipt_for_court(request.ctx.staff.court_id, receipt_id)
    if receipt is None:
        raise NotFound("送达回证不存在")
    if receipt.status is not ReceiptStatus.SEALED or not receipt.pdf_sha256:
        raise AppError("送达回证正在生成，请稍后刷新", code="receipt_pending", status=409)
    pdf = await asyncio.to_thread(request.app.ctx.storage.get, receipt.pdf_sha256)
    return raw(pdf, content_type="application/pdf",
               headers=document_headers(attachment(f"送达回证-{receipt.receipt_no}.pdf", fallback="document.pdf")))


@bp.get("/cases/<case_id:int>/report.pdf")
@web.staff_page("report")
async def case_report(request: Request, case_id: int) -> HTTPResponse:
    case = await queries.court_case(request.ctx.staff.court_id, case_id)
    court = await Court.get(id=case.court_id)
    pdf = await case_report_pdf(court, case, generated_at=web.utcnow())
    return raw(pdf, content_type="application/pdf",
               headers=document_headers(attachment(f"送达报告-{case.case_number}.pdf", fallback="document.pdf")))


# -- actions -------------------------------------------------------------------------------------

async def _service_action(request: Request, service_id: int, done: str, action) -> HTTPResponse:
    """Run one documents use case for a service of this court: a refusal is shown on the service
    page with its status, success goes back there with a confirmation."""
    try:
        await action()
    except AppError as exc:
        response = await _service_page(request, service_id, error=exc.message, status=min(exc.status, 503))
        response.headers.update(exc.headers())
        return response
    return redirect(f"/console/services/{service_id}?done={done}", status=303)


@bp.post("/services/<service_id:int>/revoke")
@web.staff_page("revoke")
async def revoke(request: Request, service_id: int) -> HTTPResponse:
    service = await queries.court_service(request.ctx.staff.court_id, service_id)
    reason = ((request.form or {}).get("reason") or "").strip()

    async def action() -> None:
        if not reason or len(reason) > 200:
            raise ValidationFailed("请填写撤回原因（200字以内）", code="reason_required")
        await revoke_service(service.id, reason=reason, actor=_actor(request), meta=web.meta(request),
                             now=web.utcnow())
    return await _service_action(request, service.id, "revoke", action)


@bp.post("/services/<service_id:int>/extend")
@web.staff_page("extend")
async def extend(request: Request, service_id: int) -> HTTPResponse:
    service = await queries.court_service(request.ctx.staff.court_id, service_id)

    async def action() -> None:
        day = _date((request.form or {}).get("until"), "新的截止日期", end=True)
        if day is None:
            raise ValidationFailed("请选择新的截止日期", code="bad_date")
        # The end of the chosen Beijing day (the next midnight, exclusive, minus a second).
        await extend_service(service.id, until=day - timedelta(seconds=1), actor=_actor(request),
                             meta=web.meta(request), now=web.utcnow())
    return await _service_action(request, service.id, "extend", action)


@bp.post("/deliveries/<delivery_id:int>/resend")
@web.staff_page("resend")
async def resend(request: Request, delivery_id: int) -> HTTPResponse:
    delivery = await queries.court_delivery(request.ctx.staff.court_id, delivery_id)
    now = web.utcnow()

    async def action() -> None:
        allowed = await web.limits(request).hit(f"console:resend:{delivery.id}", RESENDS_PER_HOUR,
                                                timedelta(hours=1), now=now)
        if not allowed.allowed:
            raise RateLimited(f"该送达一小时内最多重发{RESENDS_PER_HOUR}次，请{allowed.retry_after}秒后再试",
                              code="resend_limited", retry_after=allowed.retry_after)
        ctx = request.app.ctx
        await resend_notice(delivery.id, gateway=ctx.sms_gateway, settings=ctx.settings, actor=_actor(request),
                            meta=web.meta(request), now=now)
    return await _service_action(request, delivery.service_id, "resend", action)


# -- statistics and staff ------------------------------------------------------------------------

@bp.get("/stats")
@web.staff_page()
async def stats(request: Request) -> HTTPResponse:
    now = web.utcnow()
    error, status = "", 200
    try:
        since = _date(_arg(request, "from", "开始日期"), "开始日期") or (now - timedelta(days=30))
        until = _date(_arg(request, "to", "结束日期"), "结束日期", end=True) or (now + timedelta(seconds=1))
    except ValidationFailed as exc:
        since, until, error, status = now - timedelta(days=30), now + timedelta(seconds=1), exc.message, 422
    figures = await court_statistics(request.ctx.staff.court_id, since=since, until=until)
    status_chart = bar_chart([(s.label, figures.by_status[s]) for s in ServiceStatus], title="按状态（送达数）")
    channel_chart = bar_chart(
        [(f"{c.label}·送出", figures.deliveries_by_channel[c]) for c in Channel]
        + [(f"{c.label}·签收", figures.signed_by_channel[c]) for c in Channel], title="按渠道（送达/签收）")
    return web.render("console_stats.html", status=status, figures=figures, error=error,
                      since=since, until=until - timedelta(days=1) if request.args.get("to") and not error else now,
                      status_chart=status_chart, channel_chart=channel_chart, **web.page_context(request))


@bp.get("/staff")
@web.staff_page("staff")
async def staff_list(request: Request) -> HTTPResponse:
    return web.render("console_staff.html", people=await staff_of(request.ctx.staff.court_id),
                      **web.page_context(request))


# -- webhooks to the court's systems -------------------------------------------------------------

OUTCOME_LABELS = {"delivered": "已送达", "retry": "失败，待重试", "gone": "对方已退订（410）",
                  "gave_up": "已放弃", "refused": "地址被拒绝"}


async def _webhooks_page(request: Request, *, error: str = "", status: int = 200) -> HTTPResponse:
    from court.webhooks.log import endpoint_states, list_attempts

    court_id = request.ctx.staff.court_id
    args = request.args
    try:
        client_arg, outcome_arg = _arg(request, "client", "调用方"), _arg(request, "outcome", "结果")
        page_arg = _arg(request, "page", "页码") or "1"
    except ValidationFailed as exc:  # the page without filters, saying why
        client_arg, outcome_arg, page_arg = "", "", "1"
        error, status = error or exc.message, 422 if status == 200 else status
    client_id = int(client_arg) if client_arg.isascii() and client_arg.isdigit() and len(client_arg) < 10 else None
    outcome = outcome_arg if outcome_arg in OUTCOME_LABELS else None
    page = int(page_arg) if page_arg.isascii() and page_arg.isdigit() and len(page_arg) < 6 else 1
    endpoints = await endpoint_states(court_id, now=web.utcnow())
    attempts = await list_attempts(court_id=court_id, client_id=client_id, status=outcome,
                                   limit=queries.PER_PAGE + 1, offset=(page - 1) * queries.PER_PAGE)
    done = {"resend": "已重新排队投递（同一 webhook-id）", "enable": "已重新启用回调"}.get(args.get("done") or "", "")
    return web.render("console_webhooks.html", status=status, endpoints=endpoints,
                      attempts=attempts[:queries.PER_PAGE], more=len(attempts) > queries.PER_PAGE, page=page,
                      client_id=client_id, outcome=outcome, outcomes=OUTCOME_LABELS, error=error, done=done,
                      systems={s.value: s.label for s in CourtSystem},
                      **web.page_context(request))


@bp.get("/webhooks")
@web.staff_page("webhooks")
async def webhooks(request: Request) -> HTTPResponse:
    return await _webhooks_page(request)


async def _webhook_action(request: Request, action, done: str) -> HTTPResponse:
    """Run a court/webhooks/log action; another court's id stays a 404, a refusal is shown."""
    try:
        await action()
    except AppError as exc:
        if exc.status == 404:
            raise
        response = await _webhooks_page(request, error=exc.message, status=exc.status)
        response.headers.update(exc.headers())
        return response
    return redirect(f"/console/webhooks?done={done}", status=303)


@bp.post("/webhooks/<client_id:int>/enable")
@web.staff_page("webhooks")
async def webhook_enable(request: Request, client_id: int) -> HTTPResponse:
    from court.webhooks.log import enable_webhook

    staff = request.ctx.staff
    return await _webhook_action(request, lambda: enable_webhook(
        client_id, court_id=staff.court_id, actor=f"staff:{staff.id}"), "enable")


@bp.post("/webhooks/jobs/<job_id:int>/resend")
@web.staff_page("webhooks")
async def webhook_resend(request: Request, job_id: int) -> HTTPResponse:
    from court.webhooks.log import resend as resend_job

    staff = request.ctx.staff
    return await _webhook_action(request, lambda: resend_job(
        job_id, court_id=staff.court_id, now=web.utcnow(), actor=f"staff:{staff.id}"), "resend")

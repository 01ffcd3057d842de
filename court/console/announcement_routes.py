"""``/console/announcements``: 公告送达 — the clerk's request (from the suggestions list or the
service page, with the attempts made so far), the fee contact, the text, the submission to
人民法院报; ``/announcement/paper/callback``: the paper's signed callbacks; ``/public/courts/<id>/
announcements``: the court's public announcement page (送达网, no login), its Atom feed and the
snippet the court's own website embeds.

Thin: parse the form, call announcement/announcements.py, redirect; another court's
announcement is 404; any other refusal is the page again with the message and its 4xx status.
"""
from __future__ import annotations

from datetime import datetime, timezone
from xml.sax.saxutils import escape

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw, redirect

from announcement import announcements as use
from announcement.choices import EDITABLE, OPEN, FeePayer, FeeStatus, PaperStatus
from announcement.publishers.dev import DevPublisher
from announcement.publishers.publisher import CallbackRejected
from core.errors import AppError, NotFound, ValidationFailed
from court.console import web
from court.console.staff import scope_of
from service.models import Court, Recipient
from web.input_guard import refuse_control_characters

bp = Blueprint("console_announcement", url_prefix="/console/announcements", strict_slashes=False)
bp.on_request(refuse_control_characters)
callback_bp = Blueprint("announcement_callback", url_prefix="/announcement", strict_slashes=False)
public_bp = Blueprint("announcement_public", url_prefix="/public/courts", strict_slashes=False)

DONE = {"requested": "已发起公告送达", "fee": "已记录公告费", "text": "已保存公告内容", "submitted": "已提交人民法院报",
        "simulated": "已模拟报社回调"}
MAX_CALLBACK = 64 * 1024
# Public pages: notices are meant to be found (indexed, cached briefly); the snippet is meant to be
# framed by the court's own website (CSP frame-ancestors wins over X-Frame-Options in browsers,
# and the non-standard ALLOWALL keeps the default DENY from being added).
PUBLIC_HEADERS = {"X-Robots-Tag": "all", "Cache-Control": "public, max-age=300"}
EMBED_HEADERS = PUBLIC_HEADERS | {
    "X-Frame-Options": "ALLOWALL",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors *")}


def _int(value: str | None, field: str, message: str) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 9):
        raise ValidationFailed(message, code="invalid_number", details=[{"field": field, "message": message}])
    return int(text)


def _choice(enum, value: str | None, message: str):
    try:
        return enum((value or "").strip())
    except ValueError:
        raise ValidationFailed(message, code="invalid_choice") from None



@bp.get("/")
@web.staff_page("tasks")
async def list_page(request: Request) -> HTTPResponse:
    scope = scope_of(request.ctx.staff)
    return web.render("console_announcements.html", announcements=await use.announcements_of(scope),
                      **web.page_context(request))


async def _new_page(request: Request, recipient_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    recipient, attempts = await use.recipient_attempts(request.ctx.staff.court_id, recipient_id)
    service = await Recipient.get(id=recipient.id).prefetch_related("service__case")
    return web.render("console_announcement_new.html", status=status, error=error, recipient=recipient,
                      case=service.service.case, attempts=attempts, **web.page_context(request))


@bp.get("/new")
@web.staff_page("request_task")
async def new_page(request: Request) -> HTTPResponse:
    try:
        recipient_id = _int(request.args.get("recipient_id"), "recipient_id", "请选择受送达人")
    except ValidationFailed as exc:
        raise NotFound("受送达人不存在") from exc
    return await _new_page(request, recipient_id)


@bp.post("/")
@web.staff_page("request_task")
async def request_one(request: Request) -> HTTPResponse:
    form = request.form or {}
    try:
        recipient_id = _int(form.get("recipient_id"), "recipient_id", "请选择受送达人")
    except ValidationFailed as exc:
        raise NotFound("受送达人不存在") from exc
    try:
        found = await use.request_announcement(
            scope_of(request.ctx.staff), recipient_id, abroad=form.get("abroad") == "1",
            collect_at=form.get("collect_at") or "", now=web.utcnow(), meta=web.meta(request),
            due_days=request.app.ctx.settings.task_due_days * 4)
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _new_page(request, recipient_id, error=web.error_text(exc), status=exc.status)
    return redirect(f"/console/announcements/{found.id}?done=requested", status=303)


async def _detail(request: Request, announcement_id: int, *, error: str = "", status: int = 200,
                  form=None) -> HTTPResponse:
    scope = scope_of(request.ctx.staff)
    found = await use.announcement_in_scope(scope, announcement_id)
    attempt = await found.attempt
    return web.render("console_announcement.html", status=status, error=error, a=found, attempt=attempt,
                      editable=found.status in EDITABLE, payers=list(FeePayer), fee_statuses=list(FeeStatus),
                      form=form or {}, done=DONE.get(request.args.get("done") or "", ""),
                      simulate=found.status in OPEN and isinstance(request.app.ctx.announcement_publisher, DevPublisher),
                      **web.page_context(request))


@bp.get("/<announcement_id:int>")
@web.staff_page("tasks")
async def detail(request: Request, announcement_id: int) -> HTTPResponse:
    return await _detail(request, announcement_id)


async def _act(request: Request, announcement_id: int, action, done: str) -> HTTPResponse:
    try:
        await action(scope_of(request.ctx.staff))
    except AppError as exc:
        if exc.status == 404:
            raise
        form = request.form or {}
        return await _detail(request, announcement_id, error=web.error_text(exc), status=exc.status,
                             form={"title": form.get("title") or "", "text": form.get("text") or ""})
    return redirect(f"/console/announcements/{announcement_id}?done={done}", status=303)


@bp.post("/<announcement_id:int>/fee")
@web.staff_page("announce")
async def fee(request: Request, announcement_id: int) -> HTTPResponse:
    form = request.form or {}

    async def action(scope):
        await use.record_fee(scope, announcement_id, payer=_choice(FeePayer, form.get("payer"), "请选择缴费方"),
                             status=_choice(FeeStatus, form.get("status"), "请选择缴费情况"),
                             note=form.get("note") or "", now=web.utcnow(), meta=web.meta(request))
    return await _act(request, announcement_id, action, "fee")


@bp.post("/<announcement_id:int>/text")
@web.staff_page("announce")
async def text(request: Request, announcement_id: int) -> HTTPResponse:
    form = request.form or {}

    async def action(scope):
        await use.edit_text(scope, announcement_id, title=form.get("title") or "", text=form.get("text") or "",
                            now=web.utcnow(), meta=web.meta(request))
    return await _act(request, announcement_id, action, "text")


@bp.post("/<announcement_id:int>/submit")
@web.staff_page("announce")
async def submit(request: Request, announcement_id: int) -> HTTPResponse:
    settings = request.app.ctx.settings

    async def action(scope):
        await use.submit_announcement(scope, announcement_id, publisher=request.app.ctx.announcement_publisher,
                                      callback_url=f"{settings.public_base_url.rstrip('/')}/announcement/paper/callback",
                                      now=web.utcnow(), meta=web.meta(request))
    return await _act(request, announcement_id, action, "submitted")


@bp.post("/<announcement_id:int>/simulate")
@web.staff_page("announce")
async def simulate(request: Request, announcement_id: int) -> HTTPResponse:
    """Dev publisher only: send the callback the paper would send (已排版 / 已刊登 today / 退回)."""
    publisher = request.app.ctx.announcement_publisher
    if not isinstance(publisher, DevPublisher):
        raise NotFound("页面不存在")
    settings = request.app.ctx.settings

    async def action(scope):
        found = await use.announcement_in_scope(scope, announcement_id)
        status = _choice(PaperStatus, (request.form or {}).get("status"), "请选择回调类型")
        today = web.utcnow().astimezone(use.BEIJING).date()
        body, signature = publisher.callback(
            found.paper_ref or "", status, published_on=today if status is PaperStatus.PUBLISHED else None,
            edition="第1版" if status is PaperStatus.PUBLISHED else "", page="1" if status is PaperStatus.PUBLISHED else "",
            reason="（模拟）版面调整" if status is PaperStatus.RETURNED else "")
        await use.receive_callback(body, signature, publisher=publisher, storage=request.app.ctx.storage,
                                   max_evidence_bytes=settings.max_evidence_bytes, now=web.utcnow(),
                                   meta=web.meta(request))
    return await _act(request, announcement_id, action, "simulated")


@callback_bp.post("/paper/callback")
async def paper_callback(request: Request) -> HTTPResponse:
    """人民法院报's callback (已排版 / 已刊登 / 退回); a bad signature is refused and logged by the adapter."""
    body = request.body or b""
    if len(body) > MAX_CALLBACK:
        return json({"ok": False, "error": "回调内容过大"}, status=413)
    settings = request.app.ctx.settings
    try:
        await use.receive_callback(body, request.headers.get("X-Signature") or "",
                                   publisher=request.app.ctx.announcement_publisher, storage=request.app.ctx.storage,
                                   max_evidence_bytes=settings.max_evidence_bytes, now=web.utcnow(),
                                   meta=web.meta(request))
    except CallbackRejected as exc:
        return json({"ok": False, "error": exc.message}, status=403)
    except AppError as exc:
        return json({"ok": False, "error": exc.message}, status=exc.status)
    return json({"ok": True})


async def _court(court_id: int) -> Court:
    court = await Court.get_or_none(id=court_id) if 0 < court_id < 2**31 else None
    if court is None:
        raise NotFound("法院不存在")
    return court


@public_bp.get("/<court_id:int>/announcements")
async def public_page(request: Request, court_id: int) -> HTTPResponse:
    court = await _court(court_id)
    notices = await use.public_notices(court.id, now=web.utcnow())
    response = web.render("public_announcements.html", court=court, notices=notices)
    response.headers.update(PUBLIC_HEADERS)
    return response


@public_bp.get("/<court_id:int>/announcements/embed")
async def public_embed(request: Request, court_id: int) -> HTTPResponse:
    """The snippet the court's website includes (an iframe or a server-side include)."""
    court = await _court(court_id)
    notices = await use.public_notices(court.id, now=web.utcnow(), limit=10)
    response = web.render("public_announcements_embed.html", court=court, notices=notices)
    response.headers.update(EMBED_HEADERS)
    return response


@public_bp.get("/<court_id:int>/announcements/feed.atom")
async def public_feed(request: Request, court_id: int) -> HTTPResponse:
    court = await _court(court_id)
    notices = await use.public_notices(court.id, now=web.utcnow())
    base = request.app.ctx.settings.public_base_url.rstrip("/")
    page = f"{base}/public/courts/{court.id}/announcements"
    updated = max((n.updated_at for n in notices), default=datetime(2024, 1, 1, tzinfo=timezone.utc))
    entries = "".join(
        f"<entry><id>{page}#a{n.id}</id><title>{escape(n.title)}</title>"
        f"<updated>{n.updated_at.isoformat()}</updated><link href=\"{page}#a{n.id}\"/>"
        f"<content type=\"text\">{escape(n.text)}</content></entry>" for n in notices)
    feed = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{page}</id><title>{escape(court.name)}公告</title><updated>{updated.isoformat()}</updated>"
            f'<link href="{page}"/><link rel="self" href="{page}/feed.atom"/>{entries}</feed>')
    return raw(feed.encode("utf-8"), content_type="application/atom+xml; charset=utf-8", headers=PUBLIC_HEADERS)

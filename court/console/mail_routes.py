"""``/console/mail``: 邮寄送达 — print batches from mail tasks, the print PDF and manifest, waybill
entry (scan or manifest import), the item's logistics timeline, return-card upload, matching and
confirmation, the price table and the monthly statement. And ``/mail/kuaidi100/push``, where
Kuaidi100 pushes tracking (signature checked by the carrier adapter).

Thin handlers: parse → mail use case → render. A refusal is shown on the page it came from with
its status (4xx, Chinese); the use cases decide everything else.
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, time

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw, redirect

from centre.scope import Scope
from core.errors import AppError, ValidationFailed
from court.console import web
from court.console.staff import scope_of
from mail import batches, cards, costs, statement, tracking
from mail.carriers.carrier import PushRejected
from mail.choices import PriceBand
from mail.models import MailItem, PrintBatch, ReturnScan
from service.choices import Channel, MailReturn, MailSigner, TaskStatus
from service.models import Attempt, Recipient
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters
from web.templating import BEIJING

bp = Blueprint("console_mail", url_prefix="/console/mail", strict_slashes=False)
bp.on_request(refuse_control_characters)
push_bp = Blueprint("mail_push", url_prefix="/mail", strict_slashes=False)
OPEN = (TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.HANDED_BACK)
MAX_UPLOAD = 50 * 1024 * 1024
MONEY = re.compile(r"(?P<yuan>\d{1,6})(?:\.(?P<fen>\d{1,2}))?", re.ASCII)



def _scope(request: Request) -> Scope:
    return scope_of(request.ctx.staff)



def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _choice(enum_type, value: str | None):
    return next((member for member in enum_type if member.value == value), None)


def _date(value: str | None, field: str) -> datetime | None:
    """A date typed on the form (北京时间), as the start of that day: the card states a day, not a time."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ValidationFailed(f"{field}格式应为 YYYY-MM-DD", code="date_invalid") from exc
    if day.year < 2000:
        raise ValidationFailed(f"{field}有误", code="date_invalid")
    return datetime.combine(day, time(0), tzinfo=BEIJING)


# -- home: tasks to print, batches, scans to match ----------------------------------------------

async def _home(request: Request, *, error: str = "", status: int = 200, done: str = "") -> HTTPResponse:
    scope = _scope(request)
    tasks = await Attempt.filter(channel=Channel.MAIL, delivery_id=None, status__in=[s.value for s in OPEN],
                                 **scope.attempt_filter()).order_by("id").limit(500)
    printed = set(await MailItem.filter(attempt_id__in=[t.id for t in tasks]).values_list("attempt_id", flat=True))
    waiting = [t for t in tasks if t.id not in printed]
    recipients = {r.id: r for r in await Recipient.filter(id__in=[t.recipient_id for t in waiting])}
    rows = [(t, recipients[t.recipient_id]) for t in waiting]
    recent = await PrintBatch.filter(**batches.batch_filter(scope)).order_by("-id").limit(50)
    unmatched = await cards.unmatched_scans(scope)
    return web.render("console_mail.html", status=status, rows=rows, batches=recent, unmatched=unmatched,
                      error=error, done=done, month=web.utcnow().astimezone(BEIJING).strftime("%Y-%m"),
                      **web.page_context(request))


@bp.get("/")
@web.staff_page("tasks")
async def home(request: Request) -> HTTPResponse:
    done = {"batch": "已生成打印批次", "scan": "回执扫描件已上传", "match": "已匹配", "prices": "价格表已保存"}
    return await _home(request, done=done.get(request.args.get("done") or "", ""))


@bp.post("/batches")
@web.staff_page("handle")
async def create_batches(request: Request) -> HTTPResponse:
    ids = [_int(v) for v in (request.form or {}).getlist("task_id") or []]
    try:
        if any(i is None for i in ids):
            raise ValidationFailed("任务编号无效", code="task_id_invalid")
        made = await batches.create_print_batches(_scope(request), ids, settings=request.app.ctx.settings,
                                                  now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        return await _home(request, error=web.error_text(exc), status=exc.status)
    if len(made) == 1:
        return redirect(f"/console/mail/batches/{made[0].id}", status=303)
    return redirect("/console/mail?done=batch", status=303)


# -- a batch: downloads, waybills ----------------------------------------------------------------

async def _batch_page(request: Request, batch_id: int, *, error: str = "", status: int = 200,
                      done: str = "") -> HTTPResponse:
    batch = await batches.batch_in_scope(_scope(request), batch_id)
    items = await MailItem.filter(batch_id=batch.id).order_by("id")
    return web.render("console_mail_batch.html", status=status, batch=batch, items=items, error=error, done=done,
                      **web.page_context(request))


@bp.get("/batches/<batch_id:int>")
@web.staff_page("tasks")
async def batch_page(request: Request, batch_id: int) -> HTTPResponse:
    done = {"waybill": "单号已登记", "import": "清单单号已导入"}.get(request.args.get("done") or "", "")
    return await _batch_page(request, batch_id, done=done)


@bp.get("/batches/<batch_id:int>/print.pdf")
@web.staff_page("tasks")
async def print_file(request: Request, batch_id: int) -> HTTPResponse:
    settings = request.app.ctx.settings
    data = await batches.print_pdf(_scope(request), batch_id, storage=request.app.ctx.storage, settings=settings,
                                   base_url=settings.public_base_url, now=web.utcnow())
    return raw(data, content_type="application/pdf",
               headers=document_headers(attachment(f"集中打印-批次{batch_id}.pdf", fallback="print.pdf")))


@bp.get("/batches/<batch_id:int>/manifest.csv")
@web.staff_page("tasks")
async def manifest_csv(request: Request, batch_id: int) -> HTTPResponse:
    return await _manifest(request, batch_id, "csv")


@bp.get("/batches/<batch_id:int>/manifest.json")
@web.staff_page("tasks")
async def manifest_json(request: Request, batch_id: int) -> HTTPResponse:
    return await _manifest(request, batch_id, "json")


async def _manifest(request: Request, batch_id: int, kind: str) -> HTTPResponse:
    scope = _scope(request)
    batch = await batches.batch_in_scope(scope, batch_id)
    rows = await batches.manifest_rows(scope, batch_id, settings=request.app.ctx.settings)
    if kind == "csv":
        return raw(batches.manifest_csv(rows), content_type="text/csv; charset=utf-8",
                   headers=document_headers(attachment(f"清单-批次{batch_id}.csv", fallback="manifest.csv")))
    return raw(batches.manifest_json(batch, rows), content_type="application/json",
               headers=document_headers(attachment(f"清单-批次{batch_id}.json", fallback="manifest.json")))


@bp.post("/batches/<batch_id:int>/waybills")
@web.staff_page("handle")
async def import_waybills(request: Request, batch_id: int) -> HTTPResponse:
    upload = (request.files or {}).get("file")
    try:
        if upload is None or not upload.body:
            raise ValidationFailed("请选择填好单号的清单文件（CSV）", code="manifest_missing")
        await tracking.import_waybills(_scope(request), batch_id, upload.body, now=web.utcnow(),
                                       meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _batch_page(request, batch_id, error=web.error_text(exc), status=exc.status)
    await _subscribe_batch(request, batch_id)
    return redirect(f"/console/mail/batches/{batch_id}?done=import", status=303)


async def _subscribe_batch(request: Request, batch_id: int) -> None:
    for item in await MailItem.filter(batch_id=batch_id, waybill__isnull=False, last_polled_at__isnull=True):
        await tracking.subscribe_quietly(request.app.ctx.mail_carrier, item, callback_url=_callback(request),
                                         now=web.utcnow())


def _callback(request: Request) -> str:
    return f"{request.app.ctx.settings.public_base_url.rstrip('/')}/mail/kuaidi100/push"


# -- an item: waybill, timeline, card ------------------------------------------------------------

async def _item_page(request: Request, item_id: int, *, error: str = "", status: int = 200,
                     done: str = "") -> HTTPResponse:
    scope = _scope(request)
    item, lines = await tracking.timeline(scope, item_id)
    attempt = await Attempt.get(id=item.attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    scans = await ReturnScan.filter(item_id=item.id).order_by("id")
    return web.render("console_mail_item.html", status=status, item=item, lines=lines, attempt=attempt,
                      recipient=recipient, scans=scans, signers=list(MailSigner), returns=list(MailReturn),
                      error=error, done=done, **web.page_context(request))


@bp.get("/items/<item_id:int>")
@web.staff_page("tasks")
async def item_page(request: Request, item_id: int) -> HTTPResponse:
    done = {"waybill": "单号已登记", "card": "回执已确认，任务已办结"}.get(request.args.get("done") or "", "")
    return await _item_page(request, item_id, done=done)


@bp.post("/items/<item_id:int>/waybill")
@web.staff_page("handle")
async def enter_waybill(request: Request, item_id: int) -> HTTPResponse:
    try:
        item = await tracking.enter_waybill(_scope(request), item_id, (request.form or {}).get("waybill") or "",
                                            now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _item_page(request, item_id, error=web.error_text(exc), status=exc.status)
    await tracking.subscribe_quietly(request.app.ctx.mail_carrier, item, callback_url=_callback(request),
                                     now=web.utcnow())
    return redirect(f"/console/mail/items/{item_id}?done=waybill", status=303)


@bp.post("/items/<item_id:int>/card")
@web.staff_page("handle")
async def confirm_card(request: Request, item_id: int) -> HTTPResponse:
    form = request.form or {}
    try:
        facts = cards.CardFacts(
            received_at=_date(form.get("received_on"), "收件日期"),
            signer=_choice(MailSigner, form.get("signer")),
            signer_name=(form.get("signer_name") or "").strip(),
            returned_at=_date(form.get("returned_on"), "退回日期"),
            return_reason=_choice(MailReturn, form.get("return_reason")),
            address_confirmed=form.get("address_confirmed") == "1", note=(form.get("note") or "").strip())
        settings = request.app.ctx.settings
        await cards.confirm_card(_scope(request), item_id, facts, storage=request.app.ctx.storage,
                                 max_bytes=settings.max_evidence_bytes, settings=settings, now=web.utcnow(),
                                 meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _item_page(request, item_id, error=web.error_text(exc), status=exc.status)
    return redirect(f"/console/mail/items/{item_id}?done=card", status=303)


# -- return-card scans ---------------------------------------------------------------------------

@bp.post("/scans")
@web.staff_page("handle")
async def upload_scans(request: Request) -> HTTPResponse:
    upload = (request.files or {}).get("file")
    try:
        if upload is None or not upload.body:
            raise ValidationFailed("请选择回执扫描件（图片或PDF）", code="scan_missing")
        staff = request.ctx.staff
        await cards.upload_scans(_scope(request), upload.body, upload.name or "", court_id=staff.court_id,
                                 storage=request.app.ctx.storage, max_bytes=MAX_UPLOAD, now=web.utcnow())
    except AppError as exc:
        return await _home(request, error=web.error_text(exc), status=exc.status)
    return redirect("/console/mail?done=scan", status=303)


@bp.get("/scans/<scan_id:int>")
@web.staff_page("tasks")
async def scan_file(request: Request, scan_id: int) -> HTTPResponse:
    scope = _scope(request)
    scan = await ReturnScan.filter(id=scan_id, **cards.scan_filter(scope)).first() if 0 < scan_id < 2**31 else None
    if scan is None:
        raise AppError("回执扫描件不存在", code="not_found", status=404)
    data = await asyncio.to_thread(request.app.ctx.storage.get, scan.sha256)
    extension = "pdf" if scan.content_type == "application/pdf" else scan.content_type.split("/")[-1]
    return raw(data, content_type=scan.content_type,
               headers=document_headers(attachment(f"回执-{scan.id}.{extension}", fallback=f"scan.{extension}")))


@bp.post("/scans/<scan_id:int>/match")
@web.staff_page("handle")
async def match_scan(request: Request, scan_id: int) -> HTTPResponse:
    try:
        await cards.match_scan(_scope(request), scan_id, (request.form or {}).get("code") or "")
    except AppError as exc:
        return await _home(request, error=web.error_text(exc), status=exc.status)
    return redirect("/console/mail?done=match", status=303)


# -- prices and the monthly statement ------------------------------------------------------------

@bp.get("/prices")
@web.staff_page("staff")
async def prices_page(request: Request, *, error: str = "", status: int = 200) -> HTTPResponse:
    table = await costs.prices_of(request.ctx.staff.court_id)
    return web.render("console_mail_prices.html", status=status, table=table, bands=list(PriceBand),
                      yuan=costs.yuan, error=error, **web.page_context(request))


def _fen(value: str | None, field: str) -> int:
    """``20`` or ``20.5`` yuan → fen; anything else (``nan``, ``1e3``, ``-1``) is refused."""
    match = MONEY.fullmatch((value or "").strip())
    if match is None:
        raise ValidationFailed(f"{field}应为金额（元），如 20 或 20.50", code="price_invalid")
    return int(match["yuan"]) * 100 + int((match["fen"] or "").ljust(2, "0"))


@bp.post("/prices")
@web.staff_page("staff")
async def save_prices(request: Request) -> HTTPResponse:
    form = request.form or {}
    try:
        await costs.set_prices(request.ctx.staff.court_id, origin=(form.get("origin") or "").strip()[:200],
                               printing_fen=_fen(form.get("printing"), "打印费"),
                               same_city_fen=_fen(form.get("same_city"), "同城邮费"),
                               same_province_fen=_fen(form.get("same_province"), "区内邮费"),
                               other_province_fen=_fen(form.get("other_province"), "省外邮费"), now=web.utcnow())
    except AppError as exc:
        return await prices_page(request, error=web.error_text(exc), status=exc.status)
    return redirect("/console/mail?done=prices", status=303)


@bp.get("/statement")
@web.staff_page("tasks")
async def monthly_statement(request: Request) -> HTTPResponse:
    month = (request.args.get("month") or "").strip()[:7]
    fmt = request.args.get("format") or "pdf"
    if fmt not in ("pdf", "xlsx"):
        raise ValidationFailed("格式应为 pdf 或 xlsx", code="format_invalid")
    result = await statement.monthly_statement(request.ctx.staff.court_id, month)
    if fmt == "xlsx":
        data = await asyncio.to_thread(statement.statement_xlsx, result)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = await asyncio.to_thread(statement.statement_pdf, result)
        kind = "application/pdf"
    return raw(data, content_type=kind,
               headers=document_headers(attachment(f"邮寄费用对账单-{month}.{fmt}", fallback=f"statement.{fmt}")))


# -- the carrier's push --------------------------------------------------------------------------

@push_bp.post("/kuaidi100/push")
async def kuaidi100_push(request: Request) -> HTTPResponse:
    """Kuaidi100's subscription push; a bad signature is refused (and logged by the adapter)."""
    form = {k: v[0] for k, v in (request.form or {}).items() if v}
    try:
        await tracking.receive_push(request.app.ctx.mail_carrier, form, now=web.utcnow())
    except PushRejected as exc:
        return json({"result": False, "returnCode": "403", "message": exc.message}, status=403)
    return json({"result": True, "returnCode": "200", "message": "成功"})


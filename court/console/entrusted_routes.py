"""``/console/entrusted``: 委托送达 — the entrusting court's clerk picks a recipient and the
receiving court (on this platform, or by name when it is not), downloads the sealed 委托送达函
and, for a court off the platform, the package of letter and documents, and records that
court's result with its 送达回证. The receiving court works the task in its own centre's pages
(``/console/tasks``), which reach only that attempt.

Thin: parse, call entrusted/entrustments.py, redirect; other courts' entrustments are 404.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from core.errors import AppError, NotFound, ValidationFailed
from court.console import web
from court.console.staff import scope_of
from entrusted import entrustments as use
from service.models import Court, Recipient
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters

bp = Blueprint("console_entrusted", url_prefix="/console/entrusted", strict_slashes=False)
bp.on_request(refuse_control_characters)
BEIJING = ZoneInfo("Asia/Shanghai")
DONE = {"created": "已发出委托送达函", "result": "已登记受托法院的送达结果"}


def _id(text: str | None) -> int:
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 9):
        raise NotFound("受送达人不存在")
    return int(text)



@bp.get("/")
@web.staff_page("request_task")
async def list_page(request: Request) -> HTTPResponse:
    return web.render("console_entrusted_list.html", entrustments=await use.entrustments_of(request.ctx.staff.court_id),
                      now=web.utcnow(), **web.page_context(request))


async def _new(request: Request, recipient_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    recipient = await Recipient.filter(id=recipient_id, service__court_id=request.ctx.staff.court_id).first()
    if recipient is None:
        raise NotFound("受送达人不存在")
    courts = await Court.exclude(id=request.ctx.staff.court_id).order_by("code")
    return web.render("console_entrusted_new.html", status=status, error=error, recipient=recipient, courts=courts,
                      form=request.form or {}, **web.page_context(request))


@bp.get("/new")
@web.staff_page("request_task")
async def new_page(request: Request) -> HTTPResponse:
    return await _new(request, _id(request.args.get("recipient_id")))


@bp.post("/")
@web.staff_page("request_task")
async def create(request: Request) -> HTTPResponse:
    form = request.form or {}
    recipient_id = _id(form.get("recipient_id"))
    court_text = (form.get("to_court_id") or "").strip()
    try:
        if court_text and not (court_text.isascii() and court_text.isdigit() and len(court_text) <= 9):
            raise ValidationFailed("受托法院不存在，请核对后重新选择", code="court_not_found")
        found = await use.entrust(
            scope_of(request.ctx.staff), recipient_id, to_court_id=int(court_text) if court_text else None,
            to_court_name=form.get("to_court_name") or "", return_address=form.get("return_address") or "",
            sealer=request.app.ctx.sealer, storage=request.app.ctx.storage, settings=request.app.ctx.settings,
            now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _new(request, recipient_id, error=web.error_text(exc), status=exc.status)
    return redirect(f"/console/entrusted/{found.id}?done=created", status=303)


async def _detail(request: Request, entrustment_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    found = await use.entrustment_in_scope(scope_of(request.ctx.staff), entrustment_id)
    attempt = await found.attempt
    recipient = await Recipient.get(id=attempt.recipient_id)
    return web.render("console_entrusted.html", status=status, error=error, e=found, attempt=attempt,
                      recipient=recipient, now=web.utcnow(), done=DONE.get(request.args.get("done") or "", ""),
                      **web.page_context(request))


@bp.get("/<entrustment_id:int>")
@web.staff_page("request_task")
async def detail(request: Request, entrustment_id: int) -> HTTPResponse:
    return await _detail(request, entrustment_id)


@bp.get("/<entrustment_id:int>/letter.pdf")
@web.staff_page("request_task")
async def letter(request: Request, entrustment_id: int) -> HTTPResponse:
    _, data = await use.letter_pdf(scope_of(request.ctx.staff), entrustment_id, storage=request.app.ctx.storage)
    return raw(data, content_type="application/pdf",
               headers=document_headers(attachment("委托送达函.pdf", fallback="entrustment-letter.pdf")))


@bp.get("/<entrustment_id:int>/package.zip")
@web.staff_page("request_task")
async def package(request: Request, entrustment_id: int) -> HTTPResponse:
    found, data = await use.package_zip(scope_of(request.ctx.staff), entrustment_id, storage=request.app.ctx.storage)
    return raw(data, content_type="application/zip",
               headers=document_headers(attachment(f"委托送达-{found.id}.zip", fallback=f"entrustment-{found.id}.zip")))


@bp.post("/<entrustment_id:int>/result")
@web.staff_page("request_task")
async def result(request: Request, entrustment_id: int) -> HTTPResponse:
    form = request.form or {}
    upload = request.files.get("receipt") if request.files else None
    try:
        served = {"served": True, "failed": False}.get(form.get("outcome") or "")
        if served is None:
            raise ValidationFailed("请选择送达结果", code="bad_choice")
        served_at = _local_time(form.get("served_at") or "") if served else None
        text = (form.get("failure_text") or "").strip()
        if not served and not text:
            raise ValidationFailed("请说明受托法院未能送达的原因", code="failure_text_required")
        await use.record_result(
            scope_of(request.ctx.staff), entrustment_id, served=served, served_at=served_at, failure_text=text,
            receipt=(upload.body, upload.name) if upload is not None and upload.name else None,
            storage=request.app.ctx.storage, max_evidence_bytes=request.app.ctx.settings.max_evidence_bytes,
            now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _detail(request, entrustment_id, error=web.error_text(exc), status=exc.status)
    return redirect(f"/console/entrusted/{entrustment_id}?done=result", status=303)


def _local_time(text: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise ValidationFailed("请填写送达时间（格式：年-月-日 时:分）", code="bad_time")

"""``/console/addresses/…`` (地址库): a recipient's address book with the proposal and its rule, the
audited reveal, refusals, extracted candidates to accept or reject, and the figures. Thin handlers
over centre/address_book.py, scoped by the signed-in staff member's ``Scope``."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from addresses.choices import CandidateStatus
from addresses.lookups import LookupSource
from addresses.ocr import TesseractOcr
from centre import address_book as book
from core.errors import AppError, ValidationFailed
from court.console import web
from court.console.models import StaffAccount
from court.console.staff import scope_of
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters
from web.templating import BEIJING

bp = Blueprint("console_addresses", url_prefix="/console/addresses", strict_slashes=False)
bp.on_request(refuse_control_characters)

DONE = {"refused": "已记录当事人拒绝确认送达地址", "extracted": "已从文书中提取候选地址",
        "accepted": "已采纳，地址已入库", "rejected": "已驳回该候选地址", "looked_up": "外部查询已完成，结果已入库（未核实）"}


def _form(request: Request, name: str, limit: int = 600) -> str:
    return ((request.form or {}).get(name) or "")[:limit]


def _id(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < len(text) < 10):
        raise ValidationFailed(f"请选择{what}", code="id_invalid")
    return int(text)


def _refused(response: HTTPResponse, exc: AppError) -> HTTPResponse:
    response.headers.update(exc.headers())
    return response


# -- a recipient's address book ------------------------------------------------------------------

async def _book_page(request: Request, recipient_id: int, *, error: str = "", status: int = 200,
                     revealed: dict | None = None) -> HTTPResponse:
    scope, ctx = scope_of(request.ctx.staff), request.app.ctx
    view = await book.open_address_book(scope, recipient_id, settings=ctx.settings, now=web.utcnow(),
                                        meta=web.meta(request))
    by_id = {a.id: a for a in view.rows}
    return web.render("console_addresses.html", status=status, view=view, error=error, revealed=revealed,
                      lookup_sources=list(LookupSource),
                      proposed=by_id.get(view.proposal.address_id),
                      done=DONE.get(request.args.get("done") or "", ""), **web.page_context(request))


@bp.get("/recipients/<recipient_id:int>")
@web.staff_page("tasks")
async def address_book(request: Request, recipient_id: int) -> HTTPResponse:
    return await _book_page(request, recipient_id)


@bp.get("/recipients/<recipient_id:int>/confirmations/<file:str>")
@web.staff_page("tasks")
async def confirmation_pdf(request: Request, recipient_id: int, file: str) -> HTTPResponse:
    """送达地址确认书 as sealed: the document of the case the litigant signed."""
    found = await book.confirmation_in_scope(scope_of(request.ctx.staff), recipient_id, file.removesuffix(".pdf"),
                                             settings=request.app.ctx.settings)
    data = await asyncio.to_thread(request.app.ctx.storage.get, found.pdf_sha256)
    return raw(data, content_type="application/pdf", headers=document_headers(
        attachment(f"送达地址确认书-{found.confirmation_no}.pdf", fallback=f"{found.confirmation_no}.pdf")))


@bp.post("/recipients/<recipient_id:int>/reveal")
@web.staff_page("tasks")
async def reveal(request: Request, recipient_id: int) -> HTTPResponse:
    """查看: the plaintext is in this one response only, never in a URL or a redirect."""
    try:
        address_id = _id(_form(request, "address_id", 12), "地址")
        value = await book.reveal_address(scope_of(request.ctx.staff), recipient_id, address_id,
                                          _form(request, "reason", 300), settings=request.app.ctx.settings,
                                          now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404 and exc.code == "not_found" and "受送达人" in exc.message:
            raise
        return _refused(await _book_page(request, recipient_id, error=exc.message, status=exc.status), exc)
    response = await _book_page(request, recipient_id, revealed={"address_id": address_id, "value": value})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/recipients/<recipient_id:int>/refusal")
@web.staff_page("tasks")
async def refusal(request: Request, recipient_id: int) -> HTTPResponse:
    try:
        await book.refuse(scope_of(request.ctx.staff), recipient_id, _form(request, "note"), now=web.utcnow(),
                          meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return _refused(await _book_page(request, recipient_id, error=exc.message, status=exc.status), exc)
    return redirect(f"/console/addresses/recipients/{recipient_id}?done=refused", status=303)


@bp.post("/recipients/<recipient_id:int>/lookup")
@web.staff_page("tasks")
async def lookup(request: Request, recipient_id: int) -> HTTPResponse:
    """外部地址查询 with a reason, through the lookups the settings configured (app/providers.py)."""
    try:
        try:
            source = LookupSource(_form(request, "source", 16))
        except ValueError:
            raise ValidationFailed("请选择查询渠道", code="lookup_source_invalid") from None
        found = await book.external_lookup(
            scope_of(request.ctx.staff), recipient_id, source, _form(request, "reason", 300),
            providers=request.app.ctx.address_lookups, limits=web.limits(request),
            settings=request.app.ctx.settings, now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return _refused(await _book_page(request, recipient_id, error=exc.message, status=exc.status), exc)
    return redirect(f"/console/addresses/recipients/{recipient_id}?done=looked_up&n={len(found)}", status=303)


# -- extraction from a document ------------------------------------------------------------------

async def _document_page(request: Request, document_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    scope = scope_of(request.ctx.staff)
    document = await book.document_in_scope(scope, document_id)
    return web.render("console_address_document.html", status=status, document=document, error=error,
                      candidates=await book.candidates_of(scope, document_id),
                      recipients=await book.document_recipients(scope, document_id), pending=CandidateStatus.PENDING,
                      done=DONE.get(request.args.get("done") or "", ""), **web.page_context(request))


@bp.get("/documents/<document_id:int>")
@web.staff_page("tasks")
async def document_candidates(request: Request, document_id: int) -> HTTPResponse:
    return await _document_page(request, document_id)


@bp.post("/documents/<document_id:int>/extract")
@web.staff_page("tasks")
async def extract(request: Request, document_id: int) -> HTTPResponse:
    ctx = request.app.ctx
    try:
        await book.extract_candidates(scope_of(request.ctx.staff), document_id, storage=ctx.storage,
                                      settings=ctx.settings, now=web.utcnow(), ocr=TesseractOcr())
    except AppError as exc:
        if exc.status == 404:
            raise
        return _refused(await _document_page(request, document_id, error=exc.message, status=exc.status), exc)
    return redirect(f"/console/addresses/documents/{document_id}?done=extracted", status=303)


@bp.post("/documents/<document_id:int>/candidates/<candidate_id:int>")
@web.staff_page("tasks")
async def review(request: Request, document_id: int, candidate_id: int) -> HTTPResponse:
    decision = _form(request, "decision", 8)
    try:
        if decision not in ("accept", "reject"):
            raise ValidationFailed("请选择采纳或驳回", code="decision_invalid")
        recipient = _form(request, "recipient_id", 12)
        await book.document_in_scope(scope_of(request.ctx.staff), document_id)
        await book.review(scope_of(request.ctx.staff), candidate_id, accept=decision == "accept",
                          recipient_id=_id(recipient, "该地址所属的受送达人") if decision == "accept" else None,
                          settings=request.app.ctx.settings, now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404 and exc.message == "文书不存在":
            raise
        return _refused(await _document_page(request, document_id, error=exc.message, status=exc.status), exc)
    done = "accepted" if decision == "accept" else "rejected"
    return redirect(f"/console/addresses/documents/{document_id}?done={done}", status=303)


# -- figures -------------------------------------------------------------------------------------

def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed("日期格式应为 年-月-日，例如 2026-12-01", code="date_invalid") from exc


@bp.get("/stats")
@web.staff_page("tasks")
async def figures(request: Request) -> HTTPResponse:
    today = web.utcnow().astimezone(BEIJING).date()
    try:
        first = _day(request.args.get("from"), today - timedelta(days=29))
        last = _day(request.args.get("to"), today)
        if last < first or (last - first).days > 366:
            raise ValidationFailed("统计区间应为一年以内，且结束日期不早于开始日期", code="period_invalid")
    except AppError as exc:
        return _refused(web.render("console_address_stats.html", status=exc.status, error=exc.message, figures=None,
                                   first="", last="", names={}, **web.page_context(request)), exc)
    start = datetime.combine(first, datetime.min.time(), BEIJING)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), BEIJING)
    numbers = await book.address_figures(scope_of(request.ctx.staff), start, end)
    ids = [int(s) for s, _ in numbers.lookups_by_staff if s.isdigit()]
    names = {str(s.id): s.display_name for s in await StaffAccount.filter(id__in=ids)}
    return web.render("console_address_stats.html", error="", figures=numbers, first=first.isoformat(),
                      last=last.isoformat(), names=names, **web.page_context(request))


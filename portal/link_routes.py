"""The SMS short-link path (短信链接送达): open → verify by code → read → sign → receipt.

``/s/<token>`` trades the token for a server-side session and redirects to ``/d/<id>``, so the
token never sits in history or a Referer. Each ``/d/<id>`` page is a thin handler: check the
session (and CSRF on POST), call the domain use case, render.
"""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from functools import wraps

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw, redirect
from tortoise.transactions import in_transaction

from audit.choices import EventType
from core.errors import AppError, NotFound
from documents.page_images import document_texts, page_png
from identity.code_requests import request_code
from identity.codes import verify_code
from identity.limits import RateLimited
from identity.models import CodePurpose, SessionKind
from identity.pii_keys import pii_cipher
from identity.sessions import create_session, revoke_session
from portal import pages, render
from service.access import (
    DeliveryClosed,
    advance,
    case_of,
    documents_of,
    reading_of,
    receipt_of,
    recipient_of,
    record_document_access,
    record_identity_step,
    service_of,
)
from service.choices import DeliveryState, ReceiptStatus
from service.models import Receipt, RecipientDocument
from service.notices import linked_delivery
from service.signing import sign_delivery
from web.disconnects import finish_on_disconnect
from web.downloads import attachment, document_headers, safe_title
from web.input_guard import refuse_control_characters

bp = Blueprint("link", strict_slashes=False)
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
LOOKUPS_PER_MINUTE = 30
_PAGE_FILE = re.compile(r"([1-9][0-9]{0,4})\.png")


@bp.get("/s/<token:str>")
async def open_link(request: Request, token: str) -> HTTPResponse:
    now = pages.utcnow()
    # Tokens carry 131 random bits; the limit keeps anyone from sampling that space quickly.
    # Counted per process while Redis is away, so links keep opening (identity/limits.py).
    result = await pages.limits(request).hit(f"portal:link-lookup:{pages.address(request)}",
                                             LOOKUPS_PER_MINUTE, timedelta(minutes=1), now=now,
                                             local_fallback=True)
    if not result.allowed:
        raise RateLimited(f"访问过于频繁，请{result.retry_after}秒后再试", code="link_rate_limited",
                          retry_after=result.retry_after)
    # One pooled connection for the whole opening (its statements would otherwise each queue for
    # a connection again behind every other page: the tail under many phones at once,
    # bench/landing_connections.py), and the delivery opened only with its session.
    async with in_transaction():
        linked = await linked_delivery(token)
        if linked is None:
            raise NotFound("页面不存在")
        delivery_id, recipient_id = linked
        try:
            await advance(delivery_id, DeliveryState.OPENED, actor=pages.recipient_actor(recipient_id),
                          meta=pages.request_meta(request), now=now)
        except DeliveryClosed as exc:
            return await pages.closed_page(exc, delivery_id)
        settings = request.app.ctx.settings
        old = pages.session_id(request)
        if old:
            await revoke_session(old, now=now)
        sid, _ = await create_session(SessionKind.LINK, {"delivery_id": delivery_id}, now=now,
                                      idle=pages.idle(settings), absolute=pages.absolute(settings))
    return pages.set_session_cookie(redirect(f"/d/{delivery_id}", status=303), settings, sid)


def link_page(*, verified: bool = False, or_signed: bool = False, facts: bool = False):
    """Load the visit (404 unless the session opens this delivery), check CSRF on POST, require
    a verified session where asked, and show a closed delivery as the 410 page. ``or_signed``: the
    page is also open, without a new code, to the link's session once the delivery is signed — a
    recipient reopening the SMS link later gets 已签收 and their receipt, not a code request.
    ``facts``: read the legal-effect facts with the visit (one statement, not two), for a GET page
    that writes nothing before it shows the effect line."""
    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: Request, delivery_id: int, **kwargs) -> HTTPResponse:
            try:
                visit = await pages.visit_for(request, delivery_id, facts=facts)
                if request.method == "POST":
                    pages.check_csrf(request, visit.sid)
                if verified and not visit.verified and not (
                        or_signed and visit.delivery.state is DeliveryState.SIGNED):
                    return redirect(f"/d/{delivery_id}", status=303)
                return await handler(request, visit, **kwargs)
            except DeliveryClosed as exc:
                return await pages.closed_page(exc, delivery_id)
        return wrapper
    return decorate


def _reraise_closed(exc: AppError) -> None:
    if isinstance(exc, DeliveryClosed):
        raise exc


async def _context(request: Request, visit: pages.Visit, *, signing: bool = False,
                   receipt: Receipt | None = None) -> dict:
    """What every link page shows: the court and its phone, the deadline, and one line on what the
    law makes of this service (``pages.effect_line``: the receipt's own decision)."""
    delivery = visit.delivery
    case = await case_of(delivery)
    return {"delivery": delivery, "court": case.court, "case": case, "service": await service_of(delivery),
            "recipient": await recipient_of(delivery),
            "csrf": pages.csrf_token(request.app.ctx.settings, visit.sid), "csrf_field": pages.CSRF_FIELD,
            "via_portal": visit.via_portal,
            "effect_line": await pages.effect_line(delivery, signing=signing, receipt=receipt, facts=visit.facts)}


async def _landing(request: Request, visit: pages.Visit, *, error: str = "", sent: bool = False,
                   status: int = 200) -> HTTPResponse:
    return render("link_landing.html", status=status, error=error, sent=sent, **await _context(request, visit))


@bp.get("/d/<delivery_id:int>")
@link_page(facts=True)
async def landing(request: Request, visit: pages.Visit) -> HTTPResponse:
    if visit.delivery.state is DeliveryState.SIGNED and not ({"verify", "sent"} & set(request.args)):
        return redirect(f"/d/{visit.delivery.id}/signed", status=303)
    if visit.verified:
        return redirect(f"/d/{visit.delivery.id}/documents", status=303)
    return await _landing(request, visit, sent=request.args.get("sent") == "1")


@bp.post("/d/<delivery_id:int>/code")
@finish_on_disconnect
@link_page()
async def send_code(request: Request, visit: pages.Visit) -> HTTPResponse:
    if visit.verified:  # a portal login, or already verified: no code needed, none sent
        return redirect(f"/d/{visit.delivery.id}/documents", status=303)
    ctx = request.app.ctx
    recipient = await recipient_of(visit.delivery)
    try:
        await request_code(purpose=CodePurpose.LINK, subject=str(visit.delivery.id),
                           phone=pii_cipher(request.app.ctx.settings).decrypt(recipient.phone_cipher, context="phone"),
                           client_ip=pages.address(request), gateway=ctx.sms_gateway, limits=pages.limits(request),
                           settings=ctx.settings, now=pages.utcnow())
    except AppError as exc:
        _reraise_closed(exc)
        response = await _landing(request, visit, error=exc.message, status=min(exc.status, 503))
        response.headers.update(exc.headers())
        return response
    await record_identity_step(visit.delivery, EventType.DELIVERY_CODE_SENT,
                               actor=pages.recipient_actor(visit.delivery.recipient_id),
                               meta=pages.request_meta(request), data={"phone_masked": recipient.phone_masked})
    return redirect(f"/d/{visit.delivery.id}?sent=1", status=303)


@bp.post("/d/<delivery_id:int>/verify")
@finish_on_disconnect
@link_page()
async def verify(request: Request, visit: pages.Visit) -> HTTPResponse:
    if visit.via_portal:
        return redirect(f"/d/{visit.delivery.id}/documents", status=303)
    now = pages.utcnow()
    delivery = visit.delivery
    try:
        await verify_code(CodePurpose.LINK, str(delivery.id), request.form.get("code") or "",
                          settings=request.app.ctx.settings, now=now)
    except AppError as exc:
        _reraise_closed(exc)
        await record_identity_step(delivery, EventType.DELIVERY_CODE_FAILED,
                                   actor=pages.recipient_actor(delivery.recipient_id),
                                   meta=pages.request_meta(request), data={"reason": exc.code})
        response = await _landing(request, visit, error=exc.message, sent=True, status=exc.status)
        response.headers.update(exc.headers())
        return response
    settings = request.app.ctx.settings
    # A new session id once the visitor has proved possession of the phone (session fixation).
    sid = await pages.rotate_session_verified(visit, now=now)
    await advance(delivery.id, DeliveryState.VERIFIED, actor=pages.recipient_actor(delivery.recipient_id),
                  meta=pages.request_meta(request), now=now)
    return pages.set_session_cookie(redirect(f"/d/{delivery.id}/documents", status=303), settings, sid)


async def _read_state(visit: pages.Visit) -> tuple[list, dict[int, RecipientDocument]]:
    reading = await reading_of(visit.delivery)
    return [document for document, _ in reading], {row.document_id: row for _, row in reading}


async def _document(visit: pages.Visit, document_id: int):
    for document in await documents_of(visit.delivery):
        if document.id == document_id:
            return document
    raise NotFound("页面不存在")


@bp.get("/d/<delivery_id:int>/documents")
@link_page(verified=True)
async def documents(request: Request, visit: pages.Visit) -> HTTPResponse:
    docs, rows = await _read_state(visit)
    all_read = all(rows[d.id].first_viewed_at for d in docs if d.id in rows)
    return render("link_documents.html", documents=docs, rows=rows, all_read=all_read,
                  **await _context(request, visit))


@bp.get("/d/<delivery_id:int>/documents/<document_id:int>")
@link_page(verified=True)
async def view_document(request: Request, visit: pages.Visit, document_id: int) -> HTTPResponse:
    # Counting the view is also the check that the document is this recipient's (404 if not).
    document = await record_document_access(visit.delivery.id, document_id, download=False,
                                            actor=pages.recipient_actor(visit.delivery.recipient_id),
                                            meta=pages.request_meta(request), now=pages.utcnow())
    storage = request.app.ctx.storage
    texts = await document_texts(request.app.ctx.settings.data_dir / "page-cache", document.sha256,
                                 lambda: storage.get(document.sha256))
    return render("link_document.html", document=document, pages=range(1, document.page_count + 1),
                  texts=texts, large=request.args.get("large") == "1", **await _context(request, visit))


@bp.get("/d/<delivery_id:int>/documents/<document_id:int>/pages/<page_file:str>")
@link_page(verified=True)
async def page_image(request: Request, visit: pages.Visit, document_id: int, page_file: str) -> HTTPResponse:
    match = _PAGE_FILE.fullmatch(page_file)
    document = await _document(visit, document_id)
    if match is None or int(match.group(1)) > document.page_count:
        raise NotFound("页面不存在")
    storage = request.app.ctx.storage
    cache_dir = request.app.ctx.settings.data_dir / "page-cache"
    try:
        png = await page_png(cache_dir, document.sha256, int(match.group(1)), lambda: storage.get(document.sha256))
    except IndexError as exc:
        raise NotFound("页面不存在") from exc
    return raw(png, content_type="image/png", headers=document_headers())


@bp.get("/d/<delivery_id:int>/documents/<document_id:int>/download")
@link_page(verified=True)
async def download(request: Request, visit: pages.Visit, document_id: int) -> HTTPResponse:
    document = await _document(visit, document_id)
    data = await asyncio.to_thread(request.app.ctx.storage.get, document.sha256)
    await record_document_access(visit.delivery.id, document.id, download=True,
                                 actor=pages.recipient_actor(visit.delivery.recipient_id),
                                 meta=pages.request_meta(request), now=pages.utcnow())
    return raw(data, content_type="application/pdf",
               headers=document_headers(attachment(f"{safe_title(document.title)}.pdf", fallback="document.pdf")))


async def _sign_page(request: Request, visit: pages.Visit, *, error: str = "", status: int = 200) -> HTTPResponse:
    docs, rows = await _read_state(visit)
    unread = [d for d in docs if d.id in rows and rows[d.id].first_viewed_at is None]
    return render("link_sign.html", status=status, error=error, documents=docs, unread=unread,
                  **await _context(request, visit, signing=not unread))


@bp.get("/d/<delivery_id:int>/sign")
@link_page(verified=True)
async def sign_form(request: Request, visit: pages.Visit) -> HTTPResponse:
    if visit.delivery.state is DeliveryState.SIGNED and request.args.get("verify") != "1":
        return redirect(f"/d/{visit.delivery.id}/signed", status=303)
    return await _sign_page(request, visit)


@bp.post("/d/<delivery_id:int>/sign")
@finish_on_disconnect
@link_page(verified=True)
async def sign(request: Request, visit: pages.Visit) -> HTTPResponse:
    delivery = visit.delivery
    if delivery.state is DeliveryState.SIGNED:
        return await _already_signed(request, visit)
    if request.form.get("confirm") != "1":
        return await _sign_page(request, visit, error="请勾选确认已阅读并同意签收", status=422)
    proof = visit.identity_proof(await recipient_of(delivery))
    try:
        png = pages.signature_from_data_url(request.form.get("signature") or "")
        await sign_delivery(delivery.id, png, identity_proof=proof,
                            actor=pages.recipient_actor(delivery.recipient_id),
                            meta=pages.request_meta(request), now=pages.utcnow(), storage=request.app.ctx.storage)
    except AppError as exc:
        _reraise_closed(exc)
        if exc.code == "already_signed":
            return await _already_signed(request, visit)
        response = await _sign_page(request, visit, error=exc.message, status=exc.status)
        response.headers.update(exc.headers())
        return response
    return redirect(f"/d/{delivery.id}/signed", status=303)


async def _already_signed(request: Request, visit: pages.Visit) -> HTTPResponse:
    return render("link_message.html", status=409, title="您已签收", message="您已签收过该送达，无需重复签收。",
                  link=f"/d/{visit.delivery.id}/signed", link_text="查看签收结果", **await _context(request, visit))


@bp.get("/d/<delivery_id:int>/signed")
@link_page(verified=True, or_signed=True)
async def signed(request: Request, visit: pages.Visit) -> HTTPResponse:
    receipt = await receipt_of(visit.delivery)
    if receipt is None:
        return redirect(f"/d/{visit.delivery.id}/sign", status=303)
    return render("link_signed.html", receipt=receipt, sealed=receipt.status is ReceiptStatus.SEALED,
                  verified=visit.verified, **await _context(request, visit, receipt=receipt))


@bp.get("/d/<delivery_id:int>/receipt-status")
@link_page(verified=True, or_signed=True)
async def receipt_status(request: Request, visit: pages.Visit) -> HTTPResponse:
    """Polled by the signed page (static/receipt-status.js) until the seal is on."""
    receipt = await receipt_of(visit.delivery)
    sealed = receipt is not None and receipt.status is ReceiptStatus.SEALED
    return json({"sealed": sealed}, headers={"Cache-Control": "no-store"})


@bp.get("/d/<delivery_id:int>/receipt.pdf")
@link_page(verified=True)  # the PDF carries the signature image: a reopened link asks for a code first
async def receipt_pdf(request: Request, visit: pages.Visit) -> HTTPResponse:
    receipt = await receipt_of(visit.delivery)
    if receipt is None:
        raise NotFound("页面不存在")
    if receipt.status is not ReceiptStatus.SEALED or not receipt.pdf_sha256:
        # The worker seals within seconds; 202 says "not yet", the page says "refresh".
        return render("link_signed.html", status=202, receipt=receipt, sealed=False, verified=visit.verified,
                      **await _context(request, visit, receipt=receipt))
    data = await asyncio.to_thread(request.app.ctx.storage.get, receipt.pdf_sha256)
    return raw(data, content_type="application/pdf",
               headers=document_headers(attachment(f"送达回证-{receipt.receipt_no}.pdf", fallback="receipt.pdf")))

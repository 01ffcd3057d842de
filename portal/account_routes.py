"""Portal login (诉讼服务网登录) by phone + SMS code, and the user's cases and documents.

Login CSRF: before login there is no session to bind a token to, and creating a session row for
every visit to the login form would let anyone fill the table. So the form uses a signed
double-submit token: ``GET /portal/login`` sets a random nonce in an HttpOnly, SameSite=Lax
cookie (``songda_pre``; ``__Host-songda_pre`` in production) and puts
``HMAC(secret, "portal-login-csrf|" + nonce)`` in the form. A cross-site page can neither read
the cookie nor forge the HMAC. After login, forms use the session CSRF of ``portal.pages``.

An unknown phone is treated exactly like a known one (``service.login_codes.request_login_code``):
the same limits, the same statements, the same page, the same status. The request never texts:
it queues a job, which texts the code only to a phone on file, so timing tells nothing either.
"""
from __future__ import annotations

import asyncio
import io
import secrets
import zipfile
from functools import wraps

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from core.errors import AppError, Forbidden, NotFound
from core.settings import Settings
from identity.codes import verify_code
from identity.models import CodePurpose, Session, SessionKind
from identity.phones import InvalidPhone, mask_phone, normalize_mobile
from identity.pii_keys import pii_cipher
from identity.sessions import create_session, load_session, revoke_session
from mail.report import mail_report
from portal import cases, pages, render
from service.login_codes import request_login_code
from web.cookies import clear_cookie, read_cookie, set_cookie
from web.csrf import check_form, csrf_token
from web.disconnects import finish_on_disconnect
from web.downloads import attachment, document_headers, safe_title
from web.input_guard import refuse_control_characters
from web.templating import BEIJING

bp = Blueprint("portal_account", url_prefix="/portal")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
PRE_FIELD = "login_token"
PRE_COOKIE = "pre"
LOGIN_PURPOSE = "portal-login-csrf"


# -- pre-login CSRF (signed double submit) -------------------------------------------------

def _login_token(settings: Settings, nonce: str) -> str:
    return csrf_token(settings.secret_key, LOGIN_PURPOSE, nonce)


def _check_login_token(request: Request) -> str:
    nonce = read_cookie(request, request.app.ctx.settings, PRE_COOKIE) or ""
    check_form(request, LOGIN_PURPOSE, nonce, field=PRE_FIELD,
               message="页面已过期或请求无效，请返回登录页刷新后重试")
    return nonce


def _login_page(request: Request, nonce: str, *, step: str = "phone", phone: str = "", error: str = "",
                status: int = 200) -> HTTPResponse:
    settings = request.app.ctx.settings
    return render("portal_login.html", status=status, step=step, phone=phone,
                  phone_masked=mask_phone(phone) if phone else "", error=error,
                  token=_login_token(settings, nonce), token_field=PRE_FIELD)


# -- the portal session ----------------------------------------------------------------------

async def _portal_session(request: Request) -> tuple[str, Session] | None:
    sid = pages.session_id(request)
    session = await load_session(sid, now=pages.utcnow(), idle=pages.idle(request.app.ctx.settings))
    if session is None or session.kind is not SessionKind.PORTAL or not session.data.get("phone_index"):
        return None
    return sid, session


def portal_page(handler):
    """Logged-in pages: no portal session → the login page; POSTs need the session's CSRF."""
    @wraps(handler)
    async def wrapper(request: Request, **kwargs) -> HTTPResponse:
        found = await _portal_session(request)
        if found is None:
            if request.method == "POST":
                raise Forbidden("请先登录", code="csrf_failed")
            return redirect("/portal/login", status=303)
        sid, session = found
        if request.method == "POST":
            pages.check_csrf(request, sid)
        request.ctx.portal_sid = sid
        request.ctx.phone_index = session.data["phone_index"]
        return await handler(request, **kwargs)
    return wrapper


def _page_context(request: Request) -> dict:
    return {"csrf": pages.csrf_token(request.app.ctx.settings, request.ctx.portal_sid),
            "csrf_field": pages.CSRF_FIELD}


# -- login -------------------------------------------------------------------------------------

@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    if await _portal_session(request) is not None:
        return redirect("/portal/", status=303)
    settings = request.app.ctx.settings
    nonce = read_cookie(request, settings, PRE_COOKIE) or ""
    fresh = len(nonce) < 32
    if fresh:
        nonce = secrets.token_urlsafe(32)
    response = _login_page(request, nonce)
    if fresh:
        set_cookie(response, settings, nonce, PRE_COOKIE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _phone(request: Request) -> str:
    return normalize_mobile((request.form or {}).get("phone") or "")


@bp.post("/login/code")
@finish_on_disconnect
async def send_login_code(request: Request) -> HTTPResponse:
    nonce = _check_login_token(request)
    try:
        phone = _phone(request)
    except InvalidPhone as exc:
        return _login_page(request, nonce, error=exc.message, status=422)
    try:
        # The same work for every phone: whether it is on file is decided by the queued job.
        await request_login_code(phone, client_ip=pages.address(request), limits=pages.limits(request),
                                 settings=request.app.ctx.settings, now=pages.utcnow())
    except AppError as exc:
        response = _login_page(request, nonce, phone=phone, error=exc.message, status=min(exc.status, 503))
        response.headers.update(exc.headers())
        return response
    return _login_page(request, nonce, step="code", phone=phone)


@bp.post("/login/verify")
@finish_on_disconnect
async def verify_login(request: Request) -> HTTPResponse:
    nonce = _check_login_token(request)
    try:
        phone = _phone(request)
    except InvalidPhone as exc:
        return _login_page(request, nonce, error=exc.message, status=422)
    now = pages.utcnow()
    index = pii_cipher(request.app.ctx.settings).blind_index(phone, context="phone")
    try:
        await verify_code(CodePurpose.LOGIN, index, (request.form or {}).get("code") or "",
                          settings=request.app.ctx.settings, now=now)
    except AppError as exc:
        response = _login_page(request, nonce, step="code", phone=phone, error=exc.message,
                               status=min(exc.status, 503))
        response.headers.update(exc.headers())
        return response
    settings = request.app.ctx.settings
    old = pages.session_id(request)
    if old:
        await revoke_session(old, now=now)  # a new id on login: nothing planted before survives
    sid, _ = await create_session(SessionKind.PORTAL, {"phone_index": index}, now=now,
                                  idle=pages.idle(settings), absolute=pages.absolute(settings))
    recipient_ids = await cases.Recipient.filter(phone_index=index).values_list("id", flat=True)
    await cases.mark_verified(list(recipient_ids), meta=pages.request_meta(request), now=now)
    response = pages.set_session_cookie(redirect("/portal/", status=303), settings, sid)
    clear_cookie(response, settings, PRE_COOKIE)  # the nonce has served
    return response


@bp.post("/logout")
@portal_page
async def logout(request: Request) -> HTTPResponse:
    await revoke_session(request.ctx.portal_sid, now=pages.utcnow())
    settings = request.app.ctx.settings
    response = redirect("/portal/login", status=303)
    clear_cookie(response, settings)
    return response


# -- cases and documents -------------------------------------------------------------------

@bp.get("/")
@portal_page
async def home(request: Request) -> HTTPResponse:
    views = await cases.cases_of(request.ctx.phone_index)
    return render("portal_home.html", views=views, **_page_context(request))


@bp.get("/cases/<case_id:int>")
@portal_page
async def case_page(request: Request, case_id: int) -> HTTPResponse:
    view = await cases.case_of(request.ctx.phone_index, case_id)
    # Court mail (法院专递) addressed to this user in the case: where it is, who signed, or why it
    # came back; only their own recipient rows.
    mail = [item for entry in view.entries
            for item in await mail_report(entry.service.id, recipient_id=entry.recipient.id)]
    return render("portal_case.html", view=view, mail=mail, **_page_context(request))


def _entry_name(position: int, title: str) -> str:
    safe = title.replace("/", "_").replace("\\", "_").strip() or "文书"
    return f"{position:02d}-{safe}.pdf"


class _Chunks(io.RawIOBase):
    """An unseekable sink: zipfile writes local headers + data descriptors, we send the bytes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


async def _record(recipients, document_id: int, request: Request) -> None:
    """One download event, through the first of the user's rows that has a live portal delivery."""
    for recipient in recipients:
        if await cases.record_download(recipient, document_id, meta=pages.request_meta(request),
                                       now=pages.utcnow()):
            return


def _recipients_for(view: cases.CaseView, document_id: int) -> list:
    return [e.recipient for e in view.entries if any(d.id == document_id for d in e.documents)]


@bp.get("/cases/<case_id:int>/documents.zip")
@portal_page
async def case_zip(request: Request, case_id: int) -> None:
    view = await cases.case_of(request.ctx.phone_index, case_id)
    documents = view.documents
    if not documents:
        raise NotFound("本案没有可下载的文书")
    storage = request.app.ctx.storage
    disposition = attachment(f"{safe_title(f'{view.case.case_number}-全部文书')}.zip", fallback="documents.zip")
    response = await request.respond(content_type="application/zip", headers=document_headers(disposition))
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for position, document in enumerate(documents, start=1):
            data = await asyncio.to_thread(storage.get, document.sha256)  # re-checks the hash
            await _record(_recipients_for(view, document.id), document.id, request)
            info = zipfile.ZipInfo(_entry_name(position, document.title),
                                   date_time=document.created_at.astimezone(BEIJING).timetuple()[:6])
            archive.writestr(info, data)
            await response.send(sink.take())
    await response.send(sink.take())
    await response.eof()


@bp.get("/documents/<document_id:int>/download")
@portal_page
async def download(request: Request, document_id: int) -> HTTPResponse:
    document, recipients = await cases.document_of(request.ctx.phone_index, document_id)
    data = await asyncio.to_thread(request.app.ctx.storage.get, document.sha256)
    await _record(recipients, document.id, request)
    return raw(data, content_type="application/pdf",
               headers=document_headers(attachment(f"{safe_title(document.title)}.pdf", fallback="document.pdf")))

"""The console's page plumbing: its own cookie, CSRF, templates, and the login gate with roles.

The console session is an ``identity.sessions`` session of kind ``console`` under its own cookie
(``songda_console``; ``__Host-songda_console`` in production, see ``web.cookies``), so a clerk who
is also a litigant keeps the two apart. CSRF (``web.csrf``): the token of the session id (forms
after login) or of a pre-login nonce cookie (the login form), with the console's own purposes.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from functools import wraps
from pathlib import Path

from sanic import Request
from sanic.response import HTTPResponse, redirect

from core.errors import AppError, Forbidden
from core.settings import Settings
from court.console.models import StaffAccount
from court.console.staff import may
from identity.models import SessionKind
from identity.sessions import load_session, revoke_session
from web.cookies import read_cookie
from web.csrf import CSRF_FIELD, check_form
from web.csrf import csrf_token as _token
from web.requests import client_address, limit_backend, request_meta
from web.templating import Templates

SESSION_COOKIE = "console"        # songda_console
PRE_COOKIE = "console_pre"        # songda_console_pre: the login form's nonce
SESSION_PURPOSE = "console-csrf"
LOGIN_PURPOSE = "console-login-csrf"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)  # a working day

templates = Templates(Path(__file__).parent / "templates", time_format="%Y-%m-%d %H:%M")
render = templates.render


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def csrf_token(settings: Settings, sid: str) -> str:
    return _token(settings.secret_key, SESSION_PURPOSE, sid)


def login_token(settings: Settings, nonce: str) -> str:
    return _token(settings.secret_key, LOGIN_PURPOSE, nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request) -> None:
    nonce = read_cookie(request, request.app.ctx.settings, PRE_COOKIE)
    check_form(request, LOGIN_PURPOSE, nonce, message="页面已过期或请求无效，请刷新登录页后重试")


address, meta, limits = client_address, request_meta, limit_backend


def staff_page(action: str = "view"):
    """Logged-in staff only (else the login page); POSTs need the session's CSRF token; the
    role must allow ``action`` (else 403)."""
    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: Request, **kwargs) -> HTTPResponse:
            settings = request.app.ctx.settings
            sid = read_cookie(request, settings, SESSION_COOKIE)
            session = await load_session(sid, now=utcnow(), idle=IDLE)
            if session is None or session.kind is not SessionKind.CONSOLE:
                if request.method == "POST":
                    raise Forbidden("请先登录", code="csrf_failed")
                return redirect("/console/login", status=303)
            if request.method == "POST":
                check_form(request, SESSION_PURPOSE, sid)
            staff = await StaffAccount.get_or_none(id=session.data.get("staff_id"), disabled_at__isnull=True)
            if staff is None:  # disabled since the login: the session ends here
                await revoke_session(sid, now=utcnow())
                return redirect("/console/login", status=303)
            if not may(staff.role, action):
                raise Forbidden("您的角色无权进行此操作", code="role_forbidden")
            request.ctx.staff, request.ctx.console_sid = staff, sid
            return await handler(request, **kwargs)
        return wrapper
    return decorate


def error_text(exc: AppError) -> str:
    """A refusal as one Chinese line for a page: the message, then what each detail says (at most
    ten; field names are for API clients, not for staff)."""
    details = [d for d in exc.details if isinstance(d, dict)][:10] if isinstance(exc.details, list) else []
    return exc.message + ("：" + "；".join(d.get("message", "") for d in details) if details else "")


def page_context(request: Request) -> dict:
    staff = request.ctx.staff
    return {"staff": staff, "csrf": csrf_token(request.app.ctx.settings, request.ctx.console_sid),
            "csrf_field": CSRF_FIELD, "can": lambda action: may(staff.role, action)}

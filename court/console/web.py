"""The console's page plumbing: its own cookie, CSRF, templates, and the login gate with roles.

The console session is an ``identity.sessions`` session of kind ``console`` under its own cookie
(``songda_console``; ``__Host-songda_console`` in production), so a clerk who is also a litigant
keeps the two apart. CSRF: HMAC of the session id (forms after login) or of a pre-login nonce
cookie (the login form), the same double-submit scheme as the portal, with its own labels.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from functools import wraps
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request
from sanic.response import HTTPResponse, html, redirect

from core.errors import Forbidden
from web.requests import client_address, limit_backend, request_meta
from app.settings import Settings
from court.console.models import StaffAccount
from court.console.staff import may
from identity.models import SessionKind
from identity.sessions import cookie_settings, load_session, revoke_session
from web.templating import Templates

BEIJING = timezone(timedelta(hours=8))
CSRF_FIELD = "csrf_token"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)  # a working day

templates = Templates(Path(__file__).parent / "templates", time_format="%Y-%m-%d %H:%M")
render = templates.render


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def cookie(settings: Settings, suffix: str = "console") -> dict:
    options = cookie_settings(settings)
    options["key"] = options["key"].replace("songda_sid", f"songda_{suffix}")
    return options


def _hmac(settings: Settings, label: str, value: str) -> str:
    key = settings.secret_key.get_secret_value().encode("utf-8")
    return hmac.new(key, f"{label}|{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(settings: Settings, sid: str) -> str:
    return _hmac(settings, "console-csrf", sid)


def login_token(settings: Settings, nonce: str) -> str:
    return _hmac(settings, "console-login-csrf", nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request) -> None:
    settings = request.app.ctx.settings
    nonce = request.cookies.get(cookie(settings, "console_pre")["key"]) or ""
    sent = (request.form or {}).get(CSRF_FIELD) or ""
    if not nonce or not sent or not hmac.compare_digest(sent, login_token(settings, nonce)):
        raise Forbidden("页面已过期或请求无效，请刷新登录页后重试", code="csrf_failed")


address, meta, limits = client_address, request_meta, limit_backend


def staff_page(action: str = "view"):
    """Logged-in staff only (else the login page); POSTs need the session's CSRF token; the
    role must allow ``action`` (else 403)."""
    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: Request, **kwargs) -> HTTPResponse:
            settings = request.app.ctx.settings
            sid = request.cookies.get(cookie(settings)["key"])
            session = await load_session(sid, now=utcnow(), idle=IDLE)
            if session is None or session.kind is not SessionKind.CONSOLE:
                if request.method == "POST":
                    raise Forbidden("请先登录", code="csrf_failed")
                return redirect("/console/login", status=303)
            if request.method == "POST":
                sent = (request.form or {}).get(CSRF_FIELD) or ""
                if not sent or not hmac.compare_digest(sent, csrf_token(settings, sid)):
                    raise Forbidden("页面已过期或请求无效，请返回上一页刷新后重试", code="csrf_failed")
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


def page_context(request: Request) -> dict:
    staff = request.ctx.staff
    return {"staff": staff, "csrf": csrf_token(request.app.ctx.settings, request.ctx.console_sid),
            "csrf_field": CSRF_FIELD, "can": lambda action: may(staff.role, action)}

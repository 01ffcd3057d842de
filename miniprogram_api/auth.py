"""The mini-program's bearer token: a server-side session (SessionKind.MINIPROGRAM).

The token is ``identity.sessions``' 256-bit random id; the table holds its SHA-256. The
mini-program keeps it in storage and sends ``Authorization: Bearer <token>``; cookies play no
part, so there is no CSRF surface.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from functools import wraps

from sanic import Request

from core.errors import AppError, Unauthorized
from identity.models import Session, SessionKind
from identity.sessions import load_session
from web.requests import client_address, limit_backend, request_meta

security_log = logging.getLogger("songda.security")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def idle(settings) -> timedelta:
    return timedelta(minutes=settings.mp_token_idle_minutes)


def absolute(settings) -> timedelta:
    return timedelta(hours=settings.mp_token_absolute_hours)


# Re-exported under the names the mini-program modules use.
address, limits, request_meta = client_address, limit_backend, request_meta


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_session(request: Request) -> Session:
    token = bearer(request)
    session = await load_session(token, now=utcnow(), idle=idle(request.app.ctx.settings)) \
        if token and len(token) <= 128 else None
    if session is None or session.kind is not SessionKind.MINIPROGRAM:
        if token:
            security_log.warning("mp token refused: path=%s", request.path)
        raise Unauthorized("登录已失效，请重新登录", code="token_invalid")
    return session


def mp_api(*, verified: bool = False):
    """Load the session into ``request.ctx.mp``; ``verified`` routes need the finished identity check."""
    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            session = await current_session(request)
            if verified and not session.data.get("verified"):
                raise AppError("请先完成身份核验", code="verification_required", status=403)
            request.ctx.mp = session
            return await handler(request, *args, **kwargs)
        return wrapper
    return decorate

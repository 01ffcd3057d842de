"""CSRF tokens (跨站请求伪造防护): one HMAC scheme for every form on every surface.

A token is ``HMAC-SHA256(secret, purpose + "|" + value)`` in hex. ``value`` is what the browser
must already hold in a cookie: the session id for forms after login, or a random pre-login nonce
(signed double submit) for a login form. A cross-site page can neither read the cookie nor forge
the HMAC, and nothing is stored. ``purpose`` keeps the tokens of two forms apart (a portal token
is worthless on the console, a login token worthless after login).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import Forbidden

if TYPE_CHECKING:
    from sanic import Request

__all__ = ["CSRF_FIELD", "EXPIRED", "check_form", "check_token", "csrf_token", "form_token", "tokens_match"]


class _Secret(Protocol):  # pydantic's SecretStr, as ``settings.secret_key``
    def get_secret_value(self) -> str: ...


Secret = str | bytes | _Secret

CSRF_FIELD = "csrf_token"
EXPIRED = "页面已过期或请求无效，请返回上一页刷新后重试"


def csrf_token(secret: Secret, purpose: str, value: str) -> str:
    """The token for ``value`` (a session id or nonce) under ``purpose``."""
    if hasattr(secret, "get_secret_value"):
        secret = secret.get_secret_value()
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def tokens_match(sent: str | None, secret: Secret, purpose: str, value: str | None) -> bool:
    """True only when both are present and ``sent`` is the token for ``value``; constant-time."""
    if not sent or not value:
        return False
    # bytes, so a non-ASCII forgery is a mismatch, not a TypeError
    return hmac.compare_digest(sent.encode("utf-8"), csrf_token(secret, purpose, value).encode("ascii"))


def check_token(sent: str | None, secret: Secret, purpose: str, value: str | None, *,
                message: str = EXPIRED) -> None:
    """Raise 403 ``csrf_failed`` (with ``message``, for the page) unless ``sent`` matches."""
    if not tokens_match(sent, secret, purpose, value):
        raise Forbidden(message, code="csrf_failed")


def form_token(form: Mapping[str, Any] | None, field: str = CSRF_FIELD) -> str:
    """The token a form posted (sanic's form holds lists; ``get`` gives the first)."""
    return (form or {}).get(field) or ""


def check_form(request: Request, purpose: str, value: str | None, *, field: str = CSRF_FIELD,
               message: str = EXPIRED) -> None:
    """Check the token a form posted in ``field`` against ``value`` (the cookie it is bound to),
    keyed with the app's ``secret_key``."""
    check_token(form_token(request.form, field), request.app.ctx.settings.secret_key, purpose, value,
                message=message)

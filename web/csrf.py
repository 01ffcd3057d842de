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
from typing import Any

from core.errors import Forbidden

__all__ = ["CSRF_FIELD", "EXPIRED", "check_token", "csrf_token", "form_token", "tokens_match"]

CSRF_FIELD = "csrf_token"
EXPIRED = "页面已过期或请求无效，请返回上一页刷新后重试"


def csrf_token(secret: str | bytes, purpose: str, value: str) -> str:
    """The token for ``value`` (a session id or nonce) under ``purpose``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, f"{purpose}|{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def tokens_match(sent: str | None, secret: str | bytes, purpose: str, value: str | None) -> bool:
    """True only when both are present and ``sent`` is the token for ``value``; constant-time."""
    if not sent or not value:
        return False
    return hmac.compare_digest(sent, csrf_token(secret, purpose, value))


def check_token(sent: str | None, secret: str | bytes, purpose: str, value: str | None, *,
                message: str = EXPIRED) -> None:
    """Raise 403 ``csrf_failed`` (with ``message``, for the page) unless ``sent`` matches."""
    if not tokens_match(sent, secret, purpose, value):
        raise Forbidden(message, code="csrf_failed")


def form_token(form: Mapping[str, Any] | None, field: str = CSRF_FIELD) -> str:
    """The token a form posted (sanic's form holds lists; ``get`` gives the first)."""
    return (form or {}).get(field) or ""

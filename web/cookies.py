"""Cookies (会话 Cookie): names and attributes of every cookie a surface sets.

The cookie holds an opaque value (a session id or a pre-login nonce); the server enforces idle
and absolute expiry, so no Max-Age: the cookie ends with the browser. Production uses the
``__Host-`` prefix, which browsers accept only with Secure and Path=/ and no Domain; dev drops
Secure so the cookie works over http://127.0.0.1. Each surface has its own names, so a clerk who
is also a litigant keeps the two sessions apart:

========================  =======================  ==============================
cookie                    dev name                 holds
========================  =======================  ==============================
portal session            ``songda_sid``           session id (link or portal)
portal login nonce        ``songda_pre``           pre-login CSRF nonce
console session           ``songda_console``       session id (kind console)
console login nonce       ``songda_console_pre``   pre-login CSRF nonce
========================  =======================  ==============================
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.settings import Mode

if TYPE_CHECKING:
    from sanic import Request
    from sanic.response import HTTPResponse

    from core.settings import Settings

__all__ = ["SESSION", "clear_cookie", "cookie_name", "cookie_settings", "read_cookie", "set_cookie"]

SESSION = "sid"
PREFIX = "songda_"
HOST_PREFIX = "__Host-"  # Secure, Path=/, no Domain, by the browser's rules


def cookie_name(settings: Settings, name: str = SESSION) -> str:
    production = settings.mode is Mode.PRODUCTION
    return f"{HOST_PREFIX if production else ''}{PREFIX}{name}"


def cookie_settings(settings: Settings, name: str = SESSION) -> dict[str, Any]:
    """Keyword arguments for sanic's ``response.add_cookie(value=..., **cookie_settings(s))``;
    ``key`` is the cookie's name."""
    return {
        "key": cookie_name(settings, name),
        "path": "/",
        "secure": settings.mode is Mode.PRODUCTION,
        "httponly": True,
        "samesite": "Lax",
    }


def read_cookie(request: Request, settings: Settings, name: str = SESSION) -> str | None:
    return request.cookies.get(cookie_name(settings, name))


def set_cookie(response: HTTPResponse, settings: Settings, value: str, name: str = SESSION) -> HTTPResponse:
    response.add_cookie(value=value, **cookie_settings(settings, name))
    return response


def clear_cookie(response: HTTPResponse, settings: Settings, name: str = SESSION) -> HTTPResponse:
    """Expire the cookie now (same name, path and flags, or the browser keeps the old one)."""
    response.add_cookie(value="", max_age=0, **cookie_settings(settings, name))
    return response

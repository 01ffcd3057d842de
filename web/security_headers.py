"""Security headers on every response (OWASP Secure Headers), installed once by the app factory.

Court pages carry personal data: nothing is cached, indexed, framed or sniffed. API responses
(JSON) get no CSP or frame rule (no browser renders them); static files keep their caching.
A handler that sets one of these headers itself keeps its own value.
"""
from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from sanic import Request, Sanic
from sanic.response import HTTPResponse

__all__ = ["PAGE_CSP", "add_security_headers", "install_security_headers", "security_headers"]

# Pages load nothing from anywhere else: no CDN, no third-party script or font.
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
STATIC_PREFIX = "/static/"


def security_headers(path: str, api_prefixes: Iterable[str]) -> dict[str, str]:
    """The headers a response to ``path`` should carry unless it set them itself."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "X-Robots-Tag": "noindex, nofollow"}
    if path.startswith(tuple(api_prefixes)):
        headers["Cache-Control"] = "no-store"
    elif not path.startswith(STATIC_PREFIX):
        headers.update({"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store",
                        "X-Frame-Options": "DENY"})
    return headers


def add_security_headers(headers: MutableMapping[str, str], path: str, api_prefixes: Iterable[str]) -> None:
    for name, value in security_headers(path, api_prefixes).items():
        headers.setdefault(name, value)


def install_security_headers(app: Sanic, api_prefixes: Iterable[str]) -> None:
    """Register the ``on_response`` hook; ``api_prefixes`` are the JSON surfaces' paths."""
    prefixes = tuple(api_prefixes)

    @app.on_response
    async def security_headers_hook(request: Request, response: HTTPResponse) -> None:
        add_security_headers(response.headers, request.path, prefixes)

"""Security headers on every response (OWASP Secure Headers), installed once by the app factory.

Court pages carry personal data: nothing is cached, indexed, framed or sniffed. API responses
(JSON) get no CSP or frame rule (no browser renders them); static files keep their caching.
A handler that sets one of these headers itself keeps its own value. In production every answer
also carries HSTS (RFC 6797): two years, subdomains included, so a browser that has seen the
court's site once never speaks plain HTTP to it again.
"""
from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from sanic import Request, Sanic
from sanic.response import HTTPResponse

__all__ = ["HSTS", "PAGE_CSP", "add_security_headers", "install_security_headers", "security_headers"]

# Pages load nothing from anywhere else: no CDN, no third-party script or font.
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
STATIC_PREFIX = "/static/"
HSTS = "max-age=63072000; includeSubDomains"  # two years (≥ one year, as HSTS preload asks)


def security_headers(path: str, api_prefixes: Iterable[str], *, hsts: bool = False) -> dict[str, str]:
    """The headers a response to ``path`` should carry unless it set them itself; ``hsts`` in
    production (dev serves plain HTTP on localhost, where HSTS would stick to the browser)."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
               "X-Robots-Tag": "noindex, nofollow"}
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    if path.startswith(tuple(api_prefixes)):
        headers["Cache-Control"] = "no-store"
    elif not path.startswith(STATIC_PREFIX):
        headers.update({"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store",
                        "X-Frame-Options": "DENY"})
    return headers


def add_security_headers(headers: MutableMapping[str, str], path: str, api_prefixes: Iterable[str], *,
                         hsts: bool = False) -> None:
    for name, value in security_headers(path, api_prefixes, hsts=hsts).items():
        headers.setdefault(name, value)


def install_security_headers(app: Sanic, api_prefixes: Iterable[str], *, hsts: bool = False) -> None:
    """Register the ``on_response`` hook; ``api_prefixes`` are the JSON surfaces' paths; ``hsts``
    when the settings' mode is production."""
    prefixes = tuple(api_prefixes)

    @app.on_response
    async def security_headers_hook(request: Request, response: HTTPResponse) -> None:
        add_security_headers(response.headers, request.path, prefixes, hsts=hsts)

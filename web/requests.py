"""Request helpers every surface shares: the client's address (X-Forwarded-For only from our own
proxies), the metadata stored with events, and the app's one limit backend."""
from __future__ import annotations

from sanic import Request

from audit.events import RequestMeta
from identity.limits import LimitBackend, build_limit_backend
from web.client_address import client_ip


def client_address(request: Request) -> str:
    return client_ip(request.ip or "", request.headers.get("x-forwarded-for"),
                     request.app.ctx.settings.trusted_proxies)


def request_meta(request: Request) -> RequestMeta:
    return RequestMeta(ip=client_address(request)[:64], user_agent=request.headers.get("user-agent", "")[:500])


def limit_backend(request: Request) -> LimitBackend:
    return limit_backend_of(request.app.ctx)


def limit_backend_of(ctx) -> LimitBackend:
    """Built once, inside the worker's event loop (a Redis client holds a connection pool bound
    to it), then shared by every surface of the app."""
    backend = getattr(ctx, "limit_backend", None)
    if backend is None:
        backend = ctx.limit_backend = build_limit_backend(ctx.settings)
    return backend

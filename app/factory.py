"""``create_app()``: assemble surfaces, providers and error handling into one sanic app."""
from __future__ import annotations

import gc
import json as jsonlib
import logging
import traceback
from functools import partial
from itertools import count
from pathlib import Path
from urllib.parse import unquote

from sanic import Request, Sanic
from sanic import exceptions as sanic_exceptions
from sanic.response import HTTPResponse, json

from app.database import close_database, init_database
from app.logging_setup import configure_logging
from app.packages import job_registry, register_surfaces
from app.providers import providers
from app.settings import get_settings
from core.errors import AppError, NotFound
from core.settings import Mode, Settings
from jobs.consumer import consume
from web.requests import limit_backend_of
from web.security_headers import install_security_headers

log = logging.getLogger(__name__)
_names = count()
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
API_PREFIXES = ("/court/api/", "/mp/api/")
MAX_ROW_ID = 2**31 - 1




def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Sanic:
    """Build the app. Tests pass ``manage_database=False`` and own the connections themselves."""
    settings = settings or get_settings()
    settings.check_production()
    # Two Sanic apps may not share a name in one process (tests build many).
    app = Sanic(f"songda{next(_names) or ''}", dumps=partial(jsonlib.dumps, ensure_ascii=False))
    configure_logging()
    app.config.REQUEST_MAX_SIZE = settings.max_document_bytes + 1024 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    for name, provider in providers(settings).items():
        setattr(app.ctx, name, provider)
    # Each package registers itself: its background work and event listeners, its routes.
    app.ctx.jobs = job_registry()
    register_surfaces(app)
    # Court pages carry personal data: nothing here is for search engines.
    app.static("/robots.txt", STATIC_DIR / "robots.txt", name="robots")
    app.static("/static", STATIC_DIR, name="static")
    app.error_handler.add(Exception, _handle_error)

    @app.on_request
    async def ids_in_range(request: Request) -> None:
        # A control character names no page or file (and a NUL would reach the file system or
        # the database, which refuse it with an exception).
        if any(ord(c) < 32 or c == "\x7f" for c in unquote(request.path)):
            raise NotFound("页面不存在" if not request.path.startswith(API_PREFIXES) else "资源不存在")
        # Row ids are positive 32-bit integers (SERIAL): a path id outside that range names
        # nothing, and must not reach the database, where it would overflow the column type.
        for value in request.match_info.values():
            if isinstance(value, int) and not 0 < value <= MAX_ROW_ID:
                raise NotFound("页面不存在" if not request.path.startswith(API_PREFIXES) else "资源不存在")

    install_security_headers(app, API_PREFIXES, hsts=settings.mode is Mode.PRODUCTION)

    if manage_database:
        @app.before_server_start
        async def _open_db(app: Sanic) -> None:
            await init_database(settings)
            # Built here, in the worker's loop: built on first use it cost the first request the
            # import of redis (docs/PERFORMANCE.md).
            limit_backend_of(app.ctx)

        @app.after_server_start
        async def _start_background(app: Sanic) -> None:
            # What is loaded by now lives as long as the worker: frozen, the collector stops
            # re-scanning it in every full collection (docs/PERFORMANCE.md).
            gc.collect()
            gc.freeze()

            if settings.serve_background:
                app.add_task(consume(app.ctx.jobs, providers=app.ctx, settings=settings), name="background")

        @app.before_server_stop
        async def _stop_background(app: Sanic) -> None:
            await app.cancel_task("background", raise_exception=False)

        @app.after_server_stop
        async def _close_db(app: Sanic) -> None:
            await app.ctx.webhook_http.aclose()
            await close_database()

    return app


_SANIC_CODES = {
    404: ("not_found", "接口不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求体超过大小上限"),
    400: ("bad_request", "请求格式有误（如 JSON 无法解析）"),
    408: ("request_timeout", "请求超时"),
    416: ("range_not_satisfiable", "请求的范围无效"),
}


def _as_app_error(exc: Exception) -> AppError:
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, sanic_exceptions.SanicException) and exc.status_code < 500:
        code, message = _SANIC_CODES.get(exc.status_code, ("bad_request", "请求有误"))
        return AppError(message, code=code, status=exc.status_code)
    log.error("unhandled %s: %s", type(exc).__name__, "".join(traceback.format_exception(exc)))
    return AppError("服务器内部错误，请稍后重试", code="internal_error", status=500)


def _headers(exc: Exception, error: AppError) -> dict[str, str]:
    """``Retry-After`` on a 429; sanic's own headers on its errors (``Allow`` on a 405)."""
    headers = dict(error.headers())
    if isinstance(exc, sanic_exceptions.SanicException) and exc.status_code < 500:
        headers.update({k: str(v) for k, v in (exc.headers or {}).items()})
    return headers


async def _handle_error(request: Request, exc: Exception) -> HTTPResponse:
    error = _as_app_error(exc)
    headers = _headers(exc, error)
    if request.path.startswith(API_PREFIXES) or "json" in request.headers.get("accept", ""):
        return json(error.to_dict(), status=error.status, headers=headers)
    from portal import render

    titles = {404: "页面不存在", 410: "链接已失效", 429: "操作过于频繁"}
    message = "您访问的页面不存在，请检查网址" if error.code == "not_found" else error.message
    response = render("error.html", status=error.status, title=titles.get(error.status, "出错了"),
                      message=message, phone=None)
    response.headers.update(headers)
    return response

"""``create_app()``: assemble surfaces, providers and error handling into one sanic app."""
from __future__ import annotations

import gc
import json as jsonlib
import logging
import sys
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
from core.database_client import database_wait
from core.errors import AppError, NotFound
from core.outages import RETRY_AFTER_SECONDS, outages
from core.settings import Mode, Settings
from jobs.consumer import consume
from web.admission import install_admission
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
    app.config.REQUEST_MAX_SIZE = max(settings.max_document_bytes, settings.max_evidence_bytes) + 1024 * 1024
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
    app.static("/favicon.ico", STATIC_DIR / "favicon.svg", name="favicon", content_type="image/svg+xml")
    app.error_handler.add(Exception, _handle_error)
    app.ctx.admission = install_admission(app, settings.admission_max_in_flight, settings.admission_retry_after,
                                          max_wait=settings.admission_max_wait_ms / 1000,
                                          queueing_delay=database_wait)
    logging.getLogger("asyncpg.pool").addFilter(_pool_retry_as_outage)

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

    @app.on_response
    async def outage_over(request: Request, response: HTTPResponse) -> None:
        # Nothing to do unless a database outage is on record. Then the first request that did
        # not fail asks PostgreSQL itself, so "recovered" is logged when it is (core/outages.py).
        # Redis's recovery is noticed by the limit backend's next successful call.
        if response.status != 503 and outages.is_down("database"):
            await _probe_database()

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


def _pool_retry_as_outage(record: logging.LogRecord) -> bool:
    """asyncpg's pool logs a traceback each time it fails to reconnect in the background: while
    PostgreSQL is away that is the outage, logged once (core/outages.py), not a traceback a second."""
    if record.exc_info and "pool connection floor" in record.getMessage():
        outages.down("database", record.exc_info[1] or ConnectionError())
        return False
    return True


async def _probe_database() -> None:
    import asyncio

    from tortoise import connections

    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout=2)
    except Exception:  # still down: the next request asks again
        return
    outages.up("database")


# Exceptions by which a dependency says it cannot be reached right now (not: it refused the query).
# A plain OSError counts only when raised inside that dependency's driver (classified by its
# traceback): a missing file or a full disk of our own is no outage.
_DRIVER_DIRS = {"database": ("/asyncpg/", "/tortoise/"), "redis": ("/redis/",)}


def _outage_dependency(exc: BaseException) -> str | None:
    """"database" or "redis" when ``exc`` (or what it was raised from) is one of them being
    unreachable, else None."""
    seen = 0
    while exc is not None and seen < 5:
        name = _dependency_down(exc)
        if name:
            return name
        exc, seen = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__), seen + 1
    return None


def _dependency_down(exc: BaseException) -> str | None:
    redis_exceptions = sys.modules.get("redis.exceptions")  # loaded only if Redis is in use
    if redis_exceptions and isinstance(exc, (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError)):
        return "redis"
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
        if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError,
                            asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError)):
            return "database"
        if isinstance(exc, asyncpg.InterfaceError) and ("closed" in str(exc) or "closing" in str(exc)):
            return "database"
    from tortoise.exceptions import DBConnectionError

    if isinstance(exc, DBConnectionError):
        return "database"
    if isinstance(exc, OSError):  # refused, reset, timed out, no such socket, name not resolved
        frames = [frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__)]
        for name, dirs in _DRIVER_DIRS.items():
            if any(part in filename for filename in frames for part in dirs):
                return name
    return None


def _as_app_error(exc: Exception) -> AppError:
    if isinstance(exc, AppError):
        return exc
    dependency = _outage_dependency(exc)
    if dependency is not None:
        outages.down(dependency, exc)  # one log line per outage, not a traceback per request
        return AppError("服务暂时不可用，请稍后再试", code="service_unavailable", status=503)
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
        response = json(error.to_dict(), status=error.status, headers=headers)
    else:
        from portal import render

        titles = {404: "页面不存在", 410: "链接已失效", 429: "操作过于频繁", 503: "服务暂时不可用"}
        message = "您访问的页面不存在，请检查网址" if error.code == "not_found" else error.message
        response = render("error.html", status=error.status, title=titles.get(error.status, "出错了"),
                          message=message, phone=None)
        response.headers.update(headers)
    if error.status == 503 and "retry-after" not in response.headers:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

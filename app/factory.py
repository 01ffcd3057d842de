"""``create_app()``: assemble surfaces, providers and error handling into one sanic app."""
from __future__ import annotations

import json as jsonlib
import logging
import traceback
from functools import partial
from pathlib import Path
from html import escape
from itertools import count

from sanic import Request, Sanic
from sanic import exceptions as sanic_exceptions
from sanic.response import HTTPResponse, html, json

from app.database import close_database, init_database
from app.errors import AppError
from app.logging_setup import configure_logging
from app.settings import Settings, get_settings
from documents.storage import LocalStorage

log = logging.getLogger(__name__)
_names = count()
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
API_PREFIXES = ("/court/api/", "/mp/api/")


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
    app.ctx.storage = LocalStorage(settings.files_dir)

    from court.api.routes import bp as court_api

    app.blueprint(court_api)
    # Court pages carry personal data: nothing here is for search engines.
    app.static("/robots.txt", STATIC_DIR / "robots.txt", name="robots")
    app.static("/static", STATIC_DIR, name="static")
    app.error_handler.add(Exception, _handle_error)

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith(API_PREFIXES):
            response.headers.setdefault("Cache-Control", "no-store")

    if manage_database:
        @app.before_server_start
        async def _open_db(app: Sanic) -> None:
            await init_database(settings)

        @app.after_server_stop
        async def _close_db(app: Sanic) -> None:
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


async def _handle_error(request: Request, exc: Exception) -> HTTPResponse:
    error = _as_app_error(exc)
    if request.path.startswith(API_PREFIXES) or "json" in request.headers.get("accept", ""):
        return json(error.to_dict(), status=error.status)
    return html(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>出错了</title>"
        f"<h1>出错了</h1><p>{escape(error.message)}</p>",
        status=error.status,
    )

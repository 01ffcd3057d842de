"""Tortoise configuration, start-up and shutdown. One app label, ``songda``, one migration stream."""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url

from core.settings import ConfigurationError, Settings

MODEL_MODULES = ["identity.models", "identity.mp_models", "service.models", "documents.models", "audit.models",
                 "jobs.models", "court.models",
                 "court.console.models", "centre.models", "mail.models", "phone.models",
                 "inperson.models", "addresses.models", "announcement.models", "entrusted.models",
                 "centre.statistics_models"]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    if not settings.database_url:
        # The CLI fills it in (app/embedded_postgres.py); code that builds Settings itself must too.
        raise ConfigurationError("SONGDA_DATABASE_URL 未设置 (no database URL)")
    url = settings.database_url
    connection: Any = expand_db_url(url if "maxsize" in url else _with_pool(url, settings.database_pool_max))
    # asyncpg's client with first-come, first-served connection waits (core/database_client.py).
    connection["engine"] = "core.database_client"
    credentials = connection["credentials"]
    credentials["reset"] = _keep_session
    # A Unix socket directory, percent-encoded as the host (postgres://user@%2Fvar%2Frun%2Fpostgresql/db),
    # as libpq spells it: PostgreSQL on the same host without TCP's cost per round trip.
    if unquote(credentials.get("host") or "").startswith("/"):
        credentials["host"] = unquote(credentials["host"])
    return {
        "connections": {"default": connection},
        "apps": {
            "songda": {
                "models": MODEL_MODULES,
                "migrations": "app.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session(connection) -> None:
    """Pool release without asyncpg's default ``RESET ALL; UNLISTEN *; CLOSE ALL; …`` round trip.

    asyncpg still rolls back an open transaction on release (``Connection._reset``); the rest
    undoes session state we never create (no SET, LISTEN, cursors or session advisory locks), and
    cost one round trip per query outside a transaction (measured: docs/PERFORMANCE.md).
    """


def _with_pool(url: str, maxsize: int) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}minsize=1&maxsize={maxsize}"


async def init_database(settings: Settings) -> None:
    # Global fallback: sanic runs listeners and requests in different tasks, so a
    # task-local context set at start-up would not be seen by the handlers.
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


_migrating: ContextVar[Settings | None] = ContextVar("migrating_settings", default=None)


def migration_settings() -> Settings:
    """The settings the running migration was started with: a data migration that encrypts
    (0015) needs the PII keys of the database it writes, not whatever the process would read."""
    settings = _migrating.get()
    if settings is None:
        from app.settings import get_settings
        return get_settings()
    return settings


async def migrate_database(settings: Settings) -> None:
    """Apply every pending migration (``python -m app migrate``)."""
    from tortoise.migrations.api import migrate

    token = _migrating.set(settings)
    try:
        await migrate(config=tortoise_config(settings))
    finally:
        _migrating.reset(token)
        await Tortoise.close_connections()

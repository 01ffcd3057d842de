"""Shared fixtures. Database tests run on PostgreSQL, one database per test process."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import httpx
import pytest
from sanic import Sanic
from tortoise import Tortoise, connections

from app.database import close_database, init_database, migrate_database
from app.factory import create_app
from app.packages import job_registry
from core.settings import Settings
from tests.paths import PDFS

# Event listeners (webhooks, subscribe messages) are process-wide: registered here too, for the
# tests that record events without building an app.
job_registry()

# The machine's PostgreSQL when it answers, else an embedded one (app/embedded_postgres.py).
PG_ADMIN_DSN = os.environ.get("SONGDA_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
# One database per test process, so parallel runs (developers, helpers, CI) never share one.
PG_TEST_DB = f"songda_test_{os.getpid()}"


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


def _pg_url(admin_dsn: str, dbname: str) -> str:
    base, _, query = admin_dsn.partition("?")
    return base.rsplit("/", 1)[0] + "/" + dbname + (f"?{query}" if query else "")


async def _answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@pytest.fixture(scope="session")
def pg_admin_dsn(tmp_path_factory) -> str:
    """An administrative connection: the machine's PostgreSQL, or an embedded one for this run."""
    if asyncio.run(_answers(PG_ADMIN_DSN)):
        yield PG_ADMIN_DSN
        return
    from app import embedded_postgres

    server = embedded_postgres.start(tmp_path_factory.mktemp("embedded-pg"), database="postgres")
    yield embedded_postgres.url_of(server, "postgres")
    server.cleanup()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory, pg_admin_dsn):
    async def recreate() -> None:
        conn = await asyncpg.connect(pg_admin_dsn)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
            # From template0: copying template1 fails while another session (a second suite
            # creating its own database) is connected to it.
            await conn.execute(f"CREATE DATABASE {PG_TEST_DB} TEMPLATE template0 ENCODING 'UTF8'")
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(pg_admin_dsn)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
        finally:
            await conn.close()

    asyncio.run(recreate())
    url = _pg_url(pg_admin_dsn, PG_TEST_DB)
    asyncio.run(migrate_database(make_settings(tmp_path_factory.mktemp("pg"), database_url=url)))
    yield url
    asyncio.run(drop())


async def _truncate() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["songda"].values()]
    await conn.execute_script(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(tmp_path, postgres_url) -> Settings:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    settings = make_settings(data_dir, database_url=postgres_url)
    await init_database(settings)
    await _truncate()
    yield settings
    await close_database()


@pytest.fixture
async def app(db):
    Sanic.test_mode = True  # lets sanic start many apps in one process
    app = create_app(db, manage_database=False)
    app.asgi = True
    await app._startup()
    return app


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                                 base_url="http://testserver") as client:
        yield client


@pytest.fixture
def pdf_bytes() -> bytes:
    return (PDFS / "summons.pdf").read_bytes()

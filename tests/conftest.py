"""Shared fixtures. Every database test runs twice: on SQLite and on PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import asyncpg
import httpx
import pytest
from sanic import Sanic
from tortoise import Tortoise, connections

from app.database import close_database, init_database, migrate_database
from app.factory import create_app
from app.settings import Settings

PG_ADMIN_DSN = os.environ.get("SONGDA_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
# One database per test process, so parallel runs (developers, helpers) never share one.
PG_TEST_DB = f"songda_test_{os.getpid()}"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
if not FIXTURES.exists():  # CI lays shared/ beside the clone
    FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrate once; each test copies the file (cheaper than migrating per test)."""
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    asyncio.run(migrate_database(make_settings(data_dir)))
    return data_dir / "songda.sqlite3"


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    async def recreate() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {PG_TEST_DB}")
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
        finally:
            await conn.close()

    asyncio.run(recreate())
    url = _pg_url(PG_TEST_DB)
    asyncio.run(migrate_database(make_settings(tmp_path_factory.mktemp("pg"), database_url=url)))
    yield url
    asyncio.run(drop())


async def _truncate_postgres() -> None:
    conn = connections.get("postgres")
    tables = [m._meta.db_table for m in Tortoise.apps["songda"].values()]
    await conn.execute_script(
        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path, sqlite_template, postgres_url) -> Settings:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    if request.param == "sqlite":
        shutil.copy(sqlite_template, data_dir / "songda.sqlite3")
        settings = make_settings(data_dir)
    else:
        settings = make_settings(data_dir, database_url=postgres_url)
    await init_database(settings)
    if request.param == "postgres":
        await _truncate_postgres()
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
    return (FIXTURES / "pdfs" / "summons.pdf").read_bytes()

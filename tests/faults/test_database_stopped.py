"""PostgreSQL stopped and restarted (a throwaway embedded instance, never the machine's shared
server): 503 with Retry-After and one log line per outage state change, not a 500 and a traceback
per request; the service recovers by itself and nothing signed before the outage is lost."""
from __future__ import annotations

import logging

import pytest

from app import embedded_postgres
from app.database import close_database, init_database, migrate_database
from core.outages import outages
from tests.conftest import make_settings
from tests.factories import make_signed_delivery
from tests.faults.clients import (
    app_client,
    assert_unavailable_api,
    assert_unavailable_page,
    outage_lines,
    unhandled,
)
from tests.faults.invariants import assert_nothing_lost


@pytest.fixture(autouse=True)
def no_outage_on_record():
    outages._since.clear()
    yield
    outages._since.clear()


async def test_with_the_database_stopped_answers_503_then_recovers(tmp_path, caplog):
    server = embedded_postgres.start(tmp_path / "pg")
    try:
        url = embedded_postgres.url_of(server)
        settings = make_settings(tmp_path, database_url=url)
        await migrate_database(settings)
        await init_database(settings)
        await make_signed_delivery(settings, documents=1)  # signed before the outage
        async with await app_client(settings) as http:
            bearer = {"authorization": "Bearer sdk_" + "x" * 40}
            assert (await http.get("/s/" + "A" * 22)).status_code == 404
            assert (await http.get("/court/api/v1/services", headers=bearer)).status_code == 401

            caplog.set_level(logging.INFO)
            server.cleanup()  # the last holder: PostgreSQL stops
            for _ in range(3):
                assert_unavailable_page(await http.get("/s/" + "A" * 22))
                assert_unavailable_api(await http.get("/court/api/v1/services", headers=bearer))
            assert [line.split(":")[0] for line in outage_lines(caplog)] == ["database unavailable"]

            server = embedded_postgres.start(tmp_path / "pg")
            assert embedded_postgres.url_of(server) == url
            assert (await http.get("/s/" + "A" * 22)).status_code == 404
            assert (await http.get("/court/api/v1/services", headers=bearer)).status_code == 401
        lines = outage_lines(caplog)
        assert len(lines) == 2 and "database recovered" in lines[1], lines
        assert unhandled(caplog) == []
        await assert_nothing_lost(settings, signatures=1)
    finally:
        await close_database()
        server.cleanup()

"""PostgreSQL or Redis away: 503 with Retry-After and one log line per outage, not a 500 and a
traceback per request; with Redis away, short links still open (their limit counted in-process)
while code sending stays closed."""
from __future__ import annotations

import logging

import httpx
import pytest
from sanic import Sanic

from app import embedded_postgres
from app.database import close_database, init_database, migrate_database
from app.factory import create_app
from core.outages import outages
from tests.conftest import make_settings
from tests.portal.test_link_flow import _link, _open
from tests.servers import free_port


@pytest.fixture(autouse=True)
def no_outage_on_record():
    outages._since.clear()
    yield
    outages._since.clear()


async def _client(settings):
    Sanic.test_mode = True
    app = create_app(settings, manage_database=False)
    app.asgi = True
    await app._startup()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                             base_url="http://testserver")


def _outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "songda.outages"]


def _unhandled(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "unhandled" in r.getMessage() or r.exc_info]


async def test_with_redis_away_links_open_and_code_sending_answers_503(db, caplog):
    caplog.set_level(logging.INFO)
    settings = db.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    _, delivery, _, token = await _link(db)
    async with await _client(settings) as http:
        csrf = await _open(http, token, delivery.id)  # /s/<token> → 303 → the landing page (200)
        for _ in range(3):
            sent = await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf})
            assert sent.status_code == 503, sent.text
            assert sent.headers["retry-after"].isdigit() and "服务暂时不可用" in sent.text
        api = await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf},
                              headers={"accept": "application/json"})
        assert api.status_code == 503 and api.json()["error"]["code"] == "service_unavailable"
    assert not (db.data_dir / "dev-sms.jsonl").exists()  # no code was texted
    assert len(_outage_lines(caplog)) == 1 and "redis unavailable" in _outage_lines(caplog)[0]
    assert _unhandled(caplog) == []


async def test_with_the_database_stopped_answers_503_then_recovers(tmp_path, caplog):
    server = embedded_postgres.start(tmp_path / "pg")
    try:
        url = embedded_postgres.url_of(server)
        settings = make_settings(tmp_path, database_url=url)
        await migrate_database(settings)
        await init_database(settings)
        async with await _client(settings) as http:
            bearer = {"authorization": "Bearer sdk_" + "x" * 40}
            assert (await http.get("/s/" + "A" * 22)).status_code == 404
            assert (await http.get("/court/api/v1/services", headers=bearer)).status_code == 401

            caplog.set_level(logging.INFO)
            server.cleanup()  # the last holder: PostgreSQL stops
            for _ in range(3):
                page = await http.get("/s/" + "A" * 22)
                assert page.status_code == 503, page.text
                assert page.headers["retry-after"].isdigit() and "服务暂时不可用" in page.text
                api = await http.get("/court/api/v1/services", headers=bearer)
                assert api.status_code == 503, api.text
                assert api.json()["error"]["code"] == "service_unavailable" and api.headers["retry-after"]
            assert [line.split(":")[0] for line in _outage_lines(caplog)] == ["database unavailable"]

            server = embedded_postgres.start(tmp_path / "pg")
            assert embedded_postgres.url_of(server) == url
            assert (await http.get("/s/" + "A" * 22)).status_code == 404
            assert (await http.get("/court/api/v1/services", headers=bearer)).status_code == 401
        lines = _outage_lines(caplog)
        assert len(lines) == 2 and "database recovered" in lines[1], lines
        assert _unhandled(caplog) == []
    finally:
        await close_database()
        server.cleanup()

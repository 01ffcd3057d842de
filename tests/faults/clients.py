"""An in-process client of a fresh app, and what the outage log said."""
from __future__ import annotations

import httpx
from sanic import Sanic

from app.factory import create_app


async def app_client(settings) -> httpx.AsyncClient:
    Sanic.test_mode = True
    app = create_app(settings, manage_database=False)
    app.asgi = True
    await app._startup()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                             base_url="http://testserver")


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "songda.outages"]


def unhandled(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "unhandled" in r.getMessage() or r.exc_info]


def assert_unavailable_page(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit() and "服务暂时不可用" in response.text


def assert_unavailable_api(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable" and response.headers["retry-after"].isdigit()
    assert "服务暂时不可用" in response.json()["error"]["message"]

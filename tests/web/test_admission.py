"""web/admission.py: past the queue depth a request is answered 503 + Retry-After with a Chinese
message (a page, or JSON on the APIs), before anything touches the database; below it, and once
the requests in flight are done, everything is served again."""
from __future__ import annotations

import asyncio
import gc

import httpx
from sanic import Sanic
from sanic.response import text

from app.factory import create_app
from core.errors import Overloaded
from web.admission import Admission

BEARER = {"authorization": "Bearer sdk_" + "x" * 40}


async def _app(settings):
    Sanic.test_mode = True
    app = create_app(settings, manage_database=False)
    app.ctx.release = asyncio.Event()
    app.ctx.started = 0

    @app.get("/held")  # a request that stays in flight until the test releases it
    async def held(request):
        request.app.ctx.started += 1
        await request.app.ctx.release.wait()
        return text("done")

    app.asgi = True
    await app._startup()
    return app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                             base_url="http://testserver", timeout=10)


async def test_past_the_depth_pages_and_apis_answer_503_with_retry_after_then_serve_again(db, monkeypatch):
    app = await _app(db.model_copy(update={"admission_max_in_flight": 2, "admission_retry_after": 3}))
    queries = []

    async with _client(app) as http:
        held = [asyncio.create_task(http.get("/held")) for _ in range(2)]
        while app.ctx.started < 2:
            await asyncio.sleep(0.01)
        assert app.ctx.admission.in_flight == 2

        # Shed before any handler or database work: count the queries the shed requests make.
        from tortoise import connections
        real = type(connections.get("default")).execute_query

        async def counting(self, *args, **kwargs):
            queries.append(args)
            return await real(self, *args, **kwargs)

        monkeypatch.setattr(type(connections.get("default")), "execute_query", counting)
        page = await http.get("/s/" + "A" * 22)
        assert page.status_code == 503, page.text
        assert page.headers["retry-after"] == "3" and "访问人数较多" in page.text
        assert page.headers["content-security-policy"]  # still a page with our headers
        api = await http.get("/court/api/v1/services", headers=BEARER)
        assert api.status_code == 503 and api.headers["retry-after"] == "3"
        assert api.json()["error"] == {"code": "overloaded", "message": "当前访问人数较多，请稍后再试"}
        mp = await http.post("/mp/api/v1/login", json={"code": "x"})
        assert mp.status_code == 503 and mp.json()["error"]["code"] == "overloaded"
        assert queries == [] and app.ctx.admission.shed == 3
        monkeypatch.undo()

        app.ctx.release.set()
        assert [r.text for r in await asyncio.gather(*held)] == ["done", "done"]
        assert app.ctx.admission.in_flight == 0
        assert (await http.get("/s/" + "A" * 22)).status_code == 404  # served again
        assert (await http.get("/court/api/v1/services", headers=BEARER)).status_code == 401
        assert app.ctx.admission.in_flight == 0  # errors leave the depth too


def test_a_request_that_never_reached_the_response_hook_leaves_when_freed():
    admission = Admission(1)

    class Request:  # a cancelled handler's request: admitted, never marked done
        pass

    request = Request()
    admission.admit(request)
    try:
        admission.admit(Request())
    except Overloaded as exc:
        assert exc.headers() == {"Retry-After": "1"} and exc.status == 503
    else:
        raise AssertionError("admitted past the depth")
    del request
    gc.collect()
    admission.admit(Request())  # room again


def test_zero_turns_it_off(tmp_path):
    from tests.conftest import make_settings

    Sanic.test_mode = True
    assert create_app(make_settings(tmp_path, admission_max_in_flight=0)).ctx.admission is None


class _Request:  # admission holds requests weakly
    pass


def test_a_request_is_shed_once_the_database_queue_has_waited_past_the_bound():
    delay = {"now": 0.0}
    admission = Admission(1000, retry_after=2, max_wait=2.0, queueing_delay=lambda: delay["now"])
    first, second = _Request(), _Request()
    admission.admit(first)
    delay["now"] = 2.5  # the longest waiter for a database connection has waited 2.5 s
    try:
        admission.admit(second)
    except Overloaded as exc:
        assert exc.headers() == {"Retry-After": "2"}
    else:
        raise AssertionError("admitted past the queueing-delay bound")
    assert admission.shed == 1 and admission.in_flight == 1
    delay["now"] = 0.4  # caught up: served again
    admission.admit(second)
    assert admission.in_flight == 2


def test_the_delay_bound_can_be_turned_off():
    admission = Admission(1000, max_wait=0.0, queueing_delay=lambda: 60.0)
    admission.admit(_Request())
    assert admission.shed == 0

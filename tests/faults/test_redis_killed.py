"""Redis killed (a private redis-server, never the machine's shared one): short links keep
opening on the in-process fallback count, code sending answers 503 with Retry-After and a
Chinese message, one log line marks the outage; Redis back, codes are sent again."""
from __future__ import annotations

import logging

import pytest

from core.outages import outages
from service.models import Delivery
from tests.factories import make_signed_delivery
from tests.faults.clients import app_client, assert_unavailable_api, assert_unavailable_page, outage_lines, unhandled
from tests.faults.invariants import assert_nothing_lost
from tests.portal.test_link_flow import _link, _open


@pytest.fixture(autouse=True)
def no_outage_on_record():
    outages._since.clear()
    yield
    outages._since.clear()


async def test_with_redis_killed_links_open_code_sending_answers_503_and_recovers(db, private_redis, caplog):
    caplog.set_level(logging.INFO)
    settings = db.model_copy(update={"redis_url": private_redis.url})
    await make_signed_delivery(db, documents=1)
    _, delivery, _, token = await _link(db)
    async with await app_client(settings) as http:
        csrf = await _open(http, token, delivery.id)
        assert (await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf})).status_code == 303
        sent_before = len((db.data_dir / "dev-sms.jsonl").read_text().splitlines())

        private_redis.kill()
        _, other, _, other_token = await _link(db)
        other_csrf = await _open(http, other_token, other.id)  # /s/<token> → 303 → landing (200)
        for _ in range(3):
            assert_unavailable_page(await http.post(f"/d/{other.id}/code", data={"csrf_token": other_csrf}))
        assert_unavailable_api(await http.post(f"/d/{other.id}/code", data={"csrf_token": other_csrf},
                                               headers={"accept": "application/json"}))
        assert len((db.data_dir / "dev-sms.jsonl").read_text().splitlines()) == sent_before  # no code texted
        assert [line.split(":")[0] for line in outage_lines(caplog)] == ["redis unavailable"]

        private_redis.start()  # same port: the pool reconnects by itself
        assert (await http.post(f"/d/{other.id}/code", data={"csrf_token": other_csrf})).status_code == 303
        assert (await Delivery.get(id=other.id)).state.value in {"opened", "notified", "arrived"}
    lines = outage_lines(caplog)
    assert len(lines) == 2 and "redis recovered" in lines[1], lines
    assert unhandled(caplog) == []
    await assert_nothing_lost(db, signatures=1)

"""Subscribe messages: queued with a new service for a bound person, sent through wechatpy to the fake."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from audit.choices import EventType
from audit.models import Event
from identity.wechat.wechatpy_api import WechatpyApi
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from miniprogram_api.subscribe import send_pending_subscribe_messages
from service.choices import Channel, DeliveryState
from service.models import Delivery
from tests.factories import phone as new_phone
from tests.factories import resident_id
from tests.miniprogram_api.mp_helpers import now, person, serve, verified_by_sms


async def _bound_person(mp_http, db, fake):
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=1)
    await verified_by_sms(mp_http, db, fake, number, id_number, openid="o-bound")
    return number, id_number


async def _send(db, fake) -> int:
    api = WechatpyApi(fake.app_id, fake.app_secret, base_url=fake.base_url)
    settings = db.model_copy(update={"wechat_subscribe_template_id": "tmpl-new-service"})
    return await send_pending_subscribe_messages(api=api, settings=settings, worker_id="t", now=now())


async def test_new_service_for_a_bound_person_is_announced(mp_http, db, fake_wechat):
    number, id_number = await _bound_person(mp_http, db, fake_wechat)
    assert not await OutboxJob.filter(kind=JobKind.MP_SUBSCRIBE).exists()  # bound after the first service
    service, (recipient, _other), _ = await serve(db, [person(number, id_number), person(new_phone(), resident_id())])
    jobs = await OutboxJob.filter(kind=JobKind.MP_SUBSCRIBE)
    assert len(jobs) == 1 and jobs[0].payload["openid"] == "o-bound"
    assert await _send(db, fake_wechat) == 1
    message = fake_wechat.sent[-1]
    assert message["touser"] == "o-bound" and message["template_id"] == "tmpl-new-service"
    assert message["data"]["thing2"]["value"].startswith("(2025)")  # the 案号, Chinese included
    beijing_now = now().astimezone(ZoneInfo("Asia/Shanghai"))
    assert message["data"]["time4"]["value"].startswith(f"{beijing_now.year}年{beijing_now.month}月")
    assert f"service_id={service.id}" in message["page"]
    delivery = await Delivery.get(recipient_id=recipient.id, channel=Channel.WECHAT)
    assert delivery.state is DeliveryState.NOTIFIED
    assert await Event.filter(delivery_id=delivery.id, type=EventType.DELIVERY_NOTIFIED).exists()
    assert (await OutboxJob.get(id=jobs[0].id)).done_at is not None
    assert await _send(db, fake_wechat) == 0  # at most once per job


async def test_refusal_completes_and_outage_retries(mp_http, db, fake_wechat):
    number, id_number = await _bound_person(mp_http, db, fake_wechat)
    await serve(db, [person(number, id_number)])
    fake_wechat.down = True
    assert await _send(db, fake_wechat) == 0
    job = await OutboxJob.get(kind=JobKind.MP_SUBSCRIBE)
    assert job.done_at is None and job.last_error == "wechat_unavailable" and job.available_at > now()
    fake_wechat.down = False
    fake_wechat.unsubscribed.add("o-bound")
    await OutboxJob.filter(id=job.id).update(available_at=now())
    assert await _send(db, fake_wechat) == 0
    assert (await OutboxJob.get(id=job.id)).done_at is not None


async def test_nobody_bound_nothing_queued(db):
    await serve(db, [person(new_phone(), resident_id())])
    assert not await OutboxJob.filter(kind=JobKind.MP_SUBSCRIBE).exists()


async def test_the_fake_refuses_what_wechat_refuses(fake_wechat):
    """The walk's message: a 案号 in character_string and an ISO time in UTC. WeChat answers 47003."""
    from identity.wechat.api import WeChatError

    api = WechatpyApi(fake_wechat.app_id, fake_wechat.app_secret, base_url=fake_wechat.base_url)
    import pytest

    with pytest.raises(WeChatError):
        await api.send_subscribe_message("o-x", "t", {"thing1": "示范法院", "character_string2": "(2025)桂1202民初6号",
                                                      "time4": "2026-12-05 04:00"}, page="p")
    assert not fake_wechat.sent

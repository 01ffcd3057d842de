"""Events are facts: recorded with who, from where and what; never changed or removed."""
from __future__ import annotations

import pytest

from audit.choices import ActorKind, EventType
from audit.events import Actor, RequestMeta, event_row, record_event
from audit.models import AppendOnlyError, Event
from tests.factories import make_court

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.47"


async def test_record_event_stores_actor_meta_and_data(db):
    court = await make_court()
    event = await record_event(
        EventType.DOCUMENT_VIEWED, court_id=court.id, actor=Actor(ActorKind.RECIPIENT, "17"),
        meta=RequestMeta(ip="203.0.113.7", user_agent=UA), recipient_id=17, delivery_id=23,
        data={"document_id": 5, "page": 2, "备注": "首次查看"},
    )
    assert event.id is not None

    stored = await Event.get(id=event.id)
    assert stored.type is EventType.DOCUMENT_VIEWED
    assert stored.court_id == court.id
    assert (stored.actor_kind, stored.actor_id) == (ActorKind.RECIPIENT, "17")
    assert (stored.ip, stored.user_agent) == ("203.0.113.7", UA)
    assert (stored.recipient_id, stored.delivery_id, stored.service_id) == (17, 23, None)
    assert stored.data == {"document_id": 5, "page": 2, "备注": "首次查看"}
    assert stored.created_at is not None
    assert stored.chain_seq is None and stored.hash is None


async def test_system_event_without_request(db):
    court = await make_court()
    event = await record_event(EventType.RECEIPT_READY, court_id=court.id, actor=Actor.system(),
                               meta=RequestMeta.none())
    stored = await Event.get(id=event.id)
    assert (stored.actor_kind, stored.actor_id) == (ActorKind.SYSTEM, "system")
    assert (stored.ip, stored.user_agent, stored.data) == ("", "", {})


async def test_long_meta_is_truncated_to_the_columns(db):
    court = await make_court()
    event = await record_event(EventType.DOCUMENT_DOWNLOADED, court_id=court.id,
                               actor=Actor(ActorKind.RECIPIENT, "1"),
                               meta=RequestMeta(ip="1" * 100, user_agent="u" * 900))
    stored = await Event.get(id=event.id)
    assert (len(stored.ip), len(stored.user_agent)) == (64, 500)


async def test_event_cannot_be_saved_again(db):
    court = await make_court()
    event = await record_event(EventType.SERVICE_CREATED, court_id=court.id, actor=Actor.system(),
                               meta=RequestMeta.none(), data={"n": 1})
    event.data = {"n": 2}
    with pytest.raises(AppendOnlyError):
        await event.save()

    loaded = await Event.get(id=event.id)
    loaded.ip = "198.51.100.1"
    with pytest.raises(AppendOnlyError):
        await loaded.save()
    stored = await Event.get(id=event.id)
    assert (stored.data, stored.ip) == ({"n": 1}, "")


async def test_event_cannot_be_deleted(db):
    court = await make_court()
    event = await record_event(EventType.SERVICE_REVOKED, court_id=court.id, actor=Actor.system(),
                               meta=RequestMeta.none())
    with pytest.raises(AppendOnlyError):
        await event.delete()
    with pytest.raises(AppendOnlyError):
        await (await Event.get(id=event.id)).delete()
    assert await Event.filter(id=event.id).exists()


async def test_event_row_is_unsaved_until_bulk_inserted(db):
    court = await make_court()
    rows = [event_row(EventType.DELIVERY_NOTIFIED, court_id=court.id, actor=Actor.system(),
                      meta=RequestMeta.none(), delivery_id=i) for i in (1, 2)]
    assert await Event.all().count() == 0
    await Event.bulk_create(rows)
    assert sorted(await Event.all().values_list("delivery_id", flat=True)) == [1, 2]

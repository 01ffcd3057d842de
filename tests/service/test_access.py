"""Counting views and downloads per document: counts, first/last times, and the move to viewed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from audit.choices import EventType
from audit.events import Actor, on_event_recorded
from audit.models import Event
from core.errors import NotFound
from service.access import DeliveryClosed, reading_of, record_document_access
from service.choices import DeliveryState
from service.models import Delivery, RecipientDocument, Service
from service.revocation import revoke_service
from tests.factories import make_service
from tests.service.test_signing import ACTOR, META, NOW, _ready


async def _access(delivery, document, *, at, download=False):
    await record_document_access(delivery.id, document.id, download=download, actor=ACTOR, meta=META, now=at)


async def test_counts_and_times_keep_the_first_and_the_last(db):
    _, people, docs, delivery = await _ready(db, documents=2)
    later, latest = NOW + timedelta(minutes=3), NOW + timedelta(minutes=7, microseconds=250)
    await _access(delivery, docs[0], at=NOW)
    await _access(delivery, docs[0], at=later)
    await _access(delivery, docs[0], at=latest, download=True)
    await _access(delivery, docs[0], at=latest + timedelta(seconds=1), download=True)
    row = await RecipientDocument.get(recipient_id=people[0].id, document_id=docs[0].id)
    assert (row.view_count, row.download_count) == (2, 2)
    assert row.first_viewed_at == NOW and row.last_viewed_at == later
    assert row.first_downloaded_at == latest and row.first_downloaded_at.tzinfo is not None
    untouched = await RecipientDocument.get(recipient_id=people[0].id, document_id=docs[1].id)
    assert (untouched.view_count, untouched.first_viewed_at) == (0, None)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VERIFIED  # one document still unread


async def test_viewed_once_every_document_is_opened_and_only_once(db):
    _, _, docs, delivery = await _ready(db, documents=2)
    for document in docs + docs:
        await _access(delivery, document, at=NOW)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED
    assert await Event.filter(delivery_id=delivery.id, type=EventType.DELIVERY_VIEWED).count() == 1
    assert await Event.filter(delivery_id=delivery.id, type=EventType.DOCUMENT_VIEWED).count() == 4
    assert [d.id for d, row in await reading_of(delivery) if row.first_viewed_at == NOW] == [d.id for d in docs]


async def test_a_document_of_another_service_is_not_found_and_not_counted(db):
    _, _, _, delivery = await _ready(db)
    _, _, foreign = await make_service(settings=db)
    with pytest.raises(NotFound):
        await _access(delivery, foreign[0], at=NOW)
    assert not await RecipientDocument.filter(document_id=foreign[0].id, view_count__gt=0).exists()
    assert not await Event.filter(delivery_id=delivery.id, type=EventType.DOCUMENT_VIEWED).exists()


async def test_a_download_alone_does_not_count_as_opening(db):
    _, _, docs, delivery = await _ready(db, documents=2)
    await _access(delivery, docs[0], at=NOW)
    await _access(delivery, docs[1], at=NOW, download=True)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VERIFIED
    await _access(delivery, docs[1], at=NOW)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED


async def test_views_after_revocation_or_expiry_are_refused_and_not_counted(db):
    service, people, docs, delivery = await _ready(db, documents=1)
    later = (await Service.get(id=service.id)).expires_at + timedelta(seconds=1)
    with pytest.raises(DeliveryClosed) as expired:
        await _access(delivery, docs[0], at=later)
    assert expired.value.code == "delivery_expired"
    await revoke_service(service.id, reason="撤诉", actor=Actor.system(), meta=META, now=NOW)
    with pytest.raises(DeliveryClosed) as revoked:
        await _access(delivery, docs[0], at=NOW, download=True)
    assert revoked.value.code == "delivery_revoked"
    row = await RecipientDocument.get(recipient_id=people[0].id, document_id=docs[0].id)
    assert (row.view_count, row.download_count) == (0, 0)
    assert not await Event.filter(delivery_id=delivery.id, type__in=[
        EventType.DOCUMENT_VIEWED, EventType.DOCUMENT_DOWNLOADED]).exists()


async def test_step_events_carry_who_where_and_what(db):
    # PostgreSQL records these steps in one statement each, SQLite through the ORM: the rows
    # must be the same.
    service, people, docs, delivery = await _ready(db, documents=1)
    await _access(delivery, docs[0], at=NOW, download=True)
    events = {e.type: e for e in await Event.filter(delivery_id=delivery.id)}
    for type in (EventType.DELIVERY_OPENED, EventType.DELIVERY_VERIFIED, EventType.DOCUMENT_DOWNLOADED):
        event = events[type]
        assert (event.court_id, event.service_id, event.recipient_id) == (service.court_id, service.id, people[0].id)
        assert (event.actor_kind, event.actor_id, event.ip, event.user_agent) == (
            ACTOR.kind, ACTOR.id, META.ip, META.user_agent)
        assert event.created_at.tzinfo is not None and event.chain_seq is None
    assert events[EventType.DOCUMENT_DOWNLOADED].data == {"document_id": docs[0].id}
    assert events[EventType.DELIVERY_OPENED].data == {}
    moved = await Delivery.get(id=delivery.id)
    assert moved.opened_at == NOW and moved.verified_at == NOW


async def test_listeners_hear_the_steps_they_name_inside_the_step(db, monkeypatch):
    monkeypatch.setattr("audit.events._listeners", {})
    heard = []

    async def listener(event: Event) -> None:
        # Inside the step's transaction: the delivery has moved, and the event is visible.
        delivery = await Delivery.get(id=event.delivery_id)
        heard.append((event.type, delivery.state, await Event.filter(id=event.id).exists()))

    on_event_recorded(listener, {EventType.DELIVERY_VIEWED, EventType.DOCUMENT_VIEWED})
    _, _, docs, delivery = await _ready(db, documents=1)
    await _access(delivery, docs[0], at=NOW)
    assert heard == [(EventType.DOCUMENT_VIEWED, DeliveryState.VERIFIED, True),
                     (EventType.DELIVERY_VIEWED, DeliveryState.VIEWED, True)]  # not the opened/verified steps


async def test_counting_returns_the_document_counted(db):
    _, _, docs, delivery = await _ready(db, documents=2)
    for download in (False, True):
        got = await record_document_access(delivery.id, docs[1].id, download=download, actor=ACTOR, meta=META, now=NOW)
        assert (got.id, got.sha256, got.title, got.page_count) == (docs[1].id, docs[1].sha256, docs[1].title,
                                                                   docs[1].page_count)

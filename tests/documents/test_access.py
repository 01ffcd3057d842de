"""Counting views and downloads per document: counts, first/last times, and the move to viewed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import NotFound
from documents.access import reading_of, record_document_access
from documents.choices import DeliveryState, EventType
from documents.models import Delivery, Event, RecipientDocument
from tests.documents.test_signing import ACTOR, META, NOW, _ready
from tests.factories import make_service


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
    _, _, foreign = await make_service(data_dir=db.data_dir)
    with pytest.raises(NotFound):
        await _access(delivery, foreign[0], at=NOW)
    assert not await RecipientDocument.filter(document_id=foreign[0].id, view_count__gt=0).exists()
    assert not await Event.filter(delivery_id=delivery.id, type=EventType.DOCUMENT_VIEWED).exists()

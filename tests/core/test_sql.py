"""Fixed SQL (core/sql.py) gives the same model instances as the ORM."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.sql import columns, fetch, insert, instance
from identity.models import Session, SessionKind
from service.models import Delivery, Service
from tests.factories import make_service


async def test_joined_instances_equal_the_orm(db):
    service, people, _ = await make_service(None, db, channels=["sms"])
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    rows = await fetch(Delivery, f'SELECT {columns(Delivery, "d")}, {columns(Service, "s")} FROM "delivery" "d" '
                                 'JOIN "service" "s" ON "s"."id" = "d"."service_id" WHERE "d"."id" = $1', delivery.id)
    got, got_service = instance(Delivery, rows[0], "d"), instance(Service, rows[0], "s")
    orm_service = await Service.get(id=service.id)
    for field in Delivery._meta.fields_db_projection:
        assert getattr(got, field) == getattr(delivery, field), field
    for field in Service._meta.fields_db_projection:
        assert getattr(got_service, field) == getattr(orm_service, field), field
    assert got.service_id == service.id and got_service.expires_at.tzinfo is not None


async def test_json_and_enum_columns_convert(db):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    await Session.create(sid_hash="h" * 64, kind=SessionKind.LINK, data={"delivery_id": 7, "名": "值"},
                         created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=1))
    rows = await fetch(Session, f'SELECT {columns(Session, "x")} FROM "session" "x" WHERE "x"."sid_hash" = $1', "h" * 64)
    session = instance(Session, rows[0], "x")
    assert session.kind is SessionKind.LINK and session.data == {"delivery_id": 7, "名": "值"}
    assert session.expires_at == now + timedelta(hours=1)
    assert await fetch(Session, 'SELECT "id" FROM "session" WHERE "sid_hash" = $1', "nobody") == []


async def test_insert_stores_what_save_stores(db):
    now = datetime.now(timezone.utc)
    fields = dict(kind=SessionKind.PORTAL, data={"phone_index": "p", "名": [1, 2]}, created_at=now,
                  last_seen_at=now, expires_at=now + timedelta(hours=2))
    saved = Session(sid_hash="a" * 64, **fields)
    await saved.save()
    inserted = await insert(Session(sid_hash="b" * 64, **fields))
    assert inserted.id == saved.id + 1 and inserted._saved_in_db
    a, b = await Session.get(id=saved.id), await Session.get(id=inserted.id)
    for field in Session._meta.fields_db_projection:
        if field not in ("id", "sid_hash"):
            assert getattr(a, field) == getattr(b, field), field
    # Defaults and automatic times are filled in as the ORM fills them.
    from jobs.kinds import JobKind
    from jobs.models import OutboxJob
    job = await insert(OutboxJob(kind=JobKind.WEBHOOK, dedupe_key="k", available_at=now))
    stored = await OutboxJob.get(id=job.id)
    assert (stored.payload, stored.attempts, stored.locked_by, stored.last_error) == ({}, 0, "", "")
    assert stored.created_at == job.created_at and stored.created_at.tzinfo is not None

"""Migration 0011: existing attempts' areas are rewritten as the address book's normaliser writes them."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

from tortoise import connections

from service.models import Attempt
from tests.factories import make_service


async def test_old_areas_are_rewritten(db):
    migration = importlib.import_module("app.migrations.0011_addresses")
    service, _, _ = await make_service(settings=db, channels=["sms", "mail"])
    await Attempt.filter(service_id=service.id).update(area="广西柳州市 城中区")  # the regex's reading
    await migration._rewrite_areas(None, SimpleNamespace(client=connections.get("default")))
    assert {a.area for a in await Attempt.filter(service_id=service.id)} == {"广西壮族自治区 柳州市 城中区"}

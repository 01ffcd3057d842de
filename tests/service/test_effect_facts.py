"""service/effects.py: the legal-effect facts read in one statement, alone (``_gather``) or as
columns of another statement (``facts_select``, as the landing page reads them with its visit),
are the same facts, and give the same decision."""
from __future__ import annotations

from core.sql import fetch
from service.effects import _gather, delivery_effects, facts_of_row, facts_select
from service.models import Delivery
from tests.factories import make_signed_delivery


async def test_facts_read_with_another_statement_equal_the_facts_read_alone(db):
    _, recipient, delivery, _ = await make_signed_delivery(db, documents=2)
    alone = await _gather(recipient.id, delivery.service_id)
    columns = facts_select('"d"."recipient_id"', '"d"."service_id"', '"r"')
    rows = await fetch(Delivery, f'SELECT {columns} FROM "delivery" "d" JOIN "recipient" "r" '
                       f'ON "r"."id" = "d"."recipient_id" WHERE "d"."id" = $1', delivery.id)
    together = facts_of_row(rows[0])
    assert together == alone
    assert len(alone.document_ids) == 2 and alone.first_view  # the walk viewed both documents
    assert any(d["signed_at"] for d in alone.deliveries)
    assert await delivery_effects(delivery, now=delivery.signed_at, facts=together) == \
        await delivery_effects(delivery, now=delivery.signed_at)

"""Addresses at rest (个人信息保护法 art. 51): after intake and after a phone confirmation, no table
row of the recipient, the call, its contact record or the audit events holds the street address
in plaintext; the encrypted value opens to it and the masked one shows divisions only."""
from __future__ import annotations

from datetime import datetime, timezone

from tortoise import connections

from identity.pii_keys import pii_cipher
from phone.calls import confirm_address, place_call, refresh_call
from phone.dev import DevTelephony
from service.models import Recipient
from service.recipient_address import open_address
from tests.phone.helpers import META, phone_task

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
TABLES = ("recipient", "phone_call", "attempt_contact", "event", "attempt", "inperson_record")


async def _rows_containing(needle: str) -> list[tuple[str, dict]]:
    client = connections.get("default")
    hits = []
    for table in TABLES:
        rows = await client.execute_query_dict(f'SELECT row_to_json("t")::text AS "row" FROM "{table}" "t"')
        hits += [(table, row) for row in rows if needle in row["row"]]
    return hits


async def test_no_plaintext_address_after_intake_and_a_phone_confirmation(db):
    task, server, *_ = await phone_task(db)   # intake through the real use case (tests/factories)
    recipient = await Recipient.get(id=task.recipient_id)
    assert open_address(pii_cipher(db), recipient) == "广西柳州市城中区示范路1号"
    assert recipient.address_masked == "广西壮族自治区柳州市城中区****"
    assert await _rows_containing("示范路1号") == []

    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    await refresh_call(call, telephony=telephony, settings=db, now=NOW)
    await confirm_address(server, call.id, "广西壮族自治区北海市海城区北部湾中路3号", settings=db, now=NOW, meta=META)
    assert await _rows_containing("北部湾中路") == []

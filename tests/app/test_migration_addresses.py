"""Migrations over addresses: 0011 rewrites existing attempts' areas as the address book's
normaliser writes them; 0015 encrypts the plaintext addresses (recipients, phone confirmations)
with the migrating settings' PII keys. Both read columns 0015 drops, so each test puts them back
for its run."""
from __future__ import annotations

import contextlib
import importlib
from types import SimpleNamespace

from tortoise import connections

from app import database
from identity.pii_keys import pii_cipher
from phone.models import Call
from service.models import Attempt, Recipient
from tests.factories import make_service


@contextlib.asynccontextmanager
async def plaintext_columns():
    client = connections.get("default")
    await client.execute_script('ALTER TABLE "recipient" ADD COLUMN "address" VARCHAR(500) NOT NULL DEFAULT \'\';'
                                'ALTER TABLE "phone_call" ADD COLUMN "confirmed_address" VARCHAR(500) NOT NULL '
                                'DEFAULT \'\'')
    try:
        yield client
    finally:
        await client.execute_script('ALTER TABLE "recipient" DROP COLUMN "address";'
                                    'ALTER TABLE "phone_call" DROP COLUMN "confirmed_address"')


async def test_old_areas_are_rewritten(db):
    migration = importlib.import_module("app.migrations.0011_addresses")
    service, [recipient], _ = await make_service(settings=db, channels=["sms", "mail"])
    await Attempt.filter(service_id=service.id).update(area="广西柳州市 城中区")  # the regex's reading
    async with plaintext_columns() as client:
        await client.execute_query('UPDATE "recipient" SET "address" = $1 WHERE "id" = $2',
                                   ["广西柳州市城中区示范路1号", recipient.id])
        await migration._rewrite_areas(None, SimpleNamespace(client=client))
    assert {a.area for a in await Attempt.filter(service_id=service.id)} == {"广西壮族自治区 柳州市 城中区"}


async def test_plaintext_addresses_are_encrypted_with_the_migrating_keys(db):
    from datetime import datetime, timezone

    from phone.calls import place_call
    from phone.dev import DevTelephony
    from tests.phone.helpers import META, phone_task

    migration = importlib.import_module("app.migrations.0015_address_encryption")
    task, server, *_ = await phone_task(db)
    call = await place_call(server, task.id, telephony=DevTelephony(), settings=db,
                            now=datetime.now(timezone.utc), meta=META)
    recipient = await Recipient.get(id=task.recipient_id)
    await Recipient.filter(id=recipient.id).update(address_cipher="", address_masked="")
    async with plaintext_columns() as client:
        await client.execute_query('UPDATE "recipient" SET "address" = $1 WHERE "id" = $2',
                                   ["广西柳州市城中区示范路1号", recipient.id])
        await client.execute_query('UPDATE "phone_call" SET "confirmed_address" = $1 WHERE "id" = $2',
                                   ["广西壮族自治区北海市海城区北部湾中路3号", call.id])
        token = database._migrating.set(db)
        try:
            await migration._encrypt_addresses(None, SimpleNamespace(client=client))
        finally:
            database._migrating.reset(token)
    cipher = pii_cipher(db)
    recipient, call = await Recipient.get(id=recipient.id), await Call.get(id=call.id)
    assert cipher.decrypt(recipient.address_cipher, context="address") == "广西柳州市城中区示范路1号"
    assert recipient.address_masked == "广西壮族自治区柳州市城中区****"
    assert cipher.decrypt(call.confirmed_address_cipher, context="address") == "广西壮族自治区北海市海城区北部湾中路3号"
    assert call.confirmed_address_masked == "广西壮族自治区北海市海城区****"

"""Addresses at rest: the recipient's address and the address a litigant confirmed by phone are
encrypted (cipher + mask, like phones and ID numbers), existing rows converted with the PII keys
of the settings ``migrate`` runs with, then the plaintext columns dropped.

A field close copied the recipient's address into ``inperson_record.place``; it becomes the
mask, as the task receipt now prints it. Events already in the audit chain keep what they
recorded: rewriting them would break the chain's hashes (docs/ADDRESSES.md)."""
from tortoise import fields, migrations
from tortoise.migrations import operations as ops

BATCH = 2000


async def _encrypt(client, table: str, plain: str, cipher_column: str, masked_column: str) -> None:
    from app.database import migration_settings
    from identity.pii_keys import pii_cipher
    from service.recipient_address import seal_address  # the sealing as it is when this runs, once

    cipher = pii_cipher(migration_settings())
    last = 0
    while True:
        rows = await client.execute_query_dict(
            f'SELECT "id", "{plain}" AS "value" FROM "{table}" WHERE "id" > $1 AND btrim("{plain}") <> \'\' '
            f'ORDER BY "id" LIMIT {BATCH}', [last])
        if not rows:
            return
        sealed = [seal_address(cipher, row["value"]) for row in rows]
        await client.execute_query(
            f'UPDATE "{table}" "t" SET "{cipher_column}" = "u"."c", "{masked_column}" = "u"."m" '
            'FROM unnest($1::int[], $2::text[], $3::text[]) AS "u"("id", "c", "m") WHERE "t"."id" = "u"."id"',
            [[row["id"] for row in rows], [c for c, _ in sealed], [m for _, m in sealed]])
        last = rows[-1]["id"]


async def _encrypt_addresses(apps, schema_editor) -> None:
    client = schema_editor.client
    await _encrypt(client, "recipient", "address", "address_cipher", "address_masked")
    await _encrypt(client, "phone_call", "confirmed_address", "confirmed_address_cipher", "confirmed_address_masked")
    await client.execute_query(
        'UPDATE "inperson_record" "ir" SET "place" = "r"."address_masked" FROM "attempt" "a", "recipient" "r" '
        'WHERE "ir"."attempt_id" = "a"."id" AND "a"."recipient_id" = "r"."id" AND "ir"."place" = "r"."address" '
        'AND "r"."address" <> \'\'')


class Migration(migrations.Migration):
    # Other branches write 0013 and 0014; the integrator rechains this one after them.
    dependencies = [('songda', '0014_address_confirmation')]

    initial = False

    operations = [
        ops.AddField(model_name='Recipient', name='address_cipher',
                     field=fields.CharField(default='', max_length=1024)),
        ops.AddField(model_name='Recipient', name='address_masked',
                     field=fields.CharField(default='', max_length=200)),
        ops.AddField(model_name='Call', name='confirmed_address_cipher',
                     field=fields.CharField(default='', max_length=1024)),
        ops.AddField(model_name='Call', name='confirmed_address_masked',
                     field=fields.CharField(default='', max_length=200)),
        ops.RunPython(_encrypt_addresses, ops.RunPython.noop),
        ops.RemoveField(model_name='Recipient', name='address'),
        ops.RemoveField(model_name='Call', name='confirmed_address'),
    ]

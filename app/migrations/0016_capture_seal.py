"""In-person captures (faces, fingerprints, ID portraits, signatures, site photos) are sealed like
call recordings: ``evidence.plain_sha256`` keeps the plain file's SHA-256 beside the stored
ciphertext's. Recordings sealed before it get theirs from the call that fetched them."""
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('songda', '0015_address_encryption')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Evidence',
            name='plain_sha256',
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.RunSQL(
            sql=['UPDATE "evidence" SET "plain_sha256" = "phone_call"."recording_sha256" FROM "phone_call" '
                 'WHERE "phone_call"."recording_id" = "evidence"."id" AND "evidence"."encrypted" '
                 'AND "phone_call"."recording_sha256" <> \'\''],
            reverse_sql=[],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from documents.choices import JobKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('songda', '0003_receipts_outbox_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ShortLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('delivery', fields.ForeignKeyField('songda.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='short_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'short_link', 'app': 'songda', 'pk_attr': 'id', 'table_description': "The SMS short link ``/s/<token>`` for one delivery. Only the token's SHA-256 is stored."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='OutboxJob',
            name='kind',
            field=fields.CharEnumField(description='SEAL_RECEIPT: seal_receipt\nNOTIFY_SMS: notify_sms\nWEBHOOK: webhook', enum_type=JobKind, max_length=16),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from documents.choices import JobKind, ReceiptStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('songda', '0002_identity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxJob',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='SEAL_RECEIPT: seal_receipt\nWEBHOOK: webhook', enum_type=JobKind, max_length=16)),
                ('dedupe_key', fields.CharField(unique=True, max_length=128)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('event_id', fields.BigIntField(null=True)),
                ('attempts', fields.IntField(default=0)),
                ('available_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('locked_by', fields.CharField(default='', max_length=64)),
                ('done_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_job', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'Transactional outbox: written with the state change, run after commit, at least once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Receipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('receipt_no', fields.CharField(unique=True, max_length=32)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('service', fields.ForeignKeyField('songda.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('recipient', fields.OneToOneField('songda.Recipient', source_field='recipient_id', db_constraint=True, to_field='id', related_name='receipt', on_delete=OnDelete.RESTRICT)),
                ('delivery', fields.ForeignKeyField('songda.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=ReceiptStatus.PENDING, description='PENDING: pending\nSEALED: sealed', enum_type=ReceiptStatus, max_length=16)),
                ('pdf_sha256', fields.CharField(null=True, max_length=64)),
                ('effective_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sealed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'receipt', 'app': 'songda', 'pk_attr': 'id', 'table_description': '送达回证 / 电子送达凭证: one per recipient per service, sealed off the request path.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Signature',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.OneToOneField('songda.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='signature', on_delete=OnDelete.RESTRICT)),
                ('image_sha256', fields.CharField(max_length=64)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=500)),
                ('identity_proof', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signature', 'app': 'songda', 'pk_attr': 'id', 'table_description': '签名: the handwritten signature image a recipient drew when signing for a delivery.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='chain_seq',
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.AddField(
            model_name='Event',
            name='hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Event',
            name='prev_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]

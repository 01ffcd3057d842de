from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from identity.models import CodePurpose, SessionKind, SmsStatus, SmsTemplate
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('songda', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CodeSubject',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='LINK: link\nLOGIN: login\nSIGN: sign\nMP_PHONE: mp_phone', enum_type=CodePurpose, max_length=16)),
                ('subject', fields.CharField(max_length=128)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'code_subject', 'app': 'songda', 'unique_together': (('purpose', 'subject'),), 'pk_attr': 'id', 'table_description': 'Failures across codes for one (purpose, subject): a resend does not reset them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='LINK: link\nLOGIN: login\nSIGN: sign\nMP_PHONE: mp_phone', enum_type=CodePurpose, max_length=16)),
                ('subject', fields.CharField(max_length=128)),
                ('code_hmac', fields.CharField(max_length=64)),
                ('failed_attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_code', 'app': 'songda', 'indexes': [Index(fields=['purpose', 'subject'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('count', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rate_counter', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'Fixed-window counters for the database limit backend (Redis replaces it in production).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sid_hash', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharEnumField(description='LINK: link\nPORTAL: portal\nMINIPROGRAM: mp', enum_type=SessionKind, max_length=16)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'songda', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery_id', fields.IntField(null=True, db_index=True)),
                ('template', fields.CharEnumField(description='CODE: code\nSERVICE_NOTICE: service_notice', enum_type=SmsTemplate, max_length=32)),
                ('provider', fields.CharField(max_length=16)),
                ('phone_cipher', fields.CharField(max_length=255)),
                ('phone_index', fields.CharField(db_index=True, max_length=64)),
                ('phone_masked', fields.CharField(max_length=32)),
                ('params', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('segments', fields.IntField()),
                ('status', fields.CharEnumField(description='SENT: sent\nDELIVERED: delivered\nFAILED: failed\nREJECTED: rejected', enum_type=SmsStatus, max_length=16)),
                ('provider_message_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('error_code', fields.CharField(default='', max_length=64)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sms_message', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'Every text we asked a gateway to send, and what the carrier said about it.'},
            bases=['Model'],
        ),
    ]

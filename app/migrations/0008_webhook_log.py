from tortoise import migrations
from tortoise.migrations import operations as ops
from court.models import AttemptOutcome
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('songda', '0007_console')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job_id', fields.BigIntField(db_index=True)),
                ('court_id', fields.IntField()),
                ('api_client_id', fields.IntField()),
                ('event_id', fields.BigIntField(null=True)),
                ('event_type', fields.CharField(default='', max_length=40)),
                ('webhook_id', fields.CharField(max_length=128)),
                ('attempt', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration_ms', fields.IntField(default=0)),
                ('http_status', fields.IntField(null=True)),
                ('error', fields.CharField(default='', max_length=200)),
                ('outcome', fields.CharEnumField(description='DELIVERED: delivered\nRETRY: retry\nGONE: gone\nGAVE_UP: gave_up\nREFUSED: refused', enum_type=AttemptOutcome, max_length=16)),
            ],
            options={'table': 'webhook_attempt', 'app': 'songda', 'indexes': [Index(fields=['api_client_id', 'id']), Index(fields=['court_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One webhook POST (or one job closed without a POST), written by the relay.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ApiClient',
            name='webhook_disabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ApiClient',
            name='webhook_disabled_reason',
            field=fields.CharField(default='', max_length=200),
        ),
    ]

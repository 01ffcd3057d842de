from enum import Enum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
Channel = Enum('Channel', {'SMS': 'sms', 'PORTAL': 'portal', 'WECHAT': 'wechat'}, type=str)


class Migration(migrations.Migration):
    dependencies = [('songda', '0001_initial')]

    initial = False

    # What a sealed receipt states about legal effect, kept with it (effective_at already was).
    # Receipts sealed before this migration keep empty statements: the report says so.
    operations = [
        ops.AddField(
            model_name='Receipt',
            name='effect_channel',
            field=fields.CharEnumField(null=True, description='SMS: sms\nPORTAL: portal\nWECHAT: wechat', enum_type=Channel, max_length=16),
        ),
        ops.AddField(
            model_name='Receipt',
            name='effect_reason',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Receipt',
            name='effect_rule',
            field=fields.CharField(default='', max_length=500),
        ),
    ]

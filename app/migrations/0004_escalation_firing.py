from enum import Enum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Enum values as literals, as they were when this migration was written: a migration must not
# change when an enum in the code does.
EscalationAction = Enum('EscalationAction', {'OPEN_TASK': 'open_task', 'SUGGEST_ANNOUNCEMENT': 'suggest_announcement'}, type=str)

# The default escalation rules (centre/escalation_rules.py DEFAULT_RULES), as they were when this
# migration was written, for every court that has no rules yet.
_DEFAULTS = [
    ('电子送达72小时未签收转电话联系', 'stalled', '["sms","portal","wechat"]', 72, 'open_task', 'phone'),
    ('电话联系失败转邮寄送达', 'failed', '["phone"]', 0, 'open_task', 'mail'),
    ('邮寄送达退回转外出送达', 'failed', '["mail"]', 0, 'open_task', 'field'),
    ('全部渠道失败建议公告送达', 'all_failed', '[]', 0, 'suggest_announcement', None),
]


def _seed_sql() -> str:
    values = ", ".join(
        f"('{name}', '{trigger}', '{channels}'::jsonb, {hours}, '{action}', "
        f"{'NULL' if open_channel is None else repr(open_channel)}, {n})"
        for n, (name, trigger, channels, hours, action, open_channel) in enumerate(_DEFAULTS))
    return (
        'INSERT INTO "escalation_rule" ("court_id", "name", "trigger", "from_channels", "after_hours", "action", '
        '"open_channel", "active", "created_at") '
        'SELECT "c"."id", "d"."name", "d"."trigger", "d"."channels", "d"."hours", "d"."action", "d"."open_channel", '
        'TRUE, now() FROM "court" "c" CROSS JOIN (VALUES ' + values + ') '
        'AS "d" ("name", "trigger", "channels", "hours", "action", "open_channel", "n") '
        'WHERE NOT EXISTS (SELECT 1 FROM "escalation_rule" "r" WHERE "r"."court_id" = "c"."id") '
        'ORDER BY "c"."id", "d"."n"')


class Migration(migrations.Migration):
    dependencies = [('songda', '0003_service_centre')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EscalationFiring',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('court', fields.ForeignKeyField('songda.Court', source_field='court_id', db_constraint=True, to_field='id', related_name='escalation_firings', on_delete=OnDelete.CASCADE)),
                ('rule', fields.ForeignKeyField('songda.EscalationRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='firings', on_delete=OnDelete.CASCADE)),
                ('attempt', fields.ForeignKeyField('songda.Attempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='firings', on_delete=OnDelete.CASCADE)),
                ('service_id', fields.IntField()),
                ('recipient_id', fields.IntField(db_index=True)),
                ('action', fields.CharEnumField(description='OPEN_TASK: open_task\nSUGGEST_ANNOUNCEMENT: suggest_announcement', enum_type=EscalationAction, max_length=32)),
                ('opened_attempt_id', fields.IntField(null=True)),
                ('skipped_reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'escalation_firing', 'app': 'songda', 'unique_together': (('rule', 'attempt'),), 'indexes': [Index(fields=['court_id', 'action', 'created_at'])], 'pk_attr': 'id', 'table_description': '升级记录: what one rule did about one triggering attempt — opened a task, suggested'},
            bases=['Model'],
        ),
        # Courts registered before escalation rules existed get the defaults.
        ops.RunSQL(sql=[_seed_sql()], reverse_sql=['DELETE FROM "escalation_rule"']),
    ]

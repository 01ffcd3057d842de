from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The day of an attempt is its Beijing calendar day of creation; a day is rolled up once it is
# two days old (centre/statistics_rollup.py), so the trigger logs writes to such days only: the
# writes of today and yesterday, nearly all of them, pay for one comparison in the WHEN clause.
_DAY = "((%s.\"created_at\" AT TIME ZONE 'Asia/Shanghai')::date)"
_CUTOFF = "((now() AT TIME ZONE 'Asia/Shanghai')::date - 1)"

_FUNCTION = """
CREATE OR REPLACE FUNCTION "statistics_mark_dirty"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "statistics_dirty_day" ("day", "cascade", "created_at") VALUES (NEW_DAY, TRUE, now());
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "statistics_dirty_day" ("day", "cascade", "created_at") VALUES (OLD_DAY, TRUE, now());
    ELSE
        -- Adding, removing or moving an attempt may change who is reached for the first time on
        -- a later day; the other columns the statistics read change that day's figures only.
        moved := NEW."created_at" IS DISTINCT FROM OLD."created_at"
            OR NEW."recipient_id" IS DISTINCT FROM OLD."recipient_id"
            OR NEW."service_id" IS DISTINCT FROM OLD."service_id"
            OR NEW."channel" IS DISTINCT FROM OLD."channel"
            OR NEW."court_id" IS DISTINCT FROM OLD."court_id"
            OR NEW."centre_id" IS DISTINCT FROM OLD."centre_id";
        IF NOT moved
            AND NEW."status" IS NOT DISTINCT FROM OLD."status"
            AND NEW."outcome" IS NOT DISTINCT FROM OLD."outcome"
            AND NEW."method" IS NOT DISTINCT FROM OLD."method"
            AND NEW."assignee_id" IS NOT DISTINCT FROM OLD."assignee_id"
            AND NEW."due_at" IS NOT DISTINCT FROM OLD."due_at"
            AND NEW."closed_at" IS NOT DISTINCT FROM OLD."closed_at" THEN
            RETURN NULL;
        END IF;
        INSERT INTO "statistics_dirty_day" ("day", "cascade", "created_at")
            SELECT DISTINCT "d", moved, now() FROM (VALUES (OLD_DAY), (NEW_DAY)) "v" ("d") WHERE "d" < CUTOFF;
    END IF;
    RETURN NULL;
END
$$
""".replace("NEW_DAY", _DAY % "NEW").replace("OLD_DAY", _DAY % "OLD").replace("CUTOFF", _CUTOFF)

_SQL = [
    _FUNCTION,
    f'CREATE TRIGGER "statistics_dirty_insert" AFTER INSERT ON "attempt" FOR EACH ROW '
    f'WHEN ({_DAY % "NEW"} < {_CUTOFF}) EXECUTE FUNCTION "statistics_mark_dirty"()',
    f'CREATE TRIGGER "statistics_dirty_update" AFTER UPDATE ON "attempt" FOR EACH ROW '
    f'WHEN ({_DAY % "OLD"} < {_CUTOFF} OR {_DAY % "NEW"} < {_CUTOFF}) EXECUTE FUNCTION "statistics_mark_dirty"()',
    f'CREATE TRIGGER "statistics_dirty_delete" AFTER DELETE ON "attempt" FOR EACH ROW '
    f'WHEN ({_DAY % "OLD"} < {_CUTOFF}) EXECUTE FUNCTION "statistics_mark_dirty"()',
    # Open tasks past their due time are counted at the moment the page is read, over the whole
    # range: these partial indexes hold just the open assigned tasks, with what the count reads.
    'CREATE INDEX IF NOT EXISTS "attempt_open_assigned_court" ON "attempt" ("court_id", "created_at") '
    'INCLUDE ("assignee_id", "due_at") WHERE "status" <> \'closed\' AND "assignee_id" IS NOT NULL',
    'CREATE INDEX IF NOT EXISTS "attempt_open_assigned_centre" ON "attempt" ("centre_id", "created_at") '
    'INCLUDE ("assignee_id", "due_at") WHERE "status" <> \'closed\' AND "assignee_id" IS NOT NULL',
]
_REVERSE_SQL = [
    'DROP TRIGGER IF EXISTS "statistics_dirty_insert" ON "attempt"',
    'DROP TRIGGER IF EXISTS "statistics_dirty_update" ON "attempt"',
    'DROP TRIGGER IF EXISTS "statistics_dirty_delete" ON "attempt"',
    'DROP FUNCTION IF EXISTS "statistics_mark_dirty"()',
    'DROP INDEX IF EXISTS "attempt_open_assigned_court"',
    'DROP INDEX IF EXISTS "attempt_open_assigned_centre"',
]


class Migration(migrations.Migration):
    dependencies = [('songda', '0012_announcement')]

    initial = False

    # 总体统计 read from a per-day and per-month roll-up (centre/statistics_models.py), kept by
    # the jobs loop; the trigger marks a rolled-up day dirty in the writing transaction itself.
    operations = [
        ops.CreateModel(
            name='StatisticsChannelFacts',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('by_month', fields.BooleanField(default=False)),
                ('court_id', fields.IntField()),
                ('centre_id', fields.IntField(null=True)),
                ('channel', fields.CharField(max_length=16)),
                ('status', fields.CharField(max_length=16)),
                ('outcome', fields.CharField(null=True, max_length=16)),
                ('method', fields.CharField(null=True, max_length=16)),
                ('n', fields.BigIntField()),
            ],
            options={'table': 'statistics_channel_facts', 'app': 'songda', 'indexes': [Index(fields=['court_id', 'day']), Index(fields=['centre_id', 'day']), Index(fields=['day', 'by_month'])], 'pk_attr': 'id', 'table_description': 'Attempts by channel, status, outcome and method (送达次数, 办结, 送达成功, 领取途径).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatisticsDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(unique=True)),
                ('rolled_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'statistics_day', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'A day whose rows are in the roll-up (both grains), and when they were computed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatisticsDirtyDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('cascade', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'statistics_dirty_day', 'app': 'songda', 'pk_attr': 'id', 'table_description': 'An attempt of ``day`` changed after the day could be rolled up. ``cascade``: the change'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatisticsHandlingTime',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('by_month', fields.BooleanField(default=False)),
                ('court_id', fields.IntField()),
                ('centre_id', fields.IntField(null=True)),
                ('channel', fields.CharField(max_length=16)),
                ('bucket', fields.SmallIntField()),
                ('n', fields.BigIntField()),
            ],
            options={'table': 'statistics_handling_time', 'app': 'songda', 'indexes': [Index(fields=['court_id', 'day']), Index(fields=['centre_id', 'day']), Index(fields=['day', 'by_month'])], 'pk_attr': 'id', 'table_description': 'Closed attempts by handling-time bucket (centre/statistics_buckets.py).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatisticsReach',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('by_month', fields.BooleanField(default=False)),
                ('scope_kind', fields.CharField(max_length=8)),
                ('scope_id', fields.IntField()),
                ('kind', fields.CharField(max_length=16)),
                ('channel', fields.CharField(null=True, max_length=16)),
                ('prev_day', fields.DateField(null=True)),
                ('n', fields.BigIntField()),
            ],
            options={'table': 'statistics_reach', 'app': 'songda', 'indexes': [Index(fields=['scope_kind', 'scope_id', 'day']), Index(fields=['day', 'by_month'])], 'pk_attr': 'id', 'table_description': 'Who and what was reached, counted once over any range: for each recipient (``kind``'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatisticsStaffFacts',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('by_month', fields.BooleanField(default=False)),
                ('court_id', fields.IntField()),
                ('centre_id', fields.IntField(null=True)),
                ('assignee_id', fields.IntField()),
                ('closed', fields.BooleanField()),
                ('overdue', fields.BooleanField()),
                ('n', fields.BigIntField()),
            ],
            options={'table': 'statistics_staff_facts', 'app': 'songda', 'indexes': [Index(fields=['court_id', 'day']), Index(fields=['centre_id', 'day']), Index(fields=['day', 'by_month'])], 'pk_attr': 'id', 'table_description': 'Tasks by assignee: given, closed, closed after their due time. Open tasks past due depend'},
            bases=['Model'],
        ),
        ops.RunSQL(sql=_SQL, reverse_sql=_REVERSE_SQL),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('songda', '0004_escalation_firing')]

    initial = False

    # The service centre's two lists (centre/queries.py) read open tasks in (due_at, id) order and
    # page by keyset: partial indexes over exactly those rows let each page be one ordered index
    # range, however many closed attempts the table holds. A task without a due time sorts last.
    # They carry the area, so the suggestions of who should take a task (load, and experience of
    # the area) count from the index alone.
    operations = [
        ops.RunSQL(
            sql=[
                # 案号 contains: a trigram index (pg_trgm is a trusted extension: the database
                # owner may create it), and the way from a case to its services.
                'CREATE EXTENSION IF NOT EXISTS pg_trgm',
                'CREATE INDEX IF NOT EXISTS "court_case_number_trgm" ON "court_case" '
                'USING gin ("case_number" gin_trgm_ops)',
                'CREATE INDEX IF NOT EXISTS "service_case_id" ON "service" ("case_id")',
                'CREATE INDEX IF NOT EXISTS "attempt_dispatch_list" ON "attempt" '
                '("centre_id", (COALESCE("due_at", \'infinity\'::timestamptz)), "id") '
                'WHERE "status" IN (\'unassigned\', \'handed_back\') AND "delivery_id" IS NULL',
                'CREATE INDEX IF NOT EXISTS "attempt_todo_open" ON "attempt" '
                '("assignee_id", "status", (COALESCE("due_at", \'infinity\'::timestamptz)), "id") INCLUDE ("area") '
                'WHERE "status" IN (\'assigned\', \'in_progress\') AND "delivery_id" IS NULL',
                'CREATE INDEX IF NOT EXISTS "attempt_todo_closed" ON "attempt" '
                '("assignee_id", "closed_at" DESC, "id" DESC) INCLUDE ("area") '
                'WHERE "status" = \'closed\' AND "delivery_id" IS NULL',
            ],
            reverse_sql=['DROP INDEX IF EXISTS "court_case_number_trgm"', 'DROP INDEX IF EXISTS "service_case_id"',
                         'DROP INDEX IF EXISTS "attempt_dispatch_list"', 'DROP INDEX IF EXISTS "attempt_todo_open"',
                         'DROP INDEX IF EXISTS "attempt_todo_closed"'],
        ),
    ]

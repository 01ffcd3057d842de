"""Tasks nobody needs to work on any more: their service was revoked, or their recipient has
been served on another channel (once served, later attempts change nothing in law). The jobs
loop closes them as 无需继续送达 with one system event each, so they leave every to-do list."""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, announce, event_row
from core.sql import fetch, insert_rows
from service.models import Attempt

BATCH = 1000

_WITHDRAW = '''
WITH "moot" AS (
    SELECT "t"."id", CASE WHEN "s"."status" = 'revoked' THEN '送达已撤回' ELSE '受送达人已经其他渠道送达' END AS "why"
    FROM "attempt" "t" JOIN "service" "s" ON "s"."id" = "t"."service_id"
    WHERE "t"."delivery_id" IS NULL AND "t"."status" IN ('unassigned', 'assigned', 'in_progress', 'handed_back')
      AND ("s"."status" = 'revoked'
           OR EXISTS (SELECT 1 FROM "attempt" "x" WHERE "x"."recipient_id" = "t"."recipient_id"
                      AND "x"."outcome" = 'served')
           OR EXISTS (SELECT 1 FROM "delivery" "d" WHERE "d"."recipient_id" = "t"."recipient_id"
                      AND "d"."state" = 'signed'))
    ORDER BY "t"."id" LIMIT $2 FOR UPDATE OF "t" SKIP LOCKED)
UPDATE "attempt" "a" SET "status" = 'closed', "outcome" = 'withdrawn', "failure_text" = "moot"."why",
    "closed_at" = $1, "updated_at" = $1
FROM "moot" WHERE "a"."id" = "moot"."id"
RETURNING "a"."id", "a"."court_id", "a"."service_id", "a"."recipient_id", "a"."channel", "a"."assignee_id",
          "a"."failure_text"
'''


async def withdraw_moot_tasks(*, now: datetime, batch: int = BATCH) -> int:
    """Close up to ``batch`` open tasks that need no more work; how many were closed."""
    async with in_transaction():
        rows = await fetch(Attempt, _WITHDRAW, now, batch)
        events = await insert_rows([
            event_row(EventType.TASK_CLOSED, court_id=r["court_id"], service_id=r["service_id"],
                      recipient_id=r["recipient_id"], actor=Actor.system(), meta=RequestMeta.none(),
                      data={"attempt_id": r["id"], "channel": r["channel"], "outcome": "withdrawn",
                            "failure_text": r["failure_text"], "assignee_id": r["assignee_id"]})
            for r in rows])
        for event in events:
            await announce(event)
    return len(rows)

"""Closing electronic attempts when their delivery ends.

An electronic attempt mirrors a delivery that the platform runs (service/access.py,
service/signing.py, expiry, revocation, SMS reports). Rather than add a write to each of those
hot paths, this sweep, run in the jobs loop, closes the attempts whose delivery has reached an
end state, with one system event each: a signature is 送达成功 by 电子送达; a failed, expired or
revoked delivery is 送达失败 with the reason. The legal effect stays the engine's to decide over
all of the recipient's attempts (service/effects.py).
"""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, announce, event_row
from core.sql import fetch, insert_rows
from service.models import Attempt

BATCH = 1000

_CLOSE = '''
WITH "ended" AS (
    SELECT "a"."id" FROM "attempt" "a" JOIN "delivery" "d" ON "d"."id" = "a"."delivery_id"
    WHERE "a"."status" = 'in_progress' AND "d"."state" IN ('signed', 'failed', 'expired', 'revoked')
    ORDER BY "a"."id" LIMIT $2 FOR UPDATE OF "a" SKIP LOCKED)
UPDATE "attempt" "a" SET
    "status" = 'closed',
    "outcome" = CASE WHEN "d"."state" = 'signed' THEN 'served' ELSE 'failed' END,
    "method" = CASE WHEN "d"."state" = 'signed' THEN 'electronic' END,
    "served_at" = "d"."signed_at",
    "failure_reason" = CASE WHEN "d"."state" = 'signed' THEN NULL ELSE 'other' END,
    "failure_text" = CASE "d"."state"
        WHEN 'failed' THEN left('发送失败：' || "d"."failure_reason", 500)
        WHEN 'expired' THEN '送达期限届满未签收'
        WHEN 'revoked' THEN '送达已撤回'
        ELSE '' END,
    "closed_at" = COALESCE("d"."signed_at", "d"."failed_at", "d"."expired_at", "d"."revoked_at", $1),
    "updated_at" = $1
FROM "ended", "delivery" "d"
WHERE "a"."id" = "ended"."id" AND "d"."id" = "a"."delivery_id"
RETURNING "a"."id", "a"."court_id", "a"."service_id", "a"."recipient_id", "a"."delivery_id", "a"."channel",
          "a"."outcome", "a"."failure_text"
'''


async def close_ended_electronic_attempts(*, now: datetime, batch: int = BATCH) -> int:
    """Close up to ``batch`` electronic attempts whose delivery has ended; how many were closed."""
    async with in_transaction():
        rows = await fetch(Attempt, _CLOSE, now, batch)
        events = await insert_rows([
            event_row(EventType.ATTEMPT_CLOSED, court_id=r["court_id"], service_id=r["service_id"],
                      recipient_id=r["recipient_id"], delivery_id=r["delivery_id"], actor=Actor.system(),
                      meta=RequestMeta.none(),
                      data={"attempt_id": r["id"], "channel": r["channel"], "outcome": r["outcome"],
                            "failure_text": r["failure_text"]})
            for r in rows])
        for event in events:
            await announce(event)
    return len(rows)

"""Running the escalation rules (升级规则) in the jobs loop.

Each pass looks, per active rule, for attempts that meet its trigger and that it has not acted
on: STALLED — an attempt on one of its channels not served ``after_hours`` after it was created
(electronic: unsigned); FAILED — an attempt on one of its channels closed as failed; ALL_FAILED —
a recipient whose every attempt closed as failed. An EscalationFiring row per (rule, attempt),
inserted first with ON CONFLICT DO NOTHING, makes each rule act at most once per trigger, even
with two workers; the task it opens carries ``escalated_from`` + ``escalation_rule_id`` (unique
as well). Recipients already served and revoked services are left alone. Mail and field service
need an address: without one the rule records why it opened nothing.

Triggers are looked for within ``LOOKBACK`` of their time, through the indexes on
``attempt (court_id, created_at)`` and ``attempt (closed_at)``, so a pass reads a week of
attempts, not a year's; a new rule applies to what stalls or fails from a week before it on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, announce, event_row
from centre.models import EscalationFiring
from core.sql import fetch, insert_rows
from service.choices import ADDRESS_CHANNELS, Channel
from service.models import Attempt

BATCH = 500
LOOKBACK = timedelta(days=7)

# The recipient is served (any channel) or the service revoked: nothing to escalate.
_STILL_NEEDED = '''
      AND NOT EXISTS (SELECT 1 FROM "service" "s" WHERE "s"."id" = "a"."service_id" AND "s"."status" = 'revoked')
      AND NOT EXISTS (SELECT 1 FROM "attempt" "x" WHERE "x"."recipient_id" = "a"."recipient_id"
                      AND "x"."outcome" = 'served')
      AND NOT EXISTS (SELECT 1 FROM "delivery" "d" WHERE "d"."recipient_id" = "a"."recipient_id"
                      AND "d"."state" = 'signed')'''

_TRIGGERS = {
    "stalled": '''"a"."court_id" = "ru"."court_id"
      AND "a"."created_at" <= $1::timestamptz - make_interval(hours => "ru"."after_hours")
      AND "a"."created_at" > $1::timestamptz - make_interval(hours => "ru"."after_hours") - $3::interval
      AND ("a"."outcome" IS NULL OR "a"."outcome" = 'failed')''',
    "failed": """"a"."closed_at" > $1::timestamptz - $3::interval AND "a"."court_id" = "ru"."court_id"
      AND "a"."outcome" = 'failed'""",
}


@cache
def _candidates_sql(trigger: str) -> str:
    return f'''
SELECT "ru"."id" AS "rule_id", "ru"."name" AS "rule_name", "ru"."open_channel", "a"."id", "a"."court_id",
       "a"."service_id", "a"."recipient_id", "a"."channel",
       "rc"."address_cipher" <> '' AS "has_address",
       EXISTS (SELECT 1 FROM "attempt" "o" WHERE "o"."recipient_id" = "a"."recipient_id"
               AND "o"."channel" = "ru"."open_channel" AND "o"."outcome" IS DISTINCT FROM 'withdrawn'
               ) AS "already_tried"
FROM "escalation_rule" "ru"
CROSS JOIN LATERAL (
    SELECT "a"."id", "a"."court_id", "a"."service_id", "a"."recipient_id", "a"."channel" FROM "attempt" "a"
    WHERE {_TRIGGERS[trigger]}
      AND "a"."channel" IN (SELECT jsonb_array_elements_text("ru"."from_channels"))
      AND NOT EXISTS (SELECT 1 FROM "escalation_firing" "f" WHERE "f"."rule_id" = "ru"."id"
                      AND "f"."attempt_id" = "a"."id"){_STILL_NEEDED}
    ORDER BY "a"."id" LIMIT $2) "a"
JOIN "recipient" "rc" ON "rc"."id" = "a"."recipient_id"
WHERE "ru"."active" AND "ru"."trigger" = '{trigger}' AND "ru"."action" = 'open_task'
ORDER BY "a"."id", "ru"."id" LIMIT $2'''


_FIRE = '''
INSERT INTO "escalation_firing" ("court_id", "rule_id", "attempt_id", "service_id", "recipient_id", "action",
                                 "skipped_reason", "created_at")
SELECT "n".*, $1::timestamptz FROM unnest($2::int[], $3::int[], $4::int[], $5::int[], $6::int[], $7::text[],
                                          $8::text[]) AS "n"
ON CONFLICT ("rule_id", "attempt_id") DO NOTHING
RETURNING "id", "rule_id", "attempt_id"'''

_OPEN = '''
INSERT INTO "attempt" ("court_id", "centre_id", "service_id", "recipient_id", "channel", "status", "area", "due_at",
                       "notes", "hand_back_reason", "failure_text", "effect_rule", "effect_reason",
                       "escalated_from_id", "escalation_rule_id", "created_at", "updated_at")
SELECT "a"."court_id", "a"."centre_id", "a"."service_id", "a"."recipient_id", "n"."channel", 'unassigned', "a"."area",
       $2::timestamptz, '', '', '', '', '', "a"."id", "n"."rule_id", $1::timestamptz, $1::timestamptz
FROM unnest($3::int[], $4::int[], $5::text[]) AS "n" ("attempt_id", "rule_id", "channel")
JOIN "attempt" "a" ON "a"."id" = "n"."attempt_id"
ON CONFLICT ("escalated_from_id", "escalation_rule_id") DO NOTHING
RETURNING "id", "escalated_from_id", "escalation_rule_id"'''

_OPENED = '''
UPDATE "escalation_firing" "f" SET "opened_attempt_id" = "n"."opened"
FROM unnest($1::int[], $2::int[], $3::int[]) AS "n" ("rule_id", "attempt_id", "opened")
WHERE "f"."rule_id" = "n"."rule_id" AND "f"."attempt_id" = "n"."attempt_id"'''

# The recipient's last failed attempt is the trigger; a recipient already offered announcement
# service (or given an announcement task) is not suggested again.
_ALL_FAILED = f'''
SELECT DISTINCT ON ("ru"."id", "a"."recipient_id") "ru"."id" AS "rule_id", "ru"."name" AS "rule_name", "a"."id",
       "a"."court_id", "a"."service_id", "a"."recipient_id", "a"."channel"
FROM "escalation_rule" "ru"
JOIN "attempt" "a" ON "a"."court_id" = "ru"."court_id" AND "a"."outcome" = 'failed' AND "a"."closed_at" > $1::timestamptz - $3::interval
WHERE "ru"."active" AND "ru"."trigger" = 'all_failed' AND "ru"."action" = 'suggest_announcement'
  AND NOT EXISTS (SELECT 1 FROM "attempt" "y" WHERE "y"."recipient_id" = "a"."recipient_id"
                  AND ("y"."outcome" IS DISTINCT FROM 'failed' OR "y"."channel" = 'announcement'))
  AND NOT EXISTS (SELECT 1 FROM "escalation_firing" "f" WHERE "f"."rule_id" = "ru"."id"
                  AND "f"."recipient_id" = "a"."recipient_id")
  -- A stall rule will still open a task for one of the attempts (an SMS refused in its first hour
  -- is followed by a phone call at 72 hours): not all failed yet.
  AND NOT EXISTS (SELECT 1 FROM "attempt" "z" JOIN "escalation_rule" "sr" ON "sr"."court_id" = "z"."court_id"
                  AND "sr"."active" AND "sr"."trigger" = 'stalled' AND "sr"."action" = 'open_task'
                  WHERE "z"."recipient_id" = "a"."recipient_id"
                  AND "z"."created_at" > $1::timestamptz - make_interval(hours => "sr"."after_hours")
                  AND "z"."channel" IN (SELECT jsonb_array_elements_text("sr"."from_channels"))
                  AND NOT EXISTS (SELECT 1 FROM "attempt" "o" WHERE "o"."recipient_id" = "z"."recipient_id"
                                  AND "o"."channel" = "sr"."open_channel")){_STILL_NEEDED}
ORDER BY "ru"."id", "a"."recipient_id", "a"."closed_at" DESC, "a"."id" DESC
LIMIT $2'''

_FAILED_ATTEMPTS = '''
SELECT "id", "recipient_id", "channel", "failure_reason", "failure_text", "closed_at" FROM "attempt"
WHERE "recipient_id" = ANY($1::int[]) AND "outcome" = 'failed' ORDER BY "recipient_id", "closed_at", "id"'''


@dataclass(frozen=True)
class EscalationPass:
    opened: int = 0
    skipped: int = 0
    suggested: int = 0


def _skip_reasons(rows: list[dict]) -> dict[tuple[int, int], str]:
    """Why a rule opens nothing for a candidate: no address for mail or field, or the recipient
    has (or is about to get, from an earlier candidate) a task on that channel, open or failed:
    a rule does not repeat a channel; a person may."""
    reasons: dict[tuple[int, int], str] = {}
    opening: set[tuple[int, str]] = set()
    for row in rows:
        channel = Channel(row["open_channel"])
        reason = ""
        if channel in ADDRESS_CHANNELS and not row["has_address"]:
            reason = f"受送达人没有送达地址，未创建{channel.label}任务"
        elif row["already_tried"] or (row["recipient_id"], channel.value) in opening:
            reason = f"受送达人已有{channel.label}任务（未办结或已失败）"
        else:
            opening.add((row["recipient_id"], channel.value))
        reasons[row["rule_id"], row["id"]] = reason
    return reasons


async def _open_tasks(trigger: str, *, now: datetime, due_at: datetime, batch: int) -> tuple[int, int]:
    async with in_transaction():
        rows = await fetch(Attempt, _candidates_sql(trigger), now, batch, LOOKBACK)
        if not rows:
            return 0, 0
        reasons = _skip_reasons(rows)
        won = await fetch(EscalationFiring, _FIRE, now, [r["court_id"] for r in rows], [r["rule_id"] for r in rows],
                          [r["id"] for r in rows], [r["service_id"] for r in rows],
                          [r["recipient_id"] for r in rows], ["open_task"] * len(rows),
                          [reasons[r["rule_id"], r["id"]] for r in rows])
        won_keys = {(w["rule_id"], w["attempt_id"]) for w in won}
        to_open = [r for r in rows if (r["rule_id"], r["id"]) in won_keys and not reasons[r["rule_id"], r["id"]]]
        opened = await fetch(Attempt, _OPEN, now, due_at, [r["id"] for r in to_open],
                             [r["rule_id"] for r in to_open], [r["open_channel"] for r in to_open])
        opened_of = {(o["escalation_rule_id"], o["escalated_from_id"]): o["id"] for o in opened}
        if opened:
            await fetch(EscalationFiring, _OPENED, [o["escalation_rule_id"] for o in opened],
                        [o["escalated_from_id"] for o in opened], [o["id"] for o in opened])
        events = await insert_rows([
            event_row(EventType.TASK_ESCALATED, court_id=r["court_id"], service_id=r["service_id"],
                      recipient_id=r["recipient_id"], actor=Actor.system(), meta=RequestMeta.none(),
                      data={"attempt_id": opened_of.get((r["rule_id"], r["id"])), "channel": r["open_channel"],
                            "escalated_from": r["id"], "from_channel": r["channel"], "trigger": trigger,
                            "rule_id": r["rule_id"], "rule": r["rule_name"],
                            "skipped_reason": reasons[r["rule_id"], r["id"]]})
            for r in rows if (r["rule_id"], r["id"]) in won_keys])
        for event in events:
            await announce(event)
    return len(opened), len(events) - len(opened)


async def _suggest_announcements(*, now: datetime, batch: int) -> int:
    async with in_transaction():
        rows = await fetch(Attempt, _ALL_FAILED, now, batch, LOOKBACK)
        if not rows:
            return 0
        won = await fetch(EscalationFiring, _FIRE, now, [r["court_id"] for r in rows], [r["rule_id"] for r in rows],
                          [r["id"] for r in rows], [r["service_id"] for r in rows],
                          [r["recipient_id"] for r in rows], ["suggest_announcement"] * len(rows), [""] * len(rows))
        won_keys = {(w["rule_id"], w["attempt_id"]) for w in won}
        rows = [r for r in rows if (r["rule_id"], r["id"]) in won_keys]
        failed: dict[int, list[dict]] = {}
        for a in await fetch(Attempt, _FAILED_ATTEMPTS, sorted({r["recipient_id"] for r in rows})):
            failed.setdefault(a["recipient_id"], []).append({
                "attempt_id": a["id"], "channel": a["channel"], "failure_reason": a["failure_reason"],
                "failure_text": a["failure_text"], "closed_at": a["closed_at"].isoformat()})
        events = await insert_rows([
            event_row(EventType.ANNOUNCEMENT_SUGGESTED, court_id=r["court_id"], service_id=r["service_id"],
                      recipient_id=r["recipient_id"], actor=Actor.system(), meta=RequestMeta.none(),
                      data={"attempt_id": r["id"], "rule_id": r["rule_id"], "rule": r["rule_name"],
                            "failed_attempts": failed.get(r["recipient_id"], [])})
            for r in rows])
        for event in events:
            await announce(event)
    return len(events)


async def run_escalation_rules(*, now: datetime, due_days: int, batch: int = BATCH) -> EscalationPass:
    """One pass of every court's active rules, at most ``batch`` triggers per kind. Tasks are
    opened before the all-failed check, so a recipient who just got a next channel is not
    suggested for announcement."""
    due_at = now + timedelta(days=due_days)
    opened = skipped = 0
    for trigger in ("stalled", "failed"):
        o, s = await _open_tasks(trigger, now=now, due_at=due_at, batch=batch)
        opened, skipped = opened + o, skipped + s
    suggested = await _suggest_announcements(now=now, batch=batch)
    return EscalationPass(opened, skipped, suggested)


@dataclass(frozen=True)
class AnnouncementSuggestion:
    """A recipient every channel failed for, whom a rule suggested serving by announcement
    (公告送达), while that is still open: not served since, no announcement task yet, not revoked."""

    service_id: int
    case_number: str
    recipient_id: int
    recipient_name: str
    suggested_at: datetime
    rule: str
    failed_channels: tuple[Channel, ...]


_SUGGESTIONS = '''
SELECT "f"."service_id", "f"."recipient_id", "f"."created_at", "ru"."name" AS "rule", "c"."case_number",
       "rc"."name" AS "recipient_name",
       ARRAY(SELECT "x"."channel" FROM "attempt" "x" WHERE "x"."recipient_id" = "f"."recipient_id"
             AND "x"."outcome" = 'failed' ORDER BY "x"."id") AS "failed_channels"
FROM "escalation_firing" "f"
JOIN "escalation_rule" "ru" ON "ru"."id" = "f"."rule_id"
JOIN "recipient" "rc" ON "rc"."id" = "f"."recipient_id"
JOIN "service" "s" ON "s"."id" = "f"."service_id"
JOIN "court_case" "c" ON "c"."id" = "s"."case_id"
WHERE "f"."court_id" = $1 AND "f"."action" = 'suggest_announcement' AND "s"."status" <> 'revoked'
  AND NOT EXISTS (SELECT 1 FROM "attempt" "y" WHERE "y"."recipient_id" = "f"."recipient_id"
                  AND ("y"."outcome" = 'served' OR "y"."channel" = 'announcement'))
  AND NOT EXISTS (SELECT 1 FROM "delivery" "d" WHERE "d"."recipient_id" = "f"."recipient_id" AND "d"."state" = 'signed')
ORDER BY "f"."created_at" DESC, "f"."id" DESC LIMIT $2'''


async def announcement_suggestions(court_id: int, *, limit: int = 200) -> list[AnnouncementSuggestion]:
    """建议公告送达: what the clerk of ``court_id`` should consider serving by announcement."""
    rows = await fetch(EscalationFiring, _SUGGESTIONS, court_id, limit)
    return [AnnouncementSuggestion(r["service_id"], r["case_number"], r["recipient_id"], r["recipient_name"],
                                   r["created_at"], r["rule"], tuple(Channel(c) for c in r["failed_channels"]))
            for r in rows]

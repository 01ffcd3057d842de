"""What the attempts of given days add to 总体统计, as SQL: one definition, used twice. The roll-up
(centre/statistics_rollup.py) inserts its rows for finished days into the roll-up tables; the page
(centre/statistics.py) runs the same SELECTs over the days not rolled up (today, yesterday, days
changed since) and adds them to the rolled-up rows. Reach is the one exception: the page's live
part asks a narrower question (``reach_live``) than the roll-up stores (``reach``), with the same
answer; tests/centre/test_statistics_rollup.py holds both to the direct computation. Named
parameters (``:days``) are bound by ``bind``.
"""
from __future__ import annotations

import re
from typing import Any

# The statistics count an attempt on the Beijing calendar day it was created.
DAY = '(("a"."created_at" AT TIME ZONE \'Asia/Shanghai\')::date)'

# The attempts of ``:days``, found through the created_at indexes by their span [since, until).
OF_DAYS = f'"a"."created_at" >= :since AND "a"."created_at" < :until AND {DAY} = ANY(:days::date[])'

# Handling time (closed − created) in buckets: hours under a day, then whole days
# (centre/statistics_buckets.py reads them back).
_HOURS = 'greatest(extract(epoch FROM "a"."closed_at" - "a"."created_at"), 0) / 3600'
BUCKET = f'least(CASE WHEN {_HOURS} < 24 THEN floor({_HOURS}) ELSE 24 + floor(({_HOURS} - 24) / 24) END, 32000)::smallint'

CHANNEL_COLUMNS = ('"court_id"', '"centre_id"', '"channel"', '"status"', '"outcome"', '"method"')
STAFF_COLUMNS = ('"court_id"', '"centre_id"', '"assignee_id"', '"closed"', '"overdue"')
TIME_COLUMNS = ('"court_id"', '"centre_id"', '"channel"', '"bucket"')
REACH_COLUMNS = ('"scope_kind"', '"scope_id"', '"kind"', '"channel"', '"prev_day"')


def channel_facts(where: str) -> str:
    return (f'SELECT {DAY} AS "day", "a"."court_id", "a"."centre_id", "a"."channel", "a"."status", '
            f'"a"."outcome", "a"."method", count(*) AS "n" FROM "attempt" "a" WHERE {where} '
            'GROUP BY 1, 2, 3, 4, 5, 6, 7')


def staff_facts(where: str) -> str:
    # Closed after its due time is settled once closed; an open task past due is not (the page
    # counts those at the moment it is read).
    return (f'SELECT {DAY} AS "day", "a"."court_id", "a"."centre_id", "a"."assignee_id", '
            '("a"."status" = \'closed\') AS "closed", '
            'coalesce("a"."status" = \'closed\' AND "a"."closed_at" > "a"."due_at", FALSE) AS "overdue", '
            f'count(*) AS "n" FROM "attempt" "a" WHERE {where} AND "a"."assignee_id" IS NOT NULL '
            'GROUP BY 1, 2, 3, 4, 5, 6')


def handling_times(where: str) -> str:
    return (f'SELECT {DAY} AS "day", "a"."court_id", "a"."centre_id", "a"."channel", {BUCKET} AS "bucket", '
            f'count(*) AS "n" FROM "attempt" "a" WHERE {where} AND "a"."closed_at" IS NOT NULL '
            'GROUP BY 1, 2, 3, 4, 5')


# Reach: who (recipient), which case and which service's documents an attempt reached. The
# attempts of an entity are found through their recipients (attempt.recipient_id is indexed).
REACH_KINDS = ("recipient", "case", "document")
SCOPE_KINDS = ("court", "centre")
_ENTITY = {"recipient": '"a"."recipient_id"', "case": '"sv"."case_id"', "document": '"a"."service_id"'}
_RECIPIENTS_OF = {
    "recipient": 'SELECT "e" FROM "t"',
    "case": 'SELECT "r"."id" FROM "recipient" "r" JOIN "service" "s2" ON "s2"."id" = "r"."service_id" '
            'WHERE "s2"."case_id" IN (SELECT "e" FROM "t")',
    "document": 'SELECT "r"."id" FROM "recipient" "r" WHERE "r"."service_id" IN (SELECT "e" FROM "t")',
}


def reach(kind: str, scope_kind: str, where: str, *, scope_filter: str = "") -> str:
    """Rows (day, scope_kind, scope_id, kind, channel, prev_day, n) for the days in ``where``:
    per entity and channel (and any channel: null) each day it had an attempt, with the previous
    such day in the same court (or centre). ``scope_filter`` (on ``"a"``) keeps the history to
    one court or centre when the page asks for one."""
    entity, column = _ENTITY[kind], f'"a"."{scope_kind}_id"'
    weight = 'sum("dc"."n")' if kind == "document" else "count(*)"
    documents = ('JOIN (SELECT "service_id", count(*) AS "n" FROM "service_document" WHERE "service_id" IN '
                 '(SELECT "e" FROM "t") GROUP BY 1) "dc" ON "dc"."service_id" = "m"."e" ') if kind == "document" else ""
    scoped = f" AND {scope_filter}" if scope_filter else ""
    return (
        f'WITH "t" AS MATERIALIZED (SELECT DISTINCT {entity} AS "e" FROM "attempt" "a" '
        f'JOIN "service" "sv" ON "sv"."id" = "a"."service_id" WHERE {where}), '
        f'"h" AS MATERIALIZED (SELECT DISTINCT {DAY} AS "day", {column} AS "scope_id", {entity} AS "e", "a"."channel" '
        f'FROM "attempt" "a" JOIN "service" "sv" ON "sv"."id" = "a"."service_id" '
        f'WHERE "a"."recipient_id" IN ({_RECIPIENTS_OF[kind]}) AND "a"."created_at" < :until '
        f'AND {column} IS NOT NULL{scoped}), '
        '"m" AS (SELECT "day", "scope_id", "e", "channel"::varchar AS "channel", '
        'lag("day") OVER (PARTITION BY "scope_id", "e", "channel" ORDER BY "day") AS "prev" FROM "h" '
        'UNION ALL SELECT "day", "scope_id", "e", NULL, lag("day") OVER (PARTITION BY "scope_id", "e" ORDER BY "day") '
        'FROM (SELECT DISTINCT "day", "scope_id", "e" FROM "h") "x") '
        f'SELECT "m"."day", \'{scope_kind}\'::varchar AS "scope_kind", "m"."scope_id", \'{kind}\'::varchar AS "kind", '
        f'"m"."channel", "m"."prev" AS "prev_day", {weight} AS "n" FROM "m" {documents}'
        'WHERE "m"."day" = ANY(:days::date[]) GROUP BY 1, 2, 3, 4, 5, 6')


# The page's live part needs no previous day: an entity counts on a live day when that is its first
# day in the range (the roll-up's rows count it on a rolled-up day only when that one is: prev_day
# before the range). So: the entities the live days reached, their first day in the range (found
# from the entity through its recipients' attempts), kept when it is a live day.
_ATTEMPTS_OF = {
    "recipient": 'JOIN "attempt" "a" ON "a"."recipient_id" = "t"."e"',
    "case": 'JOIN "service" "s2" ON "s2"."case_id" = "t"."e" JOIN "recipient" "r" ON "r"."service_id" = "s2"."id" '
            'JOIN "attempt" "a" ON "a"."recipient_id" = "r"."id"',
    "document": 'JOIN "recipient" "r" ON "r"."service_id" = "t"."e" JOIN "attempt" "a" ON "a"."recipient_id" = "r"."id"',
}


def reach_live(kind: str, where: str, *, scope_filter: str) -> str:
    """Rows (kind, channel, prev_day: null, n) of the entities whose first day in the range
    [:span_since, :span_until) is one of the live days in ``where``."""
    weight = 'sum("dc"."n")' if kind == "document" else "count(*)"
    documents = ('JOIN (SELECT "service_id", count(*) AS "n" FROM "service_document" WHERE "service_id" IN '
                 '(SELECT "e" FROM "t") GROUP BY 1) "dc" ON "dc"."service_id" = "f"."e" ') if kind == "document" else ""
    return (
        f'WITH "t" AS MATERIALIZED (SELECT DISTINCT {_ENTITY[kind]} AS "e" FROM "attempt" "a" '
        f'JOIN "service" "sv" ON "sv"."id" = "a"."service_id" WHERE {where}), '
        f'"f" AS (SELECT "t"."e", "a"."channel"::varchar AS "channel", min({DAY}) AS "first" FROM "t" {_ATTEMPTS_OF[kind]} '
        f'WHERE "a"."created_at" >= :span_since AND "a"."created_at" < :span_until AND {scope_filter} '
        'GROUP BY GROUPING SETS (("t"."e", "a"."channel"), ("t"."e"))) '
        f'SELECT \'{kind}\'::varchar AS "kind", "f"."channel", NULL::date AS "prev_day", {weight} AS "n" '
        f'FROM "f" {documents}WHERE "f"."first" = ANY(:days::date[]) GROUP BY 2')


_NAME = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def bind(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` placeholders (not ``::type`` casts) to asyncpg's ``$n``, with the values in order."""
    order: list[str] = []

    def number(match: re.Match) -> str:
        name = match.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    text = _NAME.sub(number, sql)
    return text, [params[name] for name in order]

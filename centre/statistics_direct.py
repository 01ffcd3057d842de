"""总体统计 straight from the attempts: the reference the roll-up is checked against.

The page reads the roll-up (centre/statistics.py); this computes the same figures from the
``attempt`` table alone, in three set-based statements, with exact quantiles
(``percentile_cont``). The tests compare the two on random data, and bench/centre_statistics.py
times both. Distinct recipients, cases and documents come from one hash group per recipient
carrying its channels as a bit mask.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from centre.scope import Scope
from centre.staff import display_names
from centre.statistics import (
    SESSION,
    CentreStatistics,
    ChannelFigures,
    Period,
    StaffFigures,
    add_attempts,
    check_scope,
)
from service.choices import Channel, TaskStatus
from service.models import Attempt


def _where(scope: Scope) -> tuple[str, list]:
    check_scope(scope)
    condition, params = scope.sql("a", 1)
    n = len(params)
    return (f'{condition} AND "a"."created_at" >= ${n + 1} AND "a"."created_at" < ${n + 2}', params)


# One pass of small hash groups: per channel counts, pickup routes and the staff figures.
_FACTS = (
    'SELECT "a"."channel", "a"."status", "a"."outcome", "a"."method", "a"."assignee_id", '
    '("a"."assignee_id" IS NOT NULL AND (("a"."status" <> \'closed\' AND "a"."due_at" < ${now}) '
    'OR ("a"."status" = \'closed\' AND "a"."closed_at" > "a"."due_at"))) AS "overdue", count(*) AS "n" '
    'FROM "attempt" "a" WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6')

# Handling time: one sort per group for both quantiles.
_TIMES = (
    'SELECT "a"."channel", GROUPING("a"."channel") AS "total", '
    'percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY "a"."closed_at" - "a"."created_at") AS "q" '
    'FROM "attempt" "a" WHERE {where} AND "a"."closed_at" IS NOT NULL GROUP BY GROUPING SETS (("a"."channel"), ())')

# Who and what was reached: distinct recipients, cases and documents, per channel and overall.
# Each recipient (then service, then case) is one hash group carrying the channels it was tried on
# as a bit mask, so a distinct count per channel is a filtered count over far fewer rows than the
# attempts. A service's documents count once per channel that tried any of its recipients.
_BITS = {channel: 1 << i for i, channel in enumerate(Channel)}
_CHANNEL_BIT = "CASE \"a\".\"channel\" " + " ".join(
    f"WHEN '{c.value}' THEN {bit}" for c, bit in _BITS.items()) + " ELSE 0 END"


_M, _SM = '"m"', '"s"."m"'


def _per_channel(column: str, mask: str) -> str:
    return ", ".join(f'count(*) FILTER (WHERE {mask} & {bit} <> 0) AS "{column}_{c.value}"'
                     for c, bit in _BITS.items())


_REACH = (
    'WITH "r" AS MATERIALIZED (SELECT "a"."recipient_id", min("a"."service_id") AS "service_id", '
    f'bit_or({_CHANNEL_BIT}) AS "m" FROM "attempt" "a" WHERE {{where}} GROUP BY 1), '
    '"s" AS MATERIALIZED (SELECT "service_id", bit_or("m") AS "m" FROM "r" GROUP BY 1), '
    '"k" AS (SELECT "sv"."case_id", bit_or("s"."m") AS "m" FROM "s" JOIN "service" "sv" ON "sv"."id" = "s"."service_id" '
    'GROUP BY 1) '
    f'SELECT (SELECT count(*) FROM "r") AS "recipients", (SELECT row_to_json("x") FROM (SELECT '
    f'{_per_channel("recipients", _M)} FROM "r") "x") AS "by_recipients", '
    f'(SELECT count(*) FROM "k") AS "cases", (SELECT row_to_json("x") FROM (SELECT '
    f'{_per_channel("cases", _M)} FROM "k") "x") AS "by_cases", '
    '(SELECT row_to_json("x") FROM (SELECT count(*) AS "documents", '
    f'{_per_channel("documents", _SM)} '
    'FROM "s" JOIN "service_document" "sd" ON "sd"."service_id" = "s"."service_id") "x") AS "by_documents"')

async def direct_statistics(scope: Scope, span: Period, *, now: datetime) -> CentreStatistics:
    where, params = _where(scope)
    params = [*params, span.since, span.until]
    figures = {c: ChannelFigures(c) for c in Channel}
    total = ChannelFigures(None)
    # Three scans of the range, each on its own connection: the page waits for the slowest.
    facts, times, reach = await asyncio.gather(
        _run(_FACTS.format(where=where, now=len(params) + 1), *params, now),
        _run(_TIMES.format(where=where), *params), _run(_REACH.format(where=where), *params))
    staff: dict[int, list[int]] = {}
    for row in facts:
        add_attempts(row, figures, total)
        n, closed = row["n"], row["status"] == TaskStatus.CLOSED.value
        if row["assignee_id"] is not None:
            counts = staff.setdefault(row["assignee_id"], [0, 0, 0])
            counts[0] += n
            counts[1] += n if closed else 0
            counts[2] += n if row["overdue"] else 0
    for row in times:
        if row["q"] is None:   # the empty grouping set of a range with nothing closed
            continue
        f = total if row["total"] else figures[Channel(row["channel"])]
        f.median_hours, f.p90_hours = (_hours(q) for q in row["q"])
    row = reach[0]
    by = {key: json.loads(row[key]) if isinstance(row[key], str) else row[key]
          for key in ("by_recipients", "by_cases", "by_documents")}
    total.recipients, total.cases, total.documents = row["recipients"], row["cases"], by["by_documents"]["documents"]
    for channel, f in figures.items():
        f.recipients = by["by_recipients"][f"recipients_{channel.value}"]
        f.cases = by["by_cases"][f"cases_{channel.value}"]
        f.documents = by["by_documents"][f"documents_{channel.value}"]
    names = await display_names(set(staff))
    people = sorted((StaffFigures(sid, names.get(sid, "—"), *counts) for sid, counts in staff.items()),
                    key=lambda s: (-s.workload, s.name, s.staff_id))
    for f in (*figures.values(), total):
        f.routes = dict(sorted(f.routes.items(), key=lambda kv: -kv[1]))
    return CentreStatistics(span, [*figures.values(), total], people)


async def _run(sql: str, *params) -> list[dict]:
    async with in_transaction(Attempt._meta.default_connection) as connection:
        await connection.execute_script(SESSION)
        return await connection.execute_query_dict(sql, list(params))


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)

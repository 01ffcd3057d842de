"""Keeping the 总体统计 roll-up (centre/statistics_models.py): a periodic task of the jobs loop.

Each pass, in one transaction: the days marked dirty since they were rolled up (every day from a
cascading mark on), and the next days not yet rolled up (a bounded batch, so a first run over
years of attempts is many short passes), are recomputed from the attempts with the page's own
SQL (centre/statistics_sql.py); the months they fall in are summed again from their days; the
dirty marks seen are deleted. A day is rolled up once it is two days old (Beijing): a write that
began on the day before still lands in the live part, and the trigger logs writes to older days.

The transaction is REPEATABLE READ, so the recomputation and the deletion of dirty marks see the
same snapshot: a mark committed after it (or by a write the snapshot misses) survives to the next
pass. An advisory lock keeps two workers from rolling at once. Until a pass has run the page
computes those days live: nothing is lost while the worker is down, only time.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from centre import statistics_sql as q
from centre.statistics import BEIJING, ROLLUP_SESSION, Period
from service.models import Attempt

BATCH_DAYS = 31
LOCK_KEY = 0x5354_4154   # pg advisory lock: one roll-up at a time across workers
GRACE_DAYS = 2

_TABLES = {
    "statistics_channel_facts": (q.channel_facts, q.CHANNEL_COLUMNS),
    "statistics_staff_facts": (q.staff_facts, q.STAFF_COLUMNS),
    "statistics_handling_time": (q.handling_times, q.TIME_COLUMNS),
}


def last_rollable_day(now: datetime) -> date:
    return now.astimezone(BEIJING).date() - timedelta(days=GRACE_DAYS)


async def roll_up_statistics(*, now: datetime, batch_days: int = BATCH_DAYS) -> int:
    """One pass; returns how many days it rolled up (0: nothing to do, or another worker is on it)."""
    last = last_rollable_day(now)
    async with in_transaction(Attempt._meta.default_connection) as connection:
        await connection.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        await connection.execute_script(ROLLUP_SESSION)

        async def rows(sql: str, params: dict | None = None) -> list[dict]:
            text, values = q.bind(sql, params or {})
            return await connection.execute_query_dict(text, values)

        if not (await rows("SELECT pg_try_advisory_xact_lock(:key) AS \"ok\"", {"key": LOCK_KEY}))[0]["ok"]:
            return 0
        days, seen = await _days_to_roll(rows, last, batch_days)
        if not days:
            return 0
        await _roll_days(rows, days, now)
        await _roll_months(rows, days)
        if seen is not None:
            await rows('DELETE FROM "statistics_dirty_day" WHERE "id" <= :seen AND "day" <= :last',
                       {"seen": seen, "last": last})
        return len(days)


async def _days_to_roll(rows, last: date, batch_days: int) -> tuple[list[date], int | None]:
    marks = (await rows(
        'SELECT max("id") AS "seen", min("day") FILTER (WHERE "cascade") AS "cascade_from", '
        'array_agg(DISTINCT "day") FILTER (WHERE NOT "cascade") AS "dirty", '
        '(SELECT min("day") FROM "statistics_day") AS "rolled_from" FROM "statistics_dirty_day"'))[0]
    todo = {d for d in marks["dirty"] or () if d <= last}
    cascade_from = marks["cascade_from"]
    if cascade_from is not None and cascade_from <= last:
        todo.add(cascade_from)
        todo |= {r["day"] for r in await rows('SELECT "day" FROM "statistics_day" WHERE "day" >= :d',
                                              {"d": cascade_from})}
    first = marks["rolled_from"] or await _first_day(rows)
    if first is not None:
        # The days not rolled up yet, oldest first (a first run over years is many passes).
        missing = await rows('SELECT "d"::date AS "day" FROM generate_series(:first::date, :last::date, '
                             '\'1 day\') "d" WHERE NOT EXISTS (SELECT 1 FROM "statistics_day" "s" '
                             'WHERE "s"."day" = "d"::date) ORDER BY 1 LIMIT :batch',
                             {"first": first, "last": last, "batch": batch_days})
        todo |= {r["day"] for r in missing}
    return sorted(todo), marks["seen"]


async def _first_day(rows) -> date | None:
    # Once, before anything is rolled up: where the attempts begin.
    found = await rows('SELECT (min("created_at") AT TIME ZONE \'Asia/Shanghai\')::date AS "day" FROM "attempt"')
    return found[0]["day"]


async def _roll_days(rows, days: list[date], now: datetime) -> None:
    span = Period(days[0], days[-1])
    params = {"days": days, "since": span.since, "until": span.until}
    for table, (select, columns) in _TABLES.items():
        await rows(f'DELETE FROM "{table}" WHERE NOT "by_month" AND "day" = ANY(:days::date[])', params)
        await rows(_insert_days(table, columns, select(q.OF_DAYS)), params)
    await rows('DELETE FROM "statistics_reach" WHERE NOT "by_month" AND "day" = ANY(:days::date[])', params)
    for scope_kind in q.SCOPE_KINDS:
        for kind in q.REACH_KINDS:
            await rows(_insert_days("statistics_reach", q.REACH_COLUMNS, q.reach(kind, scope_kind, q.OF_DAYS)), params)
    await rows('INSERT INTO "statistics_day" ("day", "rolled_at") SELECT unnest(:days::date[]), :now '
               'ON CONFLICT ("day") DO UPDATE SET "rolled_at" = EXCLUDED."rolled_at"', {**params, "now": now})


def _insert_days(table: str, columns: tuple[str, ...], select: str) -> str:
    names = ", ".join(columns)
    return (f'INSERT INTO "{table}" ("day", "by_month", {names}, "n") '
            f'SELECT "day", FALSE, {names}, "n" FROM ({select}) "x"')


async def _roll_months(rows, days: list[date]) -> None:
    months = sorted({d.replace(day=1) for d in days})
    params = {"months": months, "low": months[0], "high": (months[-1] + timedelta(days=31)).replace(day=1)}
    month = 'date_trunc(\'month\', "day")::date'
    for table, columns in [*((t, c) for t, (_, c) in _TABLES.items()), ("statistics_reach", q.REACH_COLUMNS)]:
        names = ", ".join(columns)
        await rows(f'DELETE FROM "{table}" WHERE "by_month" AND "day" = ANY(:months::date[])', params)
        await rows(f'INSERT INTO "{table}" ("day", "by_month", {names}, "n") '
                   f'SELECT {month}, TRUE, {names}, sum("n") FROM "{table}" WHERE NOT "by_month" '
                   f'AND "day" >= :low AND "day" < :high AND {month} = ANY(:months::date[]) '
                   f'GROUP BY 1, {", ".join(str(i + 3) for i in range(len(columns)))}', params)

"""总体统计: per channel and per staff member, for attempts created in a date range.

Per channel: cases initiated (发起送达案件数), recipients (受送达人次), documents (文书数量: the
documents of the services that used the channel), pickup route (领取途径: electronic service by
the channel signed on, tasks by how they served), attempts (送达次数), handling time (median and
p90 of closed − created, PostgreSQL's ``percentile_cont``) and success share (served / closed).
Per staff member: workload (tasks given to them), closed, overdue (open past due, or closed after
it). Three set-based statements over the ``attempt`` table, each scoped in its WHERE clause (a
court's staff: the court; a dispatcher: the centre), with the totals in the same statement: the
counts by small hash groups, the handling-time quantiles (one sort per channel), and the distinct
recipients, cases and documents reached.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from centre.scope import Scope
from centre.staff import display_names
from core.errors import Forbidden, ValidationFailed
from service.choices import ELECTRONIC_CHANNELS, Channel, Outcome, ServiceMethod, TaskStatus
from service.models import Attempt

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class Period:
    """Beijing calendar days ``start``..``end`` (both included) as ``[since, until)``."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=BEIJING)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BEIJING)


def parse_day(value: str | None, field_name: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(f"{field_name}格式应为 年-月-日，如 2024-05-01", code="bad_date") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:   # also keeps the range's ends off datetime's limits
        raise ValidationFailed(f"{field_name}应在{FIRST_YEAR}年至{LAST_YEAR}年之间", code="bad_date")
    return day


def period(start: str | None, end: str | None, *, today: date) -> Period:
    """The range a page asked for: by default the last 30 days up to ``today``."""
    first, last = parse_day(start, "开始日期"), parse_day(end, "结束日期")
    last = last or today
    first = first or last - timedelta(days=29)
    if first > last:
        raise ValidationFailed("开始日期不能晚于结束日期", code="bad_range")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"统计区间不能超过{MAX_DAYS}天", code="range_too_long")
    return Period(first, last)


@dataclass
class ChannelFigures:
    channel: Channel | None          # None: every channel together
    cases: int = 0
    recipients: int = 0
    documents: int = 0
    attempts: int = 0
    closed: int = 0
    served: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    routes: dict[str, int] = field(default_factory=dict)   # 领取途径 label → served attempts

    @property
    def label(self) -> str:
        return self.channel.label if self.channel else "合计"

    @property
    def success_share(self) -> float | None:
        return self.served / self.closed if self.closed else None


@dataclass(frozen=True)
class StaffFigures:
    staff_id: int
    name: str
    workload: int
    closed: int
    overdue: int


@dataclass
class CentreStatistics:
    period: Period
    channels: list[ChannelFigures]       # every channel, in Channel order, then the total
    staff: list[StaffFigures]

    @property
    def total(self) -> ChannelFigures:
        return self.channels[-1]

    @property
    def routes(self) -> dict[str, int]:
        return self.total.routes


def _where(scope: Scope) -> tuple[str, list]:
    if scope.assignee_id is not None:
        raise Forbidden("送达员不能查看总体统计", code="role_forbidden")
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

# A year of attempts is hashed and sorted in memory rather than in temporary files; these are
# whole-range aggregates, where JIT compilation costs more than it saves and a nested loop (the
# planner misjudging a DISTINCT's size) is never the right join.
SESSION = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL enable_nestloop = off"


def route_label(channel: Channel, method: ServiceMethod | None) -> str:
    """领取途径: the electronic channel signed on, or how a task served."""
    if channel in ELECTRONIC_CHANNELS:
        return f"电子送达·{channel.label}"
    return method.label if method else "—"


async def centre_statistics(scope: Scope, span: Period, *, now: datetime) -> CentreStatistics:
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
        channel, n = Channel(row["channel"]), row["n"]
        closed, served = row["status"] == TaskStatus.CLOSED.value, row["outcome"] == Outcome.SERVED.value
        for f in (figures[channel], total):
            f.attempts += n
            f.closed += n if closed else 0
            f.served += n if served else 0
            if served:
                label = route_label(channel, ServiceMethod(row["method"]) if row["method"] else None)
                f.routes[label] = f.routes.get(label, 0) + n
        if row["assignee_id"] is not None:
            counts = staff.setdefault(row["assignee_id"], [0, 0, 0])
            counts[0] += n
            counts[1] += n if closed else 0
            counts[2] += n if row["overdue"] else 0
    for row in times:
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

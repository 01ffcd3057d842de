"""总体统计: per channel and per staff member, for attempts created in a date range.

Per channel: cases initiated (发起送达案件数), recipients (受送达人次), documents (文书数量: the
documents of the services that used the channel), pickup route (领取途径: electronic service by
the channel signed on, tasks by how they served), attempts (送达次数), handling time (median and
p90 of closed − created, PostgreSQL's ``percentile_cont``) and success share (served / closed).
Per staff member: workload (tasks given to them), closed, overdue (open past due, or closed after
it). Every figure is one set-based statement over the ``attempt`` table, scoped in its WHERE
clause (a court's staff: the court; a dispatcher: the centre), with the total from the same
statement (``GROUPING SETS``), so a year of a province's attempts stays one scan.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from centre.scope import Scope
from centre.staff import display_names
from core.errors import Forbidden, ValidationFailed
from core.sql import fetch
from service.choices import ELECTRONIC_CHANNELS, Channel, ServiceMethod
from service.models import Attempt

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366


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
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed(f"{field_name}格式应为 年-月-日，如 2024-05-01", code="bad_date") from None


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


_HOURS = 'EXTRACT(EPOCH FROM "a"."closed_at" - "a"."created_at") / 3600.0'

_BY_CHANNEL = (
    'SELECT "a"."channel", GROUPING("a"."channel") AS "total", count(*) AS "attempts", '
    'count(DISTINCT "a"."recipient_id") AS "recipients", '
    'count(*) FILTER (WHERE "a"."status" = \'closed\') AS "closed", '
    'count(*) FILTER (WHERE "a"."outcome" = \'served\') AS "served", '
    f'percentile_cont(0.5) WITHIN GROUP (ORDER BY {_HOURS}) FILTER (WHERE "a"."closed_at" IS NOT NULL) AS "median", '
    f'percentile_cont(0.9) WITHIN GROUP (ORDER BY {_HOURS}) FILTER (WHERE "a"."closed_at" IS NOT NULL) AS "p90" '
    'FROM "attempt" "a" WHERE {where} GROUP BY GROUPING SETS (("a"."channel"), ())')

# Cases and documents: a service's documents count once per channel however many of its
# recipients that channel tried, and once in the total however many channels it used.
_CASES = (
    'WITH "s" AS (SELECT DISTINCT "a"."channel", "a"."service_id" FROM "attempt" "a" WHERE {where}), '
    '"v" AS (SELECT "sv"."id" AS "service_id", "sv"."case_id", (SELECT count(*) FROM "service_document" "sd" '
    'WHERE "sd"."service_id" = "sv"."id") AS "n" FROM "service" "sv" '
    'WHERE "sv"."id" IN (SELECT "service_id" FROM "s")) '
    'SELECT "s"."channel", 0 AS "total", count(DISTINCT "v"."case_id") AS "cases", sum("v"."n") AS "documents" '
    'FROM "s" JOIN "v" ON "v"."service_id" = "s"."service_id" GROUP BY "s"."channel" '
    'UNION ALL SELECT NULL, 1, count(DISTINCT "v"."case_id"), COALESCE(sum("v"."n"), 0) FROM "v"')

_ROUTES = ('SELECT "a"."channel", "a"."method", count(*) AS "n" FROM "attempt" "a" '
           'WHERE {where} AND "a"."outcome" = \'served\' GROUP BY "a"."channel", "a"."method"')

_STAFF = (
    'SELECT "a"."assignee_id", count(*) AS "workload", '
    'count(*) FILTER (WHERE "a"."status" = \'closed\') AS "closed", '
    'count(*) FILTER (WHERE ("a"."status" <> \'closed\' AND "a"."due_at" < ${now}) '
    'OR ("a"."status" = \'closed\' AND "a"."closed_at" > "a"."due_at")) AS "overdue" '
    'FROM "attempt" "a" WHERE {where} AND "a"."assignee_id" IS NOT NULL GROUP BY "a"."assignee_id"')


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

    def row_of(row) -> ChannelFigures:
        return total if row["total"] else figures[Channel(row["channel"])]

    for row in await fetch(Attempt, _BY_CHANNEL.format(where=where), *params):
        f = row_of(row)
        f.attempts, f.recipients, f.closed, f.served = row["attempts"], row["recipients"], row["closed"], row["served"]
        f.median_hours = _hours(row["median"])
        f.p90_hours = _hours(row["p90"])
    for row in await fetch(Attempt, _CASES.format(where=where), *params):
        f = row_of(row)
        f.cases, f.documents = row["cases"], int(row["documents"])
    for row in await fetch(Attempt, _ROUTES.format(where=where), *params):
        channel = Channel(row["channel"])
        label = route_label(channel, ServiceMethod(row["method"]) if row["method"] else None)
        for f in (figures[channel], total):
            f.routes[label] = f.routes.get(label, 0) + row["n"]
    staff_rows = await fetch(Attempt, _STAFF.format(where=where, now=len(params) + 1), *params, now)
    names = await display_names({row["assignee_id"] for row in staff_rows})
    staff = sorted((StaffFigures(row["assignee_id"], names.get(row["assignee_id"], "—"), row["workload"],
                                 row["closed"], row["overdue"]) for row in staff_rows),
                   key=lambda s: (-s.workload, s.name, s.staff_id))
    return CentreStatistics(span, [*figures.values(), total], staff)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)

"""总体统计: per channel and per staff member, for attempts created in a date range.

Per channel: cases initiated (发起送达案件数), recipients (受送达人次), documents (文书数量: the
documents of the services that used the channel), pickup route (领取途径: electronic service by
the channel signed on, tasks by how they served), attempts (送达次数), handling time (median and
p90 of closed − created, from bucketed histograms: centre/statistics_buckets.py) and success share
(served / closed). Per staff member: workload (tasks given to them), closed, overdue (open past
due, or closed after it). Scoped by court (a court's staff) or centre (a dispatcher).

The figures are sums: of the roll-up's month and day rows for the days rolled up and unchanged
since (centre/statistics_rollup.py), and of the same rows computed live from the attempts for the
rest (today, yesterday, days changed since their roll-up, everything while the worker is behind):
centre/statistics_sql.py is the one definition of both. Open tasks past due are counted live.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from centre import statistics_sql as q
from centre.scope import Scope
from centre.staff import display_names
from centre.statistics_buckets import PRECISION_NOTE, quantile
from centre.statistics_plan import ReadPlan, RollupState, read_plan
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
    rolled_at: datetime | None = None    # when the roll-up last ran (None: never)
    live_days: int = 0                   # days of the range computed from the attempts
    precision_note: str = PRECISION_NOTE

    @property
    def total(self) -> ChannelFigures:
        return self.channels[-1]

    @property
    def routes(self) -> dict[str, int]:
        return self.total.routes


# A year of attempts is hashed and sorted in memory rather than in temporary files; these are
# whole-range aggregates, where JIT compilation costs more than it saves and a nested loop (the
# planner misjudging a DISTINCT's size) is never the right join.
SESSION = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL enable_nestloop = off"
# The page and the roll-up read few rows, or the attempts of a few days and their entities' other
# attempts by index: nested loops are right there, so only the memory and the JIT are set.
ROLLUP_SESSION = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"


def route_label(channel: Channel, method: ServiceMethod | None) -> str:
    """领取途径: the electronic channel signed on, or how a task served."""
    if channel in ELECTRONIC_CHANNELS:
        return f"电子送达·{channel.label}"
    return method.label if method else "—"


def check_scope(scope: Scope) -> None:
    if scope.assignee_id is not None:
        raise Forbidden("送达员不能查看总体统计", code="role_forbidden")


_STATE = (
    'SELECT (SELECT array_agg("day") FROM "statistics_day" WHERE "day" BETWEEN :start AND :end) AS "rolled", '
    '(SELECT array_agg(DISTINCT "day") FROM "statistics_dirty_day" WHERE NOT "cascade" '
    'AND "day" BETWEEN :start AND :end) AS "dirty", '
    '(SELECT min("day") FROM "statistics_dirty_day" WHERE "cascade") AS "cascade_from", '
    '(SELECT max("rolled_at") FROM "statistics_day") AS "rolled_at"')

_FROM_ROLLUP = ('((NOT "f"."by_month" AND "f"."day" = ANY(:rolled::date[])) '
                'OR ("f"."by_month" AND "f"."day" = ANY(:months::date[])))')
_FIRST_REACH = ' AND ("prev_day" IS NULL OR "prev_day" < :start)'


def _combined(columns: str, table: str, rolled_scope: str, live: str, extra: str = "") -> str:
    return (f'SELECT {columns}, sum("n")::bigint AS "n" FROM ('
            f'SELECT {columns}, "n" FROM "{table}" "f" WHERE {rolled_scope} AND {_FROM_ROLLUP}{extra} '
            f'UNION ALL SELECT {columns}, "n" FROM ({live}) "z" WHERE TRUE{extra}) "u" GROUP BY {columns}')


def _statements(scope: Scope) -> dict[str, str]:
    kind = "court" if scope.court_id is not None else "centre"
    column = f'"{kind}_id"'
    live = f'{q.OF_DAYS} AND "a".{column} = :scope_id'
    rolled = f'"f".{column} = :scope_id'
    statements = {
        "channels": _combined('"channel", "status", "outcome", "method"', "statistics_channel_facts", rolled,
                              q.channel_facts(live)),
        "staff": _combined('"assignee_id", "closed", "overdue"', "statistics_staff_facts", rolled,
                           q.staff_facts(live)),
        "times": _combined('"channel", "bucket"', "statistics_handling_time", rolled, q.handling_times(live)),
    }
    # Reach, one statement per kind so they run side by side: the live part looks up every
    # earlier attempt of each entity the live days reached.
    for k in q.REACH_KINDS:
        statements[f"reach_{k}"] = _combined(
            '"kind", "channel"', "statistics_reach",
            f'"f"."scope_kind" = \'{kind}\' AND "f"."scope_id" = :scope_id AND "f"."kind" = \'{k}\'',
            q.reach_live(k, live, scope_filter=f'"a".{column} = :scope_id'), _FIRST_REACH)
    return {
        **statements,
        # Open past due depends on the moment of reading: counted live over the whole range (the
        # partial indexes of migration 0013 hold just these tasks).
        "open_overdue": (f'SELECT "a"."assignee_id", count(*) AS "n" FROM "attempt" "a" WHERE "a".{column} = :scope_id '
                         'AND "a"."created_at" >= :span_since AND "a"."created_at" < :span_until '
                         'AND "a"."status" <> \'closed\' AND "a"."assignee_id" IS NOT NULL AND "a"."due_at" < :now '
                         'GROUP BY 1'),
    }


async def rollup_state(span: Period) -> tuple[RollupState, datetime | None]:
    sql, params = q.bind(_STATE, {"start": span.start, "end": span.end})
    row = (await _run(sql, params))[0]
    state = RollupState(frozenset(row["rolled"] or ()), frozenset(row["dirty"] or ()), row["cascade_from"])
    return state, row["rolled_at"]


def _plan_params(plan: ReadPlan) -> dict:
    if plan.live:
        since, until = Period(min(plan.live), max(plan.live)).since, Period(min(plan.live), max(plan.live)).until
    else:   # an empty range of the index
        since = until = datetime(2000, 1, 1, tzinfo=BEIJING)
    return {"rolled": plan.days, "months": plan.months, "days": plan.live, "since": since, "until": until}


async def centre_statistics(scope: Scope, span: Period, *, now: datetime) -> CentreStatistics:
    check_scope(scope)
    state, rolled_at = await rollup_state(span)
    plan = read_plan(span.start, span.end, state)
    # Reach depends only on which attempts exist; a change that adds, removes or moves one
    # cascades, so a day merely dirty keeps its reach rows.
    reach_plan = read_plan(span.start, span.end, RollupState(state.rolled, cascade_from=state.cascade_from))
    common = {"scope_id": scope.court_id if scope.court_id is not None else scope.centre_id, "start": span.start,
              "span_since": span.since, "span_until": span.until, "now": now}
    statements = _statements(scope)
    # Each on its own connection: the page waits for the slowest.
    results = await asyncio.gather(*(
        _run(*q.bind(sql, {**common, **_plan_params(reach_plan if name.startswith("reach") else plan)}))
        for name, sql in statements.items()))
    rows = dict(zip(statements, results, strict=True))
    figures = {c: ChannelFigures(c) for c in Channel}
    total = ChannelFigures(None)
    for row in rows["channels"]:
        add_attempts(row, figures, total)
    _handling_times(rows["times"], figures, total)
    for row in (r for name in statements if name.startswith("reach") for r in rows[name]):
        f = total if row["channel"] is None else figures[Channel(row["channel"])]
        setattr(f, {"recipient": "recipients", "case": "cases", "document": "documents"}[row["kind"]], row["n"])
    for f in (*figures.values(), total):
        f.routes = dict(sorted(f.routes.items(), key=lambda kv: -kv[1]))
    people = await _staff(rows["staff"], rows["open_overdue"])
    return CentreStatistics(span, [*figures.values(), total], people, rolled_at=rolled_at, live_days=len(plan.live))


def add_attempts(row: dict, figures: dict[Channel, ChannelFigures], total: ChannelFigures) -> None:
    """Count one row of attempts (channel, status, outcome, method, n) into its channel and the total."""
    channel, n = Channel(row["channel"]), row["n"]
    closed, served = row["status"] == TaskStatus.CLOSED.value, row["outcome"] == Outcome.SERVED.value
    for f in (figures[channel], total):
        f.attempts += n
        f.closed += n if closed else 0
        f.served += n if served else 0
        if served:
            label = route_label(channel, ServiceMethod(row["method"]) if row["method"] else None)
            f.routes[label] = f.routes.get(label, 0) + n


def _handling_times(rows: list[dict], figures: dict[Channel, ChannelFigures], total: ChannelFigures) -> None:
    histograms: dict[Channel | None, dict[int, int]] = {}
    for row in rows:
        for key in (Channel(row["channel"]), None):
            histogram = histograms.setdefault(key, {})
            histogram[row["bucket"]] = histogram.get(row["bucket"], 0) + row["n"]
    for key, histogram in histograms.items():
        f = total if key is None else figures[key]
        f.median_hours, f.p90_hours = quantile(histogram, 0.5), quantile(histogram, 0.9)


async def _staff(facts: list[dict], open_overdue: list[dict]) -> list[StaffFigures]:
    staff: dict[int, list[int]] = {}
    for row in facts:
        counts = staff.setdefault(row["assignee_id"], [0, 0, 0])
        counts[0] += row["n"]
        counts[1] += row["n"] if row["closed"] else 0
        counts[2] += row["n"] if row["overdue"] else 0
    for row in open_overdue:
        staff.setdefault(row["assignee_id"], [0, 0, 0])[2] += row["n"]
    names = await display_names(set(staff))
    return sorted((StaffFigures(sid, names.get(sid, "—"), *counts) for sid, counts in staff.items()),
                  key=lambda s: (-s.workload, s.name, s.staff_id))


async def _run(sql: str, params: list) -> list[dict]:
    async with in_transaction(Attempt._meta.default_connection) as connection:
        await connection.execute_script(ROLLUP_SESSION)
        return await connection.execute_query_dict(sql, params)

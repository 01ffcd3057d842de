"""Which days of a range the page reads from the roll-up, and which it computes live.

A day is read from the roll-up when it has been rolled up and no attempt of it has changed since
(no dirty mark, no cascading mark on or before it). A calendar month wholly inside the range whose
every day is so is read from its one month row; every other day that is not is computed live from
the attempts. Pure: the state comes in as data.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class RollupState:
    rolled: frozenset[date]                 # days in the roll-up
    dirty: frozenset[date] = frozenset()    # days changed since they were rolled up
    cascade_from: date | None = None        # every day from this one on is stale


@dataclass
class ReadPlan:
    months: list[date] = field(default_factory=list)   # first days of months read as month rows
    days: list[date] = field(default_factory=list)     # days read as day rows
    live: list[date] = field(default_factory=list)     # days computed from the attempts


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def read_plan(start: date, end: date, state: RollupState) -> ReadPlan:
    def clean(day: date) -> bool:
        return (day in state.rolled and day not in state.dirty
                and (state.cascade_from is None or day < state.cascade_from))

    plan = ReadPlan()
    day = start
    while day <= end:
        if day.day == 1 and _month_end(day) <= end and all(clean(d) for d in _days(day, _month_end(day))):
            plan.months.append(day)
            day = _month_end(day) + timedelta(days=1)
            continue
        (plan.days if clean(day) else plan.live).append(day)
        day += timedelta(days=1)
    return plan

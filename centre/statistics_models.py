"""The 总体统计 roll-up: what the attempts of each finished Beijing day add to the statistics.

Rows are per day (``by_month`` false) and, summed from those, per calendar month (``by_month``
true, ``day`` the 1st), so a year is read from a few twelve-month rows instead of 365 days. Only the
jobs loop writes them (centre/statistics_rollup.py); ``StatisticsDirtyDay`` is written by a trigger
on ``attempt`` (migration 0013) in the transaction of every write that changes a rolled-up day, so
the page computes such a day live until it is rolled up again. Court, centre, channel, status and
the like are copied as plain values: this is a derived copy, rebuilt from the attempts at will.
"""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StatisticsDay(Model):
    """A day whose rows are in the roll-up (both grains), and when they were computed."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    rolled_at = fields.DatetimeField()

    class Meta:
        table = "statistics_day"


class StatisticsDirtyDay(Model):
    """An attempt of ``day`` changed after the day could be rolled up. ``cascade``: the change
    added, removed or moved an attempt, which may change who counts as reached for the first time
    on every later day, so every day from ``day`` on is recomputed. Append-only (no unique key), so
    concurrent writers never wait on each other; the roll-up deletes the rows it has seen."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    cascade = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "statistics_dirty_day"


class StatisticsChannelFacts(Model):
    """Attempts by channel, status, outcome and method (送达次数, 办结, 送达成功, 领取途径)."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    by_month = fields.BooleanField(default=False)
    court_id = fields.IntField()
    centre_id = fields.IntField(null=True)
    channel = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16)
    outcome = fields.CharField(max_length=16, null=True)
    method = fields.CharField(max_length=16, null=True)
    n = fields.BigIntField()

    class Meta:
        table = "statistics_channel_facts"
        indexes = (("court_id", "day"), ("centre_id", "day"), ("day", "by_month"))


class StatisticsStaffFacts(Model):
    """Tasks by assignee: given, closed, closed after their due time. Open tasks past due depend
    on the moment the page is read, so the page counts those live."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    by_month = fields.BooleanField(default=False)
    court_id = fields.IntField()
    centre_id = fields.IntField(null=True)
    assignee_id = fields.IntField()
    closed = fields.BooleanField()
    overdue = fields.BooleanField()
    n = fields.BigIntField()

    class Meta:
        table = "statistics_staff_facts"
        indexes = (("court_id", "day"), ("centre_id", "day"), ("day", "by_month"))


class StatisticsHandlingTime(Model):
    """Closed attempts by handling-time bucket (centre/statistics_buckets.py)."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    by_month = fields.BooleanField(default=False)
    court_id = fields.IntField()
    centre_id = fields.IntField(null=True)
    channel = fields.CharField(max_length=16)
    bucket = fields.SmallIntField()
    n = fields.BigIntField()

    class Meta:
        table = "statistics_handling_time"
        indexes = (("court_id", "day"), ("centre_id", "day"), ("day", "by_month"))


class StatisticsReach(Model):
    """Who and what was reached, counted once over any range: for each recipient (``kind``
    recipient), case (case) or service (document, weighted by its documents) and each channel
    (``channel`` null: any channel), one count on every day it had an attempt there, with the
    previous such day (``prev_day``, null for the first). The distinct count over [a, b] is the sum
    over days in [a, b] of the rows whose ``prev_day`` is null or before a. Kept per court and per
    centre (``scope_kind``): an entrusted task is in another court's centre."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    by_month = fields.BooleanField(default=False)
    scope_kind = fields.CharField(max_length=8)
    scope_id = fields.IntField()
    kind = fields.CharField(max_length=16)
    channel = fields.CharField(max_length=16, null=True)
    prev_day = fields.DateField(null=True)
    n = fields.BigIntField()

    class Meta:
        table = "statistics_reach"
        indexes = (("scope_kind", "scope_id", "day"), ("day", "by_month"))

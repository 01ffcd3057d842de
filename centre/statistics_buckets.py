"""Handling-time quantiles (median, p90) read from a histogram of fixed buckets.

A histogram adds up across days, courts and the roll-up's rows, where an exact quantile would
need every attempt's time. Buckets (statistics_sql.BUCKET): bucket b < 24 holds [b, b + 1) hours;
b ≥ 24 holds whole days, [24 + (b − 24) · 24, 24 + (b − 23) · 24) hours. A quantile follows
PostgreSQL's ``percentile_cont`` (linear between the two nearest ranks), with each rank placed at
the middle of its bucket, so it is off the exact value by at most half the wider of those two
buckets: half an hour under a day, half a day beyond.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

PRECISION_NOTE = "处理时长的中位数和 90 分位按分档统计：24 小时以内按 1 小时分档，超过 24 小时按 1 天分档，所示为分档估计值"


def bounds(bucket: int) -> tuple[float, float]:
    """[low, high) hours of a bucket."""
    if bucket < 24:
        return float(bucket), float(bucket + 1)
    low = 24.0 + (bucket - 24) * 24
    return low, low + 24


def quantile(histogram: Mapping[int, int], p: float) -> float | None:
    """The ``p`` quantile in hours (2 decimals), None for an empty histogram."""
    counts = sorted((b, n) for b, n in histogram.items() if n > 0)
    total = sum(n for _, n in counts)
    if not total:
        return None
    position = p * (total - 1)
    low_rank, high_rank = math.floor(position), math.ceil(position)
    low, high = _middle_at(counts, low_rank), _middle_at(counts, high_rank)
    return round(low + (position - low_rank) * (high - low), 2)


def _middle_at(counts: list[tuple[int, int]], rank: int) -> float:
    seen = 0
    for bucket, n in counts:
        seen += n
        if rank < seen:
            low, high = bounds(bucket)
            return (low + high) / 2
    raise ValueError("rank past the histogram")

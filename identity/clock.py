"""Time as the database must see it."""
from __future__ import annotations

from datetime import datetime, timezone


def utc(moment: datetime) -> datetime:
    """Tortoise converts written datetimes to UTC but passes filter and raw values as given, and
    SQLite compares the stored text: every value we compare must be in UTC."""
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(timezone.utc)

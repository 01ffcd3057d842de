"""HTTP byte ranges (RFC 9110 §14): what an <audio> element asks for when it seeks.

One range per request is served (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``); a multi-range or
malformed header is ignored (the whole file, 200), as the RFC allows; a range that starts past
the end is ``RangeNotSatisfiable`` (416).
"""
from __future__ import annotations

import re

from core.errors import AppError

__all__ = ["RangeNotSatisfiable", "byte_range"]

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)


class RangeNotSatisfiable(AppError):
    status = 416
    code = "range_not_satisfiable"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of ``header`` over ``size`` bytes, or None for all."""
    match = _SINGLE.fullmatch((header or "").strip())
    if not match or not (match[1] or match[2]):
        return None
    if not match[1]:  # the last n bytes
        length = int(match[2])
        if length == 0:
            raise RangeNotSatisfiable("请求的范围无效")
        return max(0, size - length), size - 1
    first = int(match[1])
    if first >= size:
        raise RangeNotSatisfiable("请求的范围超出文件长度")
    last = int(match[2]) if match[2] else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)

"""HTTP Range requests (RFC 9110 §14) for media a browser seeks in: one byte range per request.

An ``<audio>`` element asks ``Range: bytes=N-`` and seeks by asking again; answering 206 with
``Content-Range`` is what makes a recording seekable. A range that cannot be satisfied is a 416
with ``Content-Range: bytes */size``; a header we do not understand (several ranges, another unit)
is ignored and the whole body is sent, as the RFC allows.
"""
from __future__ import annotations

import re

from core.errors import AppError

__all__ = ["RangeNotSatisfiable", "byte_range"]

_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


class RangeNotSatisfiable(AppError):
    """The range asked for lies outside the body (answer 416, with ``Content-Range: bytes */size``
    where the route adds it)."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, message: str = "请求的范围超出文件长度") -> None:
        super().__init__(message)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single satisfiable range, ``None`` to send everything."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:                       # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None                     # invalid syntax: ignore the header
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    return start, min(end, size - 1)

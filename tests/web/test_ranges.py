"""Single byte ranges: satisfiable, suffix, open-ended, unsatisfiable (a 416), and ignored headers."""
from __future__ import annotations

import pytest

from web.ranges import RangeNotSatisfiable, byte_range


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("bytes=0-", (0, 99)), ("bytes=10-19", (10, 19)), ("bytes=90-200", (90, 99)),
    ("bytes=-10", (90, 99)), ("bytes=-500", (0, 99)), ("bytes=5-1", None), ("bytes=0-1,5-6", None),
    ("items=0-1", None), ("bytes=-", None),
])
def test_single_ranges(header, expected):
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=150-160", "bytes=-0"])
def test_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable) as caught:
        byte_range(header, 100)
    assert caught.value.status == 416


def test_an_absurdly_long_position_is_ignored_not_parsed():
    assert byte_range("bytes=" + "9" * 400 + "-", 100) is None

"""Single byte ranges: satisfiable, suffix, open-ended, unsatisfiable, and ignored headers."""
from __future__ import annotations

import pytest

from web.ranges import RangeNotSatisfiable, byte_range


def test_ranges():
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-", 100) == (0, 99)
    assert byte_range("bytes=10-19", 100) == (10, 19)
    assert byte_range("bytes=90-500", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=-500", 100) == (0, 99)
    for ignored in ("items=0-1", "bytes=0-1,5-9", "bytes=5-1", "bytes=-", "bytes=a-b"):
        assert byte_range(ignored, 100) is None, ignored
    for bad in ("bytes=100-", "bytes=200-300", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable):
            byte_range(bad, 100)

"""The area of a postal address (province, city, district) for grouping tasks by place.

A prefix reading of the administrative names, enough to sort a dispatcher's list by place. The
address library (地址库) replaces it with a maintained normaliser that also yields the
administrative code.
"""
from __future__ import annotations

import re

_AREA = re.compile(
    r"^(?P<province>[^省市区县]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?"
    r"(?P<city>[^省市区县]{1,10}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^省市区县]{1,10}?(?:区|县|旗|市))?"
)


def area_of(address: str) -> str:
    """``广西壮族自治区北海市海城区…`` → ``广西壮族自治区 北海市 海城区``; ``""`` if unknown."""
    match = _AREA.match((address or "").strip())
    if not match:
        return ""
    parts = [p for p in (match["province"], match["city"], match["district"]) if p]
    return " ".join(parts)[:64]

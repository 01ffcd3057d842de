"""Subscribe-message field values WeChat accepts (订阅消息参数值内容限制).

WeChat refuses a message (errcode 47003 "argument invalid! data.<key>.value invalid") when a value
breaks its field type's rule; the type is the key without its number (``thing1`` → thing). The
rules, from the 小程序订阅消息 documentation (subscribeMessage.send, 参数值内容限制说明):

| type | rule |
|---|---|
| thing | ≤ 20 characters; Chinese, digits, letters or symbols |
| number | ≤ 32 digits, a decimal point allowed |
| letter | ≤ 32 letters |
| symbol | ≤ 5 symbols |
| character_string | ≤ 32 digits, letters or symbols — no Chinese (a 案号 does not fit: it goes in a thing) |
| time | 24-hour time, optionally with the date: ``15:01`` or ``2019年10月1日 15:01``; a period joins two with ``~`` |
| date | a date, optionally with a 24-hour time: ``2019年10月1日`` or ``2019年10月1日 15:01``; ``~`` for a period |
| amount | one currency symbol + ≤ 12 digits, decimals allowed, optionally ending in 元 |
| phone_number | ≤ 17 digits and symbols |
| car_number | ≤ 8 characters (plate) |
| name | ≤ 10 Chinese characters, or ≤ 20 letters/symbols |
| phrase | ≤ 5 Chinese characters |

Times shown to a user are Beijing time (the court's clock), written without an offset as WeChat
wants: the caller converts (``beijing``), never sends UTC.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_SYMBOLS = r"!-/:-@\[-`{-~"  # printable ASCII punctuation
_DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d"
_TIME_ONE = rf"(?:{_DATE} )?{_CLOCK}"
_DATE_ONE = rf"{_DATE}(?: {_CLOCK})?"

RULES: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"^(?=.{1,32}$)\d+(?:\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "symbol": re.compile(rf"^[{_SYMBOLS}]{{1,5}}$"),
    "character_string": re.compile(rf"^[0-9A-Za-z{_SYMBOLS}]{{1,32}}$"),
    "time": re.compile(rf"^{_TIME_ONE}(?:~{_TIME_ONE})?$"),
    "date": re.compile(rf"^{_DATE_ONE}(?:~{_DATE_ONE})?$"),
    "amount": re.compile(r"^[¥$€£￥]\d{1,12}(?:\.\d+)?元?$"),
    "phone_number": re.compile(rf"^[0-9{_SYMBOLS}]{{1,17}}$"),
    "car_number": re.compile(r"^.{1,8}$"),
    "name": re.compile(rf"^(?:[{_HAN}]{{1,10}}|[A-Za-z {_SYMBOLS}]{{1,20}})$"),
    "phrase": re.compile(rf"^[{_HAN}]{{1,5}}$"),
}
THING_MAX = 20


class SubscribeValueInvalid(ValueError):
    """A value WeChat would refuse: a bug in our message, not something a retry fixes."""


def field_type(key: str) -> str:
    """``character_string2`` → ``character_string``."""
    return key.rstrip("0123456789")


def check(key: str, value: str) -> None:
    kind = field_type(key)
    if kind == "thing":
        ok = 0 < len(value) <= THING_MAX and value.isprintable()
    elif kind in RULES:
        ok = bool(RULES[kind].fullmatch(value))
    else:
        raise SubscribeValueInvalid(f"unknown subscribe field type {kind!r} ({key})")
    if not ok:
        raise SubscribeValueInvalid(f"{key}: value breaks the {kind} rule")


def check_message(data: dict[str, str]) -> None:
    for key, value in data.items():
        check(key, value)


def thing(text: str) -> str:
    """Fit free text into a thing field: one line, at most 20 characters (cut with …)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= THING_MAX else flat[:THING_MAX - 1] + "…"


def beijing(moment: datetime) -> str:
    """A time field's value: Beijing time, 24-hour, with the date (``2026年12月5日 12:00``)."""
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"

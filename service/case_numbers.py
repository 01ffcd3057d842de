"""案号 validation (《关于人民法院案件案号的若干规定》, 2016).

Form: (年份)法院代字 类型代字 序号 号, e.g. ``(2024)桂1202民初123号``, ``(2023)最高法民终1号``.
Full-width parentheses are accepted and normalised to ASCII, the form court systems send most.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼兵"

_PATTERN = re.compile(
    r"^\((?P<year>\d{4})\)"
    rf"(?P<court>最高法|[{PROVINCES}](?:\d{{2}}|\d{{4}})?)"
    r"(?P<type>[\u4e00-\u9fff]{1,5}?)"
    r"(?P<seq>[1-9]\d{0,6})号$",
    re.ASCII,  # \d must not accept digits NFKC leaves alone (Arabic-Indic ٢٠٢٤ and the like)
)

# The same without group names (an ECMA-262 regular expression, for the OpenAPI document).
CASE_NUMBER_PATTERN = re.sub(r"\(\?P<\w+>", "(", _PATTERN.pattern)
EARLIEST_YEAR = 1949


class InvalidCaseNumber(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_case_number(raw: str, *, today: date | None = None) -> str:
    # NFKC folds full-width digits and parentheses; 〔〕 is the pre-2016 bracket still seen.
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "")
    text = text.replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    match = _PATTERN.match(text)
    if not match:
        raise InvalidCaseNumber("案号格式不正确，应形如 (2024)桂1202民初123号")
    year = int(match["year"])
    current = (today or date.today()).year
    if not EARLIEST_YEAR <= year <= current + 1:
        raise InvalidCaseNumber(f"案号年份 {year} 不在有效范围内")
    return text


def court_code_of(case_number: str) -> str:
    """The court's 代字 inside a normalised case number, e.g. 桂1202."""
    match = _PATTERN.match(case_number)
    if not match:
        raise InvalidCaseNumber("案号格式不正确，应形如 (2024)桂1202民初123号")
    return match["court"]

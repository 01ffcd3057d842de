"""The texts as the recipient's phone shows them, and how many SMS parts each one costs.

The wording must match the templates approved in the Aliyun console (模板审核), where only
the ``${...}`` variables may differ; keep both in step when either changes.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from identity.models import SmsTemplate
from identity.sms.gateway import SmsTemplateError

__all__ = ["TEMPLATE_TEXTS", "check_params", "render", "segments"]

TEMPLATE_TEXTS: dict[SmsTemplate, str] = {
    SmsTemplate.CODE: "您的验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    SmsTemplate.SERVICE_NOTICE: "{court}：您有{case_number}案件的法律文书，请点击{link} 查看并签收。",
    SmsTemplate.TASK_REMINDER: "{court}：{name}您好，{case_number}案件有法律文书需向您送达，请留意接听本院来电（{hotline}）。",
    SmsTemplate.PICKUP_NOTICE: "{court}：{name}您好，请于{deadline}前携带身份证件到本院诉讼服务中心领取{case_number}案件的法律文书。",
    SmsTemplate.ADDRESS_REQUEST: "{court}：{name}您好，为向您送达{case_number}案件的法律文书，请致电{hotline}确认您的送达地址。",
    SmsTemplate.HEARING_REMINDER: "{court}：{name}您好，{case_number}案件定于{hearing}开庭，请准时到庭。",
}
_PARAMS: dict[SmsTemplate, frozenset[str]] = {
    SmsTemplate.CODE: frozenset({"code", "minutes"}),
    SmsTemplate.SERVICE_NOTICE: frozenset({"court", "case_number", "link"}),
    SmsTemplate.TASK_REMINDER: frozenset({"court", "name", "case_number", "hotline"}),
    SmsTemplate.PICKUP_NOTICE: frozenset({"court", "name", "case_number", "deadline"}),
    SmsTemplate.ADDRESS_REQUEST: frozenset({"court", "name", "case_number", "hotline"}),
    SmsTemplate.HEARING_REMINDER: frozenset({"court", "name", "case_number", "hearing"}),
}

# GSM 03.38: the default alphabet (one septet each) and its extension table (escape + one).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def check_params(template: SmsTemplate, params: Mapping[str, str]) -> None:
    """Refuse a call that does not fit the template before any provider sees it.

    Aliyun would answer isv.TEMPLATE_MISSING_PARAMETERS for a missing one and silently drop
    an unknown one (a typo such as ``case_no`` would send a text with an empty 案号).
    """
    expected = _PARAMS[template]
    missing = sorted(expected - params.keys())
    unknown = sorted(params.keys() - expected)
    empty = sorted(k for k in expected & params.keys() if not isinstance(params[k], str) or not params[k])
    if missing or unknown or empty:
        parts = []
        if missing:
            parts.append("缺少参数 " + "、".join(missing))
        if unknown:
            parts.append("多余参数 " + "、".join(unknown))
        if empty:
            parts.append("参数为空或不是文本 " + "、".join(empty))
        raise SmsTemplateError(f"短信模板 {template.value} 的参数有误：" + "；".join(parts))


def render(template: SmsTemplate, params: Mapping[str, str], *, sign_name: str) -> str:
    """The full text, 【签名】 first, exactly as the handset displays it."""
    check_params(template, params)
    return f"【{sign_name}】" + TEMPLATE_TEXTS[template].format_map(dict(params))


def segments(text: str) -> int:
    """How many SMS parts ``text`` takes (and is billed as).

    GSM-7 texts fit 160 septets in one part, 153 per part once split; anything outside
    GSM-7 (every Chinese text) is sent as UCS-2: 70 characters, or 67 per part when split.
    The 7 and 3 lost per part are the concatenation header (UDH).
    """
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    # UCS-2 counts UTF-16 code units: a character outside the BMP (emoji) takes two.
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)

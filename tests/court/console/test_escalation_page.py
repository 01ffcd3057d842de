"""The admin's 升级规则 page: list, add, change, disable through the real forms (CSRF); bad
input is a 422 page naming the mistake, never a 500; other roles and courts are kept out."""
from __future__ import annotations

import pytest

from audit.models import Event
from centre.escalation_rules import list_rules
from centre.models import EscalationRule
from tests.court.console.helpers import logged_in
from tests.factories import make_court, make_staff

URL = "/console/escalation"


async def _admin(http, db):
    court = await make_court()  # with its default rules
    account, password, secret = await make_staff(court, "admin", settings=db)
    return court, await logged_in(http, account, password, secret)


async def test_admin_lists_adds_changes_and_disables_rules(http, db):
    court, token = await _admin(http, db)
    page = await http.get(URL)
    assert page.status_code == 200
    assert "电子送达72小时未签收转电话联系" in page.text and "建议公告送达" in page.text

    created = await http.post(URL, data={"csrf_token": token, "name": "来院领取失败转外出送达", "trigger": "failed",
                                         "from_channels": ["pickup"], "action": "open_task",
                                         "open_channel": "field"})
    assert created.status_code == 303 and created.headers["location"] == f"{URL}?done=created"
    rule = await EscalationRule.get(court_id=court.id, name="来院领取失败转外出送达")
    assert (rule.from_channels, rule.open_channel, rule.active) == (["pickup"], "field", True)

    changed = await http.post(f"{URL}/{rule.id}", data={
        "csrf_token": token, "name": "电子送达48小时未签收转邮寄", "trigger": "stalled",
        "from_channels": ["sms", "portal"], "after_hours": "48", "action": "open_task", "open_channel": "mail"})
    assert changed.status_code == 303
    rule = await EscalationRule.get(id=rule.id)
    assert (rule.trigger.value, rule.after_hours, rule.from_channels) == ("stalled", 48, ["sms", "portal"])

    disabled = await http.post(f"{URL}/{rule.id}/disable", data={"csrf_token": token})
    assert disabled.status_code == 303 and not (await EscalationRule.get(id=rule.id)).active
    assert "已停用" in (await http.get(f"{URL}?done=disabled")).text
    changes = [e.data["change"] for e in await Event.filter(type="escalation_rule.changed").order_by("id")]
    assert changes == ["created", "updated", "disabled"]


@pytest.mark.parametrize("form, message", [
    ({"trigger": "stalled", "from_channels": ["sms"], "after_hours": "0", "action": "open_task",
      "open_channel": "phone"}, "1至2160小时"),
    ({"trigger": "stalled", "from_channels": ["sms"], "after_hours": "abc", "action": "open_task",
      "open_channel": "phone"}, "请填写整数小时"),
    ({"trigger": "stalled", "from_channels": ["sms"], "after_hours": "2161", "action": "open_task",
      "open_channel": "phone"}, "1至2160小时"),
    ({"trigger": "failed", "from_channels": ["fax"], "action": "open_task", "open_channel": "mail"}, "触发渠道无效"),
    ({"trigger": "failed", "from_channels": ["phone"], "action": "open_task", "open_channel": "sms"},
     "新任务的渠道应为"),
    ({"trigger": "failed", "from_channels": [], "action": "open_task", "open_channel": "mail"}, "请选择触发渠道"),
    ({"trigger": "sometime", "from_channels": ["phone"], "action": "open_task", "open_channel": "mail"},
     "请选择触发条件"),
    ({"trigger": "failed", "from_channels": ["phone"], "action": "explode", "open_channel": "mail"},
     "请选择升级动作"),
])
async def test_bad_input_is_a_clear_422_and_changes_nothing(http, db, form, message):
    court, token = await _admin(http, db)
    before = await EscalationRule.filter(court_id=court.id).count()
    response = await http.post(URL, data={"csrf_token": token, "name": "规则", **form})
    assert response.status_code == 422 and message in response.text
    assert await EscalationRule.filter(court_id=court.id).count() == before


async def test_without_csrf_another_court_or_role_is_refused(http, db):
    court, token = await _admin(http, db)
    other = await make_court("桂0102", "南宁市兴宁区人民法院")
    [foreign, *_] = await list_rules(other.id)
    assert (await http.post(URL, data={"name": "x", "trigger": "failed", "from_channels": ["phone"],
                                       "action": "open_task", "open_channel": "mail"})).status_code == 403
    assert (await http.post(f"{URL}/{foreign.id}/disable", data={"csrf_token": token})).status_code == 404
    assert (await http.post(f"{URL}/99999999999/disable", data={"csrf_token": token})).status_code == 404
    assert (await EscalationRule.get(id=foreign.id)).active

    http.cookies.clear()
    clerk, password, secret = await make_staff(court, "clerk", settings=db)
    await logged_in(http, clerk, password, secret)
    assert (await http.get(URL)).status_code == 403
    suggestions = await http.get(f"{URL}/suggestions")
    assert suggestions.status_code == 200 and "暂无需要公告送达的受送达人" in suggestions.text

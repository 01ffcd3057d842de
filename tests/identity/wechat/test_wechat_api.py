"""``WeChatApi``: wechatpy against the loopback fake, and the dev implementation; same contract."""
from __future__ import annotations

import pytest

from identity.wechat.api import WeChatUnavailable, WxCodeInvalid, WxCodeUsed, WxSubscribeRefused
from identity.wechat.dev import DevWeChatApi
from identity.wechat.wechatpy_api import WechatpyApi
from tests.fakes.wechat import FakeWeChat


@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server


def real(fake: FakeWeChat) -> WechatpyApi:
    return WechatpyApi(fake.app_id, fake.app_secret, base_url=fake.base_url)


async def test_login_through_wechatpy_uses_stable_token_and_hides_session_key(fake):
    api = real(fake)
    login = await api.code_to_session(fake.login_code("o-user-1"))
    assert login.openid == "o-user-1"
    assert login.session_key and login.session_key not in repr(login)
    assert "cgi-bin/stable_token" in fake.calls and "cgi-bin/token" not in fake.calls


async def test_reused_and_forged_codes_are_mapped(fake):
    api = real(fake)
    code = fake.login_code("o-user-2")
    await api.code_to_session(code)
    with pytest.raises(WxCodeUsed) as used:
        await api.code_to_session(code)
    assert used.value.status == 400
    with pytest.raises(WxCodeInvalid):
        await api.code_to_session("forged-code")


async def test_phone_number_code_works_once(fake):
    api = real(fake)
    code = fake.phone_code("13800001111")
    assert await api.phone_number(code) == "13800001111"
    with pytest.raises(WxCodeUsed):
        await api.phone_number(code)


async def test_expired_access_token_is_refetched(fake):
    api = real(fake)
    await api.phone_number(fake.phone_code("13800001112"))
    fake.tokens.clear()  # WeChat rotated it
    assert await api.phone_number(fake.phone_code("13800001113")) == "13800001113"


async def test_subscribe_message_and_refusal(fake):
    api = real(fake)
    await api.send_subscribe_message("o-user-3", "tmpl-1", {"thing1": "传票"}, page="pages/index")
    assert fake.sent[-1]["touser"] == "o-user-3" and fake.sent[-1]["data"] == {"thing1": {"value": "传票"}}
    fake.unsubscribed.add("o-user-4")
    with pytest.raises(WxSubscribeRefused):
        await api.send_subscribe_message("o-user-4", "tmpl-1", {"thing1": "x"})


async def test_outage_is_unavailable_not_a_crash(fake):
    api = real(fake)
    fake.down = True
    with pytest.raises(WeChatUnavailable):
        await api.code_to_session("anything")
    fake.close()
    with pytest.raises(WeChatUnavailable):
        await WechatpyApi("a", "b", base_url="http://127.0.0.1:9/").code_to_session("x")


async def test_dev_api_is_deterministic_and_refuses_garbage():
    api = DevWeChatApi("secret")
    assert (await api.code_to_session("c1")).openid == (await api.code_to_session("c1")).openid
    assert (await api.code_to_session("c1")).openid != (await api.code_to_session("c2")).openid
    assert await api.phone_number("phone:13800001114") == "13800001114"
    with pytest.raises(WxCodeInvalid):
        await api.phone_number("nonsense")
    with pytest.raises(WxCodeInvalid):
        await api.code_to_session("")

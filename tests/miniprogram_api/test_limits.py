"""Mini-program limits count per person and per client address, across sessions: a new WeChat
login (or another WeChat account from the same address) does not start a fresh budget."""
from __future__ import annotations

from miniprogram_api import binding
from tests.factories import phone as new_phone
from tests.factories import resident_id
from tests.miniprogram_api.mp_helpers import auth, login, person, serve


def _limited(response) -> None:
    assert response.status_code == 429, response.text
    body = response.json()["error"]
    assert body["code"] in ("phone_rate_limited", "identity_rate_limited") and "秒后再试" in body["message"]
    assert int(response.headers["Retry-After"]) == body["details"]["retry_after"] >= 1


async def _lookup(http, token: str, phone: str | None = None):
    return await http.post("/mp/api/v1/phone/code", json={"phone": phone or new_phone()}, headers=auth(token))


async def test_phone_lookups_do_not_restart_with_a_new_login(mp_http, fake_wechat):
    first = await login(mp_http, fake_wechat, "o-prober")
    for _ in range(binding.PHONE_LOOKUPS_PER_HOUR):
        assert (await _lookup(mp_http, first)).status_code == 403  # phone_not_on_file
    _limited(await _lookup(mp_http, first))
    again = await login(mp_http, fake_wechat, "o-prober")  # same person, new session: same budget
    _limited(await _lookup(mp_http, again))


async def test_phone_lookups_are_limited_per_address_across_wechat_accounts(mp_http, fake_wechat):
    statuses = []
    for n in range(binding.PHONE_LOOKUPS_PER_ADDRESS_HOURLY // binding.PHONE_LOOKUPS_PER_HOUR + 1):
        token = await login(mp_http, fake_wechat, f"o-account-{n}")
        for _ in range(binding.PHONE_LOOKUPS_PER_HOUR):
            statuses.append((response := await _lookup(mp_http, token)).status_code)
    assert statuses[:binding.PHONE_LOOKUPS_PER_ADDRESS_HOURLY] == [403] * binding.PHONE_LOOKUPS_PER_ADDRESS_HOURLY
    assert set(statuses[binding.PHONE_LOOKUPS_PER_ADDRESS_HOURLY:]) == {429}
    _limited(response)


async def test_one_phone_cannot_be_texted_by_every_stranger(mp_http, db, fake_wechat):
    victim = new_phone()
    await serve(db, [person(victim, resident_id())])
    answers = []
    for n in range(binding.PHONE_LOOKUPS_PER_PHONE_HOURLY + 1):
        token = await login(mp_http, fake_wechat, f"o-stranger-{n}")
        answers.append(await _lookup(mp_http, token, victim))
    assert answers[0].status_code == 200
    _limited(answers[-1])  # the phone's own budget, whichever account asks


async def test_identity_tries_do_not_restart_with_a_new_login(mp_http, db, fake_wechat):
    mine = (new_phone(), resident_id())
    await serve(db, [person(*mine)])

    async def with_phone(openid: str) -> str:
        token = await login(mp_http, fake_wechat, openid)
        proved = await mp_http.post("/mp/api/v1/phone", json={"code": fake_wechat.phone_code(mine[0])},
                                    headers=auth(token))
        assert proved.status_code == 200, proved.text
        return token

    token = await with_phone("o-guesser")
    for _ in range(binding.IDENTITY_TRIES_PER_HOUR):
        wrong = await mp_http.post("/mp/api/v1/identity", json={"name": "李四", "id_number": resident_id()},
                                   headers=auth(token))
        assert wrong.status_code == 403, wrong.text
    right = {"name": "王小明", "id_number": mine[1]}
    # A new session of the same WeChat user, and another WeChat user with the same phone: no new tries.
    for openid in ("o-guesser", "o-other-account"):
        _limited(await mp_http.post("/mp/api/v1/identity", json=right, headers=auth(await with_phone(openid))))

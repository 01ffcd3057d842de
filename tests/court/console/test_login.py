"""Console login: password + TOTP, one answer for every kind of wrong, limits, CSRF, logout."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from court.console.models import StaffAccount
from tests.court.console.helpers import csrf, logged_in, post_login, totp
from tests.factories import make_staff


async def test_good_login_reaches_the_console_and_logout_ends_it(http, db):
    account, password, secret = await make_staff(settings=db)
    token = await logged_in(http, account, password, secret)
    page = await http.get("/console/")
    assert page.status_code == 200 and "送达列表" in page.text and account.display_name in page.text
    assert "songda_console" in http.cookies and "songda_sid" not in http.cookies  # its own cookie
    assert (await StaffAccount.get(id=account.id)).last_login_at is not None
    out = await http.post("/console/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert (await http.get("/console/")).headers["location"] == "/console/login"


async def test_every_wrong_login_gets_the_same_answer(http, db):
    account, password, secret = await make_staff(settings=db)
    wrong_code = "000000" if totp(secret) != "000000" else "111111"
    answers = [await post_login(http, account.login, "wrong password!", totp(secret)),
               await post_login(http, account.login, password, wrong_code),
               await post_login(http, "nobody-here", password, totp(secret)),
               await post_login(http, account.login, password, "12ab")]
    for answer in answers:
        assert answer.status_code == 401
        assert "登录名、密码或动态验证码错误" in answer.text
    assert "songda_console" not in http.cookies


async def test_a_totp_code_works_once(http, db):
    account, password, secret = await make_staff(settings=db)
    code = totp(secret)
    assert (await post_login(http, account.login, password, code)).status_code == 303
    http.cookies.clear()
    again = await post_login(http, account.login, password, code)
    assert again.status_code == 401  # replayed within its 30 s window
    http.cookies.clear()
    assert (await post_login(http, account.login, password, totp(secret, steps_ahead=1))).status_code == 303


async def test_five_failures_lock_the_account(http, db):
    account, password, secret = await make_staff(settings=db)
    for _ in range(5):
        assert (await post_login(http, account.login, "wrong password!", totp(secret))).status_code == 401
    locked = await post_login(http, account.login, password, totp(secret))
    assert locked.status_code == 401 and "登录名、密码或动态验证码错误" in locked.text
    # Fifteen minutes later it opens again.
    await StaffAccount.filter(id=account.id).update(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert (await post_login(http, account.login, password, totp(secret))).status_code == 303


async def test_a_locked_account_answers_like_an_unknown_login(http, db, monkeypatch):
    """No enumeration: a locked login gets the wrong-password answer, after the same argon2 check."""
    from court.console import staff

    account, password, secret = await make_staff(settings=db)
    await StaffAccount.filter(id=account.id).update(locked_until=datetime.now(timezone.utc) + timedelta(minutes=10))
    checks: list[str] = []
    real = staff._password_ok_hash
    monkeypatch.setattr(staff, "_password_ok_hash", lambda h, p: checks.append(h) or real(h, p))
    locked = await post_login(http, account.login, password, totp(secret))
    unknown = await post_login(http, "nobody-here", password, totp(secret))
    assert locked.status_code == unknown.status_code == 401
    assert "Retry-After" not in locked.headers and "账号已锁定" not in locked.text
    error = re.compile(r'id="error">([^<]*)<')
    assert error.findall(locked.text) == error.findall(unknown.text) == ["登录名、密码或动态验证码错误"]
    assert checks == [account.password_hash, staff._UNKNOWN_LOGIN_HASH]  # argon2 ran for both
    # The lock runs its course: the refused attempt neither lifted nor extended it.
    assert (await StaffAccount.get(id=account.id)).locked_until is not None


async def test_login_needs_its_csrf_token(http, db):
    account, password, secret = await make_staff(settings=db)
    await http.get("/console/login")
    response = await http.post("/console/login", data={"login": account.login, "password": password,
                                                      "totp": totp(secret)})
    assert response.status_code == 403 and "请求无效" in response.text
    http.cookies.clear()  # a token without its cookie (another browser's page) is refused too
    form = await http.get("/console/login")
    token = csrf(form.text)
    http.cookies.clear()
    response = await http.post("/console/login", data={"csrf_token": token, "login": account.login,
                                                      "password": password, "totp": totp(secret)})
    assert response.status_code == 403


async def test_disabled_account_cannot_log_in(http, db):
    account, password, secret = await make_staff(settings=db)
    await StaffAccount.filter(id=account.id).update(disabled_at=datetime.now(timezone.utc))
    assert (await post_login(http, account.login, password, totp(secret))).status_code == 401


async def test_secrets_are_not_stored_in_the_clear(db):
    account, password, secret = await make_staff(settings=db)
    row = await StaffAccount.get(id=account.id)
    assert row.password_hash.startswith("$argon2id$") and password not in row.password_hash
    assert secret not in row.totp_secret_cipher


async def test_disabling_an_account_ends_its_session(http, db):
    account, password, secret = await make_staff(settings=db)
    await logged_in(http, account, password, secret)
    await StaffAccount.filter(id=account.id).update(disabled_at=datetime.now(timezone.utc))
    response = await http.get("/console/")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"

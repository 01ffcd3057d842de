"""Logging a clerk in through the real form (pre-login CSRF cookie, password, TOTP)."""
from __future__ import annotations

import re
import time

import pyotp

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def totp(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(time.time()) + 30 * steps_ahead)


def csrf(html: str) -> str:
    return CSRF.search(html).group(1)


async def post_login(http, login: str, password: str, code: str):
    form = await http.get("/console/login")
    assert form.status_code == 200
    return await http.post("/console/login", data={"csrf_token": csrf(form.text), "login": login,
                                                   "password": password, "totp": code})


async def logged_in(http, account, password: str, secret: str) -> str:
    """Log in; returns the session's CSRF token for the console forms."""
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303 and done.headers["location"] == "/console/", done.text
    return csrf((await http.get("/console/")).text)

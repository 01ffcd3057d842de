"""web/input_guard.py: a control character in any query argument, form field or JSON string is
refused at the edge of every surface (422), before any handler, login or CSRF check runs."""
from __future__ import annotations

import pytest

from web.input_guard import has_control_characters


def test_only_c0_controls_and_del_are_refused():
    assert all(has_control_characters(s) for s in ("a\x00b", "\x01", "\x1b[31m", "\x7f"))
    assert not any(has_control_characters(s) for s in ("王小明", "line\nbreak", "tab\tstop", "cr\r", "\u3000"))


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("post", "/portal/login/code", {"data": {"phone": "138\x0012345678"}}),
    ("post", "/console/login", {"data": {"login": "li\x00", "password": "x", "code": "123456"}}),
    ("get", "/console/", {"params": {"case_number": "(2024)\x00"}}),
    ("post", "/verify/SD20240101ABCDEFGHJK", {"data": {"note": "\x00"}}),
    ("post", "/d/1/code", {"data": {"csrf_token": "\x00"}}),
])
async def test_pages_refuse_control_characters(http, db, method, path, kwargs):
    response = await getattr(http, method)(path, **kwargs)
    assert response.status_code == 422, (path, response.status_code)
    assert "控制字符" in response.text


@pytest.mark.parametrize(("path", "body"), [
    ("/mp/api/v1/session", {"code": "wx\x00"}),
    ("/mp/api/v1/phone", {"phone_code": "phone:138\x0012345678"}),
    ("/court/api/v1/services", {"case": {"case_number": "x", "cause": "\x00"}}),
])
async def test_apis_refuse_control_characters_as_json(http, db, path, body):
    response = await http.post(path, json=body)
    assert response.status_code == 422, (path, response.status_code, response.text)
    assert response.json()["error"]["code"] == "invalid_characters"

"""Cookie names and flags: __Host- and Secure in production, plain names over http in dev."""
from __future__ import annotations

from sanic.response import text

from tests.conftest import make_settings
from web.cookies import clear_cookie, cookie_name, cookie_settings, set_cookie


def test_cookie_in_production_is_host_prefixed_and_secure(tmp_path):
    assert cookie_settings(make_settings(tmp_path, mode="production")) == {
        "key": "__Host-songda_sid", "path": "/", "secure": True, "httponly": True, "samesite": "Lax"}


def test_cookie_in_dev_works_over_http(tmp_path):
    assert cookie_settings(make_settings(tmp_path)) == {
        "key": "songda_sid", "path": "/", "secure": False, "httponly": True, "samesite": "Lax"}


def test_each_cookie_has_its_own_name(tmp_path):
    dev, production = make_settings(tmp_path), make_settings(tmp_path, mode="production")
    assert [cookie_name(dev, n) for n in ("sid", "pre", "console", "console_pre")] == [
        "songda_sid", "songda_pre", "songda_console", "songda_console_pre"]
    assert cookie_name(production, "console") == "__Host-songda_console"


def test_set_and_clear(tmp_path):
    settings = make_settings(tmp_path)
    response = set_cookie(text("ok"), settings, "abc", "console")
    header = str(response.cookies.get_cookie("songda_console"))
    assert header.startswith("songda_console=abc") and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Max-Age" not in header and "Secure" not in header  # ends with the browser
    cleared = str(clear_cookie(text("ok"), settings).cookies.get_cookie("songda_sid"))
    assert cleared.startswith("songda_sid=") and "Max-Age=0" in cleared

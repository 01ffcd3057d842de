"""One HMAC token scheme: bound to the cookie value and the purpose, checked in constant time."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from core.errors import Forbidden
from web.csrf import (
    EXPIRED,
    check_form,
    check_token,
    csrf_token,
    form_token,
    tokens_match,
)

SECRET = "test-secret"


def test_token_is_hmac_of_purpose_and_value():
    expected = hmac.new(b"test-secret", b"portal-csrf|sid-1", hashlib.sha256).hexdigest()
    assert csrf_token(SECRET, "portal-csrf", "sid-1") == expected
    assert csrf_token(SECRET.encode(), "portal-csrf", "sid-1") == expected


def test_token_differs_by_purpose_value_and_secret():
    token = csrf_token(SECRET, "portal-csrf", "sid-1")
    assert token != csrf_token(SECRET, "console-csrf", "sid-1")
    assert token != csrf_token(SECRET, "portal-csrf", "sid-2")
    assert token != csrf_token("other", "portal-csrf", "sid-1")


def test_matching_token_passes():
    token = csrf_token(SECRET, "console-login-csrf", "nonce")
    assert tokens_match(token, SECRET, "console-login-csrf", "nonce")
    check_token(token, SECRET, "console-login-csrf", "nonce")


@pytest.mark.parametrize(("sent", "value"), [
    ("", "sid-1"), (None, "sid-1"), ("0" * 64, "sid-1"),
    (csrf_token(SECRET, "portal-csrf", "sid-1"), ""),      # no cookie: nothing to bind to
    (csrf_token(SECRET, "portal-csrf", "sid-1"), None),
    (csrf_token(SECRET, "console-csrf", "sid-1"), "sid-1"),  # another form's token
])
def test_wrong_or_missing_token_is_forbidden(sent, value):
    assert not tokens_match(sent, SECRET, "portal-csrf", value)
    with pytest.raises(Forbidden) as raised:
        check_token(sent, SECRET, "portal-csrf", value)
    assert raised.value.code == "csrf_failed" and raised.value.status == 403
    assert raised.value.message == EXPIRED


def test_the_page_chooses_the_message():
    with pytest.raises(Forbidden, match="请刷新登录页后重试"):
        check_token("x", SECRET, "p", "v", message="页面已过期或请求无效，请刷新登录页后重试")


def test_form_token_reads_the_field():
    assert form_token({"csrf_token": "abc"}) == "abc"
    assert form_token({"login_token": "abc"}, "login_token") == "abc"
    assert form_token(None) == "" and form_token({}) == ""


def test_a_non_ascii_forgery_is_a_mismatch_not_an_error():
    assert not tokens_match("签名" * 32, SECRET, "portal-csrf", "sid-1")


def test_check_form_reads_the_field_and_the_apps_secret():
    from types import SimpleNamespace

    from pydantic import SecretStr

    def request(form):
        settings = SimpleNamespace(secret_key=SecretStr(SECRET))
        return SimpleNamespace(form=form, app=SimpleNamespace(ctx=SimpleNamespace(settings=settings)))

    token = csrf_token(SECRET, "portal-login-csrf", "nonce")
    check_form(request({"login_token": token}), "portal-login-csrf", "nonce", field="login_token")
    with pytest.raises(Forbidden):
        check_form(request({"csrf_token": token}), "portal-login-csrf", "nonce", field="login_token")

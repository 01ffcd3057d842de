"""Signatures checked by the standardwebhooks library; the callback URL policy (no database)."""
from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.errors import ValidationFailed
from court.webhooks.signing import new_secret, sign, signed_headers
from court.webhooks.url_policy import check_webhook_url


def test_new_secret_is_whsec_with_at_least_24_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) >= 24
    assert new_secret() != secret


def test_headers_verify_with_the_reference_library():
    secret = new_secret()
    body = b'{"type":"delivery.signed","data":{"receipt_no":"SD1"}}'
    headers = signed_headers(secret, "webhook:1:2", datetime.now(timezone.utc), body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "delivery.signed", "data": {"receipt_no": "SD1"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_signature_matches_the_reference_signer():
    secret = new_secret()
    at = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
    assert sign(secret, "msg_1", int(at.timestamp()), b"{}") == Webhook(secret).sign("msg_1", at, "{}")


@pytest.mark.parametrize("url", [
    "ftp://example.org/hook", "file:///etc/passwd", "javascript:alert(1)", "http:///nohost",
    "http://user:pw@203.0.113.1/hook",
    "http://127.0.0.1:8000/hook", "http://10.1.2.3/hook", "http://192.168.0.1/", "http://172.16.0.1/",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[fe80::1]/", "http://224.0.0.1/",
    "http://240.0.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://localhost:9000/hook",
])
def test_refused_urls(url):
    with pytest.raises(ValidationFailed) as err:
        check_webhook_url(url, allow_private=False)
    assert err.value.code == "webhook_url_refused"


def test_private_allowed_only_when_asked():
    assert check_webhook_url("http://127.0.0.1:8000/hook", allow_private=True)
    assert check_webhook_url("https://10.1.2.3/hook", allow_private=True)
    with pytest.raises(ValidationFailed):
        check_webhook_url("ftp://10.1.2.3/hook", allow_private=True)


def test_public_address_accepted():
    assert check_webhook_url("https://8.8.8.8/court/hook", allow_private=False)

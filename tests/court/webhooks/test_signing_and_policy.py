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


def test_plain_http_refused_unless_private_addresses_are_allowed():
    with pytest.raises(ValidationFailed) as err:
        check_webhook_url("http://8.8.8.8/court/hook", allow_private=False)
    assert err.value.code == "webhook_url_refused"
    assert "https" in err.value.message
    assert check_webhook_url("http://127.0.0.1:8000/hook", allow_private=True)  # the dev setting


@pytest.mark.parametrize("host", [
    "[2002:7f00:1::]", "[2002:a01:203::1]", "[2002:a9fe:a9fe::]",  # 6to4 of 127.0.0.1, 10.1.2.3, 169.254.169.254
    "[2001:0:7f00:1:0:0:0:0]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo: server 127.0.0.1; client 127.0.0.1
    "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]", "[64:ff9b::c0a8:1]",  # NAT64
    "[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]",  # IPv4-mapped
    "[::127.0.0.1]", "[::10.0.0.1]", "[::169.254.169.254]",  # IPv4-compatible
])
def test_ipv6_transition_addresses_judged_by_the_ipv4_they_embed(host):
    with pytest.raises(ValidationFailed) as err:
        check_webhook_url(f"https://{host}/hook", allow_private=False)
    assert err.value.code == "webhook_url_refused"


@pytest.mark.parametrize("host", ["[2002:808:808::]", "[64:ff9b::808:808]", "[::ffff:8.8.8.8]"])
def test_ipv6_transition_addresses_of_a_public_ipv4_accepted(host):
    assert check_webhook_url(f"https://{host}/hook", allow_private=False)


def test_resolver_filters_transition_addresses():
    import asyncio

    from court.webhooks.url_policy import PolicyResolver

    async def run():
        resolver = PolicyResolver(allow_private=False)

        async def fake(host, port, family):
            return [{"host": "2002:7f00:1::", "port": port}, {"host": "64:ff9b::a9fe:a9fe", "port": port}]

        resolver._inner.resolve = fake
        with pytest.raises(OSError):
            await resolver.resolve("hook.example.org", 443)

    asyncio.run(run())

"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A receiver verifies ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{ts}.{body}"))
where ``key`` is the base64-decoded part of the ``whsec_…`` secret. Any Standard Webhooks library
(``standardwebhooks`` for Python, Svix's for Java/Go/…) verifies what we send.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24–64 random bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secret must start with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    message = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three headers for one attempt. ``msg_id`` stays the same across retries, so a
    receiver can drop duplicates; the timestamp is the attempt's (receivers refuse stale ones)."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }

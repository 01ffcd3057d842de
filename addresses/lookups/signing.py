"""Request signing of the lookup gateway (docs/LOOKUPS.md): HMAC-SHA256 under the app secret
over a canonical string that binds the method, path, app key, time, nonce and body digest, so a
captured request cannot be replayed later (time window), again (nonce) or with another body."""
from __future__ import annotations

import base64
import hashlib
import hmac

HEADER_KEY = "X-Lookup-App-Key"
HEADER_TIMESTAMP = "X-Lookup-Timestamp"
HEADER_NONCE = "X-Lookup-Nonce"
HEADER_SIGNATURE = "X-Lookup-Signature"
TIMESTAMP_WINDOW = 300  # seconds either side, the gateway's rule; nonces are kept as long


def canonical_string(method: str, path: str, app_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join((method.upper(), path, app_key, timestamp, nonce, hashlib.sha256(body).hexdigest()))


def signature(secret: str, canonical: str) -> str:
    """Standard base64 of the HMAC-SHA256 digest."""
    digest = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_headers(*, method: str, path: str, app_key: str, secret: str, timestamp: int, nonce: str,
                   body: bytes) -> dict[str, str]:
    canonical = canonical_string(method, path, app_key, str(timestamp), nonce, body)
    return {HEADER_KEY: app_key, HEADER_TIMESTAMP: str(timestamp), HEADER_NONCE: nonce,
            HEADER_SIGNATURE: signature(secret, canonical)}

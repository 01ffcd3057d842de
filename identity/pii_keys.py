"""The process-wide PII cipher, built once from settings."""
from __future__ import annotations

from functools import lru_cache

from app.settings import get_settings
from identity.pii import PiiCipher


@lru_cache(maxsize=1)
def pii_cipher() -> PiiCipher:
    settings = get_settings()
    if settings.pii_keys:
        return PiiCipher.from_config(
            {key_id: key.get_secret_value() for key_id, key in settings.pii_keys.items()},
            settings.pii_active_key_id,
            settings.pii_index_key.get_secret_value(),
        )
    return PiiCipher.from_secret(settings.secret_key.get_secret_value())

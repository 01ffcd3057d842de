"""The PII cipher for a settings object: built once per key set, from the settings passed in."""
from __future__ import annotations

from functools import lru_cache

from core.settings import Settings
from identity.pii import PiiCipher


def pii_cipher(settings: Settings) -> PiiCipher:
    """The cipher of ``settings`` (its PII keys, else one derived from its secret key). Equal key
    material gives the same cipher object, so a hot path may call this on every request."""
    if settings.pii_keys:
        keys = tuple(sorted((key_id, key.get_secret_value()) for key_id, key in settings.pii_keys.items()))
        return _cipher(keys, settings.pii_active_key_id, settings.pii_index_key.get_secret_value(), None)
    return _cipher((), None, None, settings.secret_key.get_secret_value())


@lru_cache(maxsize=8)
def _cipher(keys: tuple[tuple[str, str], ...], active: str | None, index_key: str | None,
            secret: str | None) -> PiiCipher:
    if keys:
        return PiiCipher.from_config(dict(keys), active, index_key)
    return PiiCipher.from_secret(secret)

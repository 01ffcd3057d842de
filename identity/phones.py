"""Mainland China mobile numbers (手机号码): normalisation and masking."""
from __future__ import annotations

import re
import unicodedata

__all__ = ["InvalidPhone", "MOBILE_PATTERN", "normalize_mobile", "mask_phone"]

# re.ASCII: NFKC leaves Arabic-Indic and other script digits alone, and \d would take them.
# After normalisation; ASCII digits only. The OpenAPI document states it (court/api/openapi.py).
MOBILE_PATTERN = r"1[3-9]\d{9}"
_MOBILE = re.compile(MOBILE_PATTERN, re.ASCII)
# Separators people type or paste from contact cards: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()]+")
# Longest prefix first so that "0086" is not read as "00" + "86".
_COUNTRY_PREFIXES = ("+86", "0086", "86")


class InvalidPhone(ValueError):
    """Not a mainland mobile number; ``message`` is Chinese."""

    def __init__(self, message: str = "不是有效的中国大陆手机号码") -> None:
        super().__init__(message)
        self.message = message


def normalize_mobile(raw: str) -> str:
    """Return the 11-digit form of ``raw`` (e.g. ``+86 138-1234-5678`` → ``13812345678``)."""
    # NFKC folds full-width digits, "＋" and "－" typed with a Chinese IME.
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in _COUNTRY_PREFIXES:
        # Strip only when exactly a mobile's length remains, so a malformed number
        # fails as a whole instead of being trimmed into something that looks valid.
        if value.startswith(prefix) and len(value) - len(prefix) == 11:
            value = value[len(prefix):]
            break
    if not _MOBILE.fullmatch(value):
        raise InvalidPhone()
    return value


def mask_phone(phone: str) -> str:
    """138****1234: enough for the owner to recognise, not enough to call."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]

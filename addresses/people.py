"""Who an address belongs to, and how an address is kept: blind indexes and masking."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from addresses.divisions import Division, divide
from identity.pii import PiiCipher

CONTEXT = "address"


@dataclass(frozen=True)
class PersonKeys:
    """A person in the address book: the ID number's blind index, else name + phone's."""

    name: str
    id_number_index: str | None
    name_phone_index: str | None


def person_keys(cipher: PiiCipher, name: str, *, id_number_index: str | None = None,
                phone_index: str | None = None) -> PersonKeys:
    """From the blind indexes a recipient row stores (``id_number_index``, ``phone_index``), so
    nobody decrypts a number to find a person's addresses."""
    name = " ".join((name or "").split())
    name_phone = cipher.blind_index(f"{name}\x00{phone_index}", context="person") if phone_index else None
    return PersonKeys(name, id_number_index or None, name_phone)


def normal_form(value: str) -> str:
    """What makes two spellings one address: full-width folded, no spaces."""
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def value_index(cipher: PiiCipher, value: str) -> str:
    return cipher.blind_index(normal_form(value), context=CONTEXT)


def mask_address(value: str, division: Division | None) -> str:
    """Staff pages show the divisions and hide the street and number: ``广西壮族自治区北海市海城区****``."""
    if division is not None:
        return f"{division.area.replace(' ', '')}****"
    text = normal_form(value)
    return f"{text[:4]}****" if len(text) > 4 else "****"


def mask_electronic(value: str) -> str:
    text = normal_form(value)
    if "@" in text:
        user, _, host = text.partition("@")
        return f"{user[:1]}***@{host}"
    return f"{text[:3]}****{text[-4:]}" if len(text) >= 8 else "****"


__all__ = ["PersonKeys", "divide", "mask_address", "mask_electronic", "normal_form", "person_keys", "value_index"]

"""A recipient's postal address at rest (个人信息保护法 art. 51): encrypted like the phone and the ID
number, kept beside its mask (divisions only, ``addresses.people.mask_address``) for staff pages.

Plaintext only where the address is the work itself: the envelope and its print manifest, the
sealed receipt's place of service, the entrustment letter, the area of a task, the address
book's own rows; and on a staff page only through the audited reveal (``centre.reveal``).
"""
from __future__ import annotations

from typing import Protocol

from addresses.divisions import divide
from addresses.people import mask_address
from identity.pii import PiiCipher

CONTEXT = "address"


def seal_address(cipher: PiiCipher, value: str) -> tuple[str, str]:
    """(cipher text, mask) of ``value``; ("", "") for no address, so "has an address" stays a
    plain comparison in SQL."""
    value = " ".join((value or "").split())
    if not value:
        return "", ""
    return cipher.encrypt(value, context=CONTEXT), mask_address(value, divide(value))


class HasAddress(Protocol):
    address_cipher: str


def open_address(cipher: PiiCipher, row: HasAddress) -> str:
    """The plaintext of a recipient's address ("" when none was given)."""
    return cipher.decrypt(row.address_cipher, context=CONTEXT) if row.address_cipher else ""

"""Who is standing there: the person present checked against the recipient's record by name and
ID number (the blind index, so no plaintext is read), and recorded masked."""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationFailed
from core.settings import Settings
from identity.id_numbers import IdType, InvalidIdNumber, mask_id_number, normalize_id_number
from identity.pii_keys import pii_cipher
from service.models import Recipient


@dataclass(frozen=True)
class Person:
    name: str
    id_masked: str
    id_index: str


def person(name: str, id_number: str, id_type: str | None, *, settings: Settings, field: str = "id_number") -> Person:
    """A person present, with a checked ID number."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("请填写姓名", code="name_required", details=[{"field": "name", "message": "请填写姓名"}])
    kind = IdType(id_type) if id_type else IdType.RESIDENT_ID
    try:
        value = normalize_id_number(kind, id_number or "")
    except InvalidIdNumber as exc:
        raise ValidationFailed(f"证件号码无效：{exc.message}", code="id_number_invalid",
                               details=[{"field": field, "message": exc.message}]) from exc
    return Person(name, mask_id_number(kind, value), pii_cipher(settings).blind_index(value, context="id_number"))


def matches_recipient(present: Person, recipient: Recipient) -> bool:
    return present.name == recipient.name.strip() and bool(recipient.id_number_index) \
        and present.id_index == recipient.id_number_index

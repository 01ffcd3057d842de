"""The address book's use cases: record addresses (in bulk, inside the caller's transaction),
read a person's addresses (confirmed first), and mark an address invalid everywhere."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from addresses.choices import ELECTRONIC_KINDS, AddressKind, AddressSource, AddressStatus
from addresses.divisions import divide
from addresses.models import Address, AddressRefusal
from addresses.people import PersonKeys, mask_address, mask_electronic, value_index
from addresses.presumption import AddressFact, Proposal, propose
from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import ValidationFailed
from core.sql import insert_rows
from identity.pii import PiiCipher

MAX_ADDRESS = 500
_STATUS_ORDER = {AddressStatus.CONFIRMED: 0, AddressStatus.UNVERIFIED: 1, AddressStatus.INVALID: 2}


@dataclass(frozen=True)
class AddressNote:
    """One address to record, as a source gives it."""

    person: PersonKeys
    kind: AddressKind
    source: AddressSource
    value: str
    status: AddressStatus = AddressStatus.UNVERIFIED
    case_id: int | None = None
    recipient_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    staff_id: int | None = None
    invalid_reason: str = ""


def check_postal(value: str) -> str:
    """A postal address staff type in: cleaned, 5–500 characters, in a province that exists."""
    value = " ".join((value or "").split())
    if not 5 <= len(value) <= MAX_ADDRESS:
        raise ValidationFailed(f"请填写地址（5–{MAX_ADDRESS}字）", code="address_invalid")
    if divide(value) is None:
        raise ValidationFailed("地址中没有可识别的省、市、区县，请核对行政区划", code="address_division_unknown")
    return value


def address_row(cipher: PiiCipher, note: AddressNote, *, court_id: int, now: datetime) -> Address:
    """An unsaved row: encrypted, indexed, masked and divided."""
    value = " ".join(note.value.split())[:MAX_ADDRESS]
    electronic = note.kind in ELECTRONIC_KINDS
    division = None if electronic else divide(value)
    return Address(
        court_id=court_id, person_name=note.person.name[:100], id_number_index=note.person.id_number_index,
        name_phone_index=note.person.name_phone_index, kind=note.kind, source=note.source, status=note.status,
        value_cipher=cipher.encrypt(value, context="address"), value_index=value_index(cipher, value),
        value_masked=mask_electronic(value) if electronic else mask_address(value, division),
        province=division.province if division else "", city=division.city if division else "",
        district=division.district if division else "", adcode=division.adcode if division else "",
        case_id=note.case_id, recipient_id=note.recipient_id, evidence=note.evidence,
        recorded_by_id=note.staff_id, created_at=now,
        confirmed_at=now if note.status is AddressStatus.CONFIRMED else None,
        invalidated_at=now if note.status is AddressStatus.INVALID else None,
        invalid_reason=note.invalid_reason[:200],
    )


async def record_addresses(cipher: PiiCipher, notes: list[AddressNote], *, court_id: int,
                           now: datetime) -> list[Address]:
    """One INSERT for all ``notes`` (the caller's transaction, if any, holds it)."""
    return await insert_rows([address_row(cipher, n, court_id=court_id, now=now) for n in notes if n.value.strip()])


def _person(person: PersonKeys) -> Q:
    """The ID number's index, else name + phone: a row written with either key is the person's."""
    q = Q(id=-1)
    if person.id_number_index:
        q |= Q(id_number_index=person.id_number_index)
    if person.name_phone_index:
        q |= Q(name_phone_index=person.name_phone_index)
    return q


async def addresses_of(person: PersonKeys, *, court_ids: list[int] | None = None) -> list[Address]:
    """A person's addresses, confirmed first, then unverified, then invalid; newest first in each."""
    query = Address.filter(_person(person))
    if court_ids is not None:
        query = query.filter(court_id__in=court_ids)
    rows = await query.order_by("-created_at", "-id")
    return sorted(rows, key=lambda a: _STATUS_ORDER[a.status])


async def invalidate(cipher: PiiCipher, person: PersonKeys, value: str, *, reason: str,
                     now: datetime) -> int:
    """A return marks the address invalid for the person everywhere it is recorded (every case,
    every source); the number of rows changed."""
    return await Address.filter(_person(person), value_index=value_index(cipher, value)).exclude(
        status=AddressStatus.INVALID).update(status=AddressStatus.INVALID, invalidated_at=now,
                                             invalid_reason=reason[:200])


def reveal(cipher: PiiCipher, address: Address) -> str:
    """The plaintext, for the audited reveal flow only."""
    return cipher.decrypt(address.value_cipher, context="address")


async def record_return(cipher: PiiCipher, person: PersonKeys, value: str, *, reason: str, court_id: int,
                        case_id: int | None, recipient_id: int | None, evidence: dict[str, Any],
                        staff_id: int | None, now: datetime) -> int:
    """退回: the address a mail item came back from is invalid for the person in every case and
    source, and the return itself is kept as a row (source 邮件退回) with its evidence."""
    changed = await invalidate(cipher, person, value, reason=reason, now=now)
    await record_addresses(cipher, [AddressNote(
        person=person, kind=AddressKind.POSTAL, source=AddressSource.RETURNED_MAIL, value=value,
        status=AddressStatus.INVALID, case_id=case_id, recipient_id=recipient_id, evidence=evidence,
        staff_id=staff_id, invalid_reason=reason)], court_id=court_id, now=now)
    return changed


MAX_NOTE = 500


async def record_refusal(*, court_id: int, case_id: int, recipient_id: int, note: str, evidence: dict[str, Any],
                         staff_id: int, now: datetime, actor: Actor, meta: RequestMeta) -> AddressRefusal:
    """拒绝确认送达地址, with what shows it (a call, a visit, a note): opens 送达意见 arts. 8–9."""
    note = " ".join((note or "").split())
    if not 2 <= len(note) <= MAX_NOTE:
        raise ValidationFailed(f"请说明当事人拒绝确认地址的情况（2–{MAX_NOTE}字）", code="refusal_note_invalid")
    async with in_transaction():
        refusal = await AddressRefusal.create(court_id=court_id, case_id=case_id, recipient_id=recipient_id,
                                              note=note, evidence=evidence, recorded_by_id=staff_id, created_at=now)
        await record_event(EventType.ADDRESS_REFUSED, court_id=court_id, recipient_id=recipient_id, actor=actor,
                           meta=meta, data={"refusal_id": refusal.id, "case_id": case_id, **evidence})
    return refusal


def facts_of(rows: list[Address]) -> list[AddressFact]:
    return [AddressFact(a.id, a.kind, a.source, a.status, a.case_id, a.created_at) for a in rows]


async def proposal_for(person: PersonKeys, *, case_id: int, recipient_id: int, organisation: bool,
                       now: datetime, lineage: frozenset[int] = frozenset()) -> tuple[list[Address], Proposal]:
    """复用: the person's addresses from every case (confirmed first) and the presumption's proposal;
    ``lineage``: the case's lineage (``service.lineage.lineage_of``), whose confirmation is this case's."""
    rows = await addresses_of(person)
    refused = await AddressRefusal.filter(case_id=case_id, recipient_id=recipient_id).exists()
    return rows, propose(facts_of(rows), case_id=case_id, now=now, refused=refused, organisation=organisation,
                         lineage=lineage)

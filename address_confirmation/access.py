"""Which case a litigant may confirm addresses in, and what they see there. Every read starts from
the caller's own recipient rows (a portal login's phone index, a mini-program binding's
recipient ids), filtered by the case in the query: a case they are not in is 404, like one that
does not exist."""
from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from addresses.book import addresses_of
from addresses.choices import AddressStatus
from addresses.models import Address, AddressConfirmation
from addresses.people import PersonKeys, person_keys
from core.errors import NotFound
from core.settings import Settings
from identity.pii_keys import pii_cipher
from service.lineage import lineage_of
from service.models import Case, Court, Recipient

NOT_FOUND = "案件不存在或您不是本案的受送达人"


@dataclass(frozen=True)
class Litigant:
    """The caller as a recipient of one case: their newest recipient row there."""

    recipient: Recipient
    case: Case
    court: Court

    @property
    def code_subject(self) -> str:
        # Stable while new services of the case arrive between asking for the code and using it.
        return f"case:{self.case.id}:{self.recipient.phone_index}"


async def litigant_in_case(case_id: int, *, phone_index: str | None = None,
                           recipient_ids: list[int] | None = None) -> Litigant:
    if not 0 < case_id < 2**31 or (not phone_index and not recipient_ids):
        raise NotFound(NOT_FOUND, code="case_not_found")
    query = Recipient.filter(service__case_id=case_id)
    query = query.filter(phone_index=phone_index) if phone_index else query.filter(id__in=recipient_ids)
    recipient = await query.order_by("-service_id", "position").first()
    if recipient is None:
        raise NotFound(NOT_FOUND, code="case_not_found")
    case = await Case.get(id=case_id)
    return Litigant(recipient, case, await Court.get(id=case.court_id))


def person_of(litigant: Litigant, settings: Settings) -> PersonKeys:
    r = litigant.recipient
    return person_keys(pii_cipher(settings), r.name, id_number_index=r.id_number_index, phone_index=r.phone_index)


@dataclass(frozen=True)
class OnFile:
    """What the form shows: the person's addresses at this court (masked, invalid ones left out)
    and their confirmations in this case's lineage, newest first."""

    addresses: list[Address]
    confirmations: list[AddressConfirmation]


async def on_file(litigant: Litigant, settings: Settings) -> OnFile:
    person = person_of(litigant, settings)
    rows = [a for a in await addresses_of(person, court_ids=[litigant.court.id]) if a.status is not AddressStatus.INVALID]
    seen: set[tuple] = set()
    shown = []
    for row in rows:  # the same address from several intakes is one line
        if (key := (row.value_index, row.kind)) not in seen:
            seen.add(key)
            shown.append(row)
    return OnFile(shown, await confirmations_of(person, await lineage_of(litigant.case.id)))


async def confirmations_of(person: PersonKeys, case_ids: frozenset[int]) -> list[AddressConfirmation]:
    """The person's confirmations in these cases (a lineage), newest first."""
    q = Q(id=-1)
    if person.id_number_index:
        q |= Q(id_number_index=person.id_number_index)
    if person.name_phone_index:
        q |= Q(name_phone_index=person.name_phone_index)
    return await AddressConfirmation.filter(q, case_id__in=list(case_ids)).order_by("-created_at", "-id")

"""The address book (地址库) as staff see it: a recipient's addresses from every case of the courts
in their scope, masked, with the presumption's proposal; the audited reveal; refusals; extracted
candidates; the figures (采集数量, 确认数量, 查询次数).

Every read starts from a recipient the caller may see (one of their attempts is in the scope), and
reads addresses of the scope's courts only; each opening of a book is counted as a lookup.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from addresses.book import AddressNote, addresses_of, facts_of, record_addresses, record_refusal, reveal
from addresses.candidates import candidate_in_scope, extract_document, review_candidate
from addresses.choices import AddressSource, AddressStatus
from addresses.lookups import (
    AddressLookup,
    LookupFailed,
    LookupNotConfigured,
    LookupPurpose,
    LookupRefused,
    LookupSource,
)
from addresses.models import Address, AddressCandidate, AddressConfirmation, AddressRefusal
from addresses.ocr import Ocr
from addresses.people import PersonKeys, person_keys
from addresses.presumption import Proposal, propose
from audit.choices import EventType
from audit.events import RequestMeta, record_event
from audit.models import Event
from centre.scope import Scope
from core.errors import NotFound, ValidationFailed
from core.settings import Settings
from documents.models import Document
from documents.storage import Storage
from identity.id_numbers import IdType
from identity.limits import LimitBackend, RateLimited
from identity.pii_keys import pii_cipher
from service.lineage import lineage_of
from service.models import Attempt, Court, Recipient, Service, ServiceDocument

MIN_REASON, MAX_REASON = 2, 200


@dataclass(frozen=True)
class AddressGroup:
    """One address of one type and status, as every source that gave it: the newest row shown."""

    row: Address
    sources: list[str]
    count: int


@dataclass(frozen=True)
class AddressBook:
    recipient: Recipient
    case_id: int
    rows: list[Address]
    proposal: Proposal
    refusals: list[AddressRefusal]
    # 送达地址确认书 the person signed in this case's lineage (first instance, appeal, enforcement).
    confirmations: list[AddressConfirmation] = ()

    @property
    def groups(self) -> list[AddressGroup]:
        """The rows, the same address recorded again (each intake of the person records it) folded."""
        groups: dict[tuple, list[Address]] = {}
        for row in self.rows:  # confirmed first, newest first: a group's first row is its newest
            groups.setdefault((row.value_index, row.kind, row.status), []).append(row)
        return [AddressGroup(rows[0], sorted({r.source.label for r in rows}), len(rows)) for rows in groups.values()]


async def court_ids(scope: Scope) -> list[int]:
    if scope.court_id is not None:
        return [scope.court_id]
    return [c.id for c in await Court.filter(centre_id=scope.centre_id).only("id")]


async def recipient_in_scope(scope: Scope, recipient_id: int) -> Recipient:
    """A recipient with an attempt the caller may see; anyone else does not exist for them."""
    if not 0 < recipient_id < 2**31 or not await Attempt.filter(
            recipient_id=recipient_id, **scope.attempt_filter()).exists():
        raise NotFound("受送达人不存在")
    return await Recipient.get(id=recipient_id)


def _person(settings: Settings, recipient: Recipient) -> PersonKeys:
    return person_keys(pii_cipher(settings), recipient.name, id_number_index=recipient.id_number_index,
                       phone_index=recipient.phone_index)


async def open_address_book(scope: Scope, recipient_id: int, *, settings: Settings, now: datetime,
                            meta: RequestMeta) -> AddressBook:
    """地址库查询: the recipient's addresses (confirmed first) and the proposal, counted as a lookup."""
    recipient = await recipient_in_scope(scope, recipient_id)
    service = await Service.get(id=recipient.service_id)
    person, courts = _person(settings, recipient), await court_ids(scope)
    rows = await addresses_of(person, court_ids=courts)
    refusals = await AddressRefusal.filter(case_id=service.case_id, recipient_id=recipient.id).order_by("-id")
    lineage = await lineage_of(service.case_id)
    proposal = propose(facts_of(rows), case_id=service.case_id, now=now, refused=bool(refusals),
                       organisation=recipient.id_type == IdType.USCC.value, lineage=lineage)
    confirmations = await _confirmations(person, lineage, courts)
    await record_event(EventType.ADDRESS_LOOKED_UP, court_id=service.court_id, service_id=service.id,
                       recipient_id=recipient.id, actor=scope.actor, meta=meta, data={"rows": len(rows)})
    return AddressBook(recipient, service.case_id, rows, proposal, refusals, confirmations)


async def _confirmations(person: PersonKeys, lineage: frozenset[int], courts: list[int]) -> list[AddressConfirmation]:
    q = Q(id=-1)
    if person.id_number_index:
        q |= Q(id_number_index=person.id_number_index)
    if person.name_phone_index:
        q |= Q(name_phone_index=person.name_phone_index)
    return await AddressConfirmation.filter(q, case_id__in=list(lineage), court_id__in=courts).prefetch_related(
        "case").order_by("-created_at", "-id")


async def confirmation_in_scope(scope: Scope, recipient_id: int, number: str, *,
                                settings: Settings) -> AddressConfirmation:
    """One of the recipient's confirmations in their case's lineage, for its sealed PDF."""
    recipient = await recipient_in_scope(scope, recipient_id)
    service = await Service.get(id=recipient.service_id)
    found = {c.confirmation_no: c for c in await _confirmations(
        _person(settings, recipient), await lineage_of(service.case_id), await court_ids(scope))}.get(number)
    if found is None:
        raise NotFound("送达地址确认书不存在")
    return found


async def reveal_address(scope: Scope, recipient_id: int, address_id: int, reason: str, *, settings: Settings,
                         now: datetime, meta: RequestMeta) -> str:
    """查看: one address in plaintext, for a reason that is recorded (``pii.revealed``)."""
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(f"请填写查看原因（{MIN_REASON}–{MAX_REASON}字）", code="reveal_reason_required")
    recipient = await recipient_in_scope(scope, recipient_id)
    person = _person(settings, recipient)
    mine = {a.id: a for a in await addresses_of(person, court_ids=await court_ids(scope))}
    address = mine.get(address_id)
    if address is None:
        raise NotFound("地址不存在")
    value = reveal(pii_cipher(settings), address)
    async with in_transaction():
        await record_event(EventType.PII_REVEALED, court_id=address.court_id, service_id=recipient.service_id,
                           recipient_id=recipient.id, actor=scope.actor, meta=meta,
                           data={"field": "address", "address_id": address.id, "reason": reason,
                                 "at": now.isoformat()})
    return value


async def refuse(scope: Scope, recipient_id: int, note: str, *, now: datetime, meta: RequestMeta) -> AddressRefusal:
    recipient = await recipient_in_scope(scope, recipient_id)
    service = await Service.get(id=recipient.service_id)
    return await record_refusal(court_id=service.court_id, case_id=service.case_id, recipient_id=recipient.id,
                                note=note, evidence={"recorded_via": "console"}, staff_id=scope.staff_id, now=now,
                                actor=scope.actor, meta=meta)


async def document_in_scope(scope: Scope, document_id: int) -> Document:
    if not 0 < document_id < 2**31:
        raise NotFound("文书不存在")
    document = await Document.get_or_none(id=document_id, court_id__in=await court_ids(scope))
    if document is None:
        raise NotFound("文书不存在")
    return document


async def document_recipients(scope: Scope, document_id: int) -> list[Recipient]:
    """The recipients of the services that served this document, as far as the caller may see them."""
    service_ids = [s.service_id for s in await ServiceDocument.filter(document_id=document_id).only("service_id")]
    seen = {a.recipient_id for a in await Attempt.filter(service_id__in=service_ids, **scope.attempt_filter())
            .only("recipient_id")}
    return await Recipient.filter(id__in=seen).order_by("service_id", "position")


async def extract_candidates(scope: Scope, document_id: int, *, storage: Storage, settings: Settings,
                             now: datetime, ocr: Ocr | None) -> list[AddressCandidate]:
    """Scanned pages are read by ``ocr`` (off the event loop: OCR takes about a second a page)."""
    document = await document_in_scope(scope, document_id)
    return await extract_document(pii_cipher(settings), court_id=document.court_id, document_id=document.id,
                                  pdf=storage.get(document.sha256), now=now, ocr=ocr)


async def candidates_of(scope: Scope, document_id: int) -> list[AddressCandidate]:
    document = await document_in_scope(scope, document_id)
    return await AddressCandidate.filter(document_id=document.id).order_by("page", "id")


async def review(scope: Scope, candidate_id: int, *, accept: bool, recipient_id: int | None, settings: Settings,
                 now: datetime, meta: RequestMeta) -> Address | None:
    if not 0 < candidate_id < 2**31:
        raise NotFound("候选地址不存在")
    candidate = await candidate_in_scope(candidate_id, await court_ids(scope))
    recipient = person = case_id = None
    if accept:
        if recipient_id is None:
            raise ValidationFailed("请选择该地址所属的受送达人", code="recipient_required")
        recipient = await recipient_in_scope(scope, recipient_id)
        person = _person(settings, recipient)
        case_id = (await Service.get(id=recipient.service_id)).case_id
    return await review_candidate(pii_cipher(settings), candidate, accept=accept, person=person, case_id=case_id,
                                  recipient_id=recipient.id if recipient else None, staff_id=scope.staff_id,
                                  now=now, actor=scope.actor, meta=meta)


@dataclass(frozen=True)
class AddressFigures:
    collected: int
    confirmed: int
    invalidated: int
    lookups: int
    by_source: list[tuple[str, int]]
    lookups_by_staff: list[tuple[str, int]]


async def address_figures(scope: Scope, start: datetime, end: datetime) -> AddressFigures:
    """采集数量 (addresses recorded), 确认数量 (confirmed), 失效, 查询次数 (book openings), in [start, end)."""
    courts = await court_ids(scope)
    rows = Address.filter(court_id__in=courts)
    collected = await rows.filter(created_at__gte=start, created_at__lt=end).count()
    confirmed = await rows.filter(confirmed_at__gte=start, confirmed_at__lt=end,
                                  status=AddressStatus.CONFIRMED).count()
    invalidated = await rows.filter(invalidated_at__gte=start, invalidated_at__lt=end).count()
    by_source = await (Address.filter(court_id__in=courts, created_at__gte=start, created_at__lt=end)
                       .annotate(n=Count("id")).group_by("source").values_list("source", "n"))
    lookups = Event.filter(court_id__in=courts, type=EventType.ADDRESS_LOOKED_UP, created_at__gte=start,
                           created_at__lt=end)
    per_staff = await lookups.annotate(n=Count("id")).group_by("actor_id").values_list("actor_id", "n")
    return AddressFigures(
        collected=collected, confirmed=confirmed, invalidated=invalidated, lookups=await lookups.count(),
        by_source=sorted(((AddressSource(s).label, n) for s, n in by_source), key=lambda r: -r[1]),
        lookups_by_staff=sorted(per_staff, key=lambda r: -r[1]))


LOOKUPS_PER_DAY = 20  # per staff member (个人信息保护法 art. 6: the minimum necessary)


async def external_lookup(scope: Scope, recipient_id: int, source: LookupSource, reason: str, *,
                          providers: Mapping[LookupSource, AddressLookup], limits: LimitBackend,
                          settings: Settings, now: datetime, meta: RequestMeta) -> list[Address]:
    """外部地址查询: asks one provider for the recipient's addresses, with a recorded reason, within
    the staff member's daily limit; what it answers enters the book as unverified.

    Every call that reached for a provider is an ``address.looked_up`` event (查询次数), failed
    ones too, with the outcome and the request id the provider logs. Only an answer about the
    person (addresses, none, or a refusal to disclose) counts against the daily limit: a call
    the provider never answered disclosed nothing, and an outage must not use up a day's quota.
    """
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(f"请填写查询原因（{MIN_REASON}–{MAX_REASON}字）", code="lookup_reason_required")
    recipient = await recipient_in_scope(scope, recipient_id)
    provider = providers.get(source)
    if provider is None:
        raise LookupNotConfigured(f"本院尚未接入{source.label}查询接口，请联系系统管理员")
    if source is LookupSource.POPULATION and not recipient.id_number_cipher:
        raise ValidationFailed("该受送达人没有登记证件号码，无法查询人口信息库", code="lookup_needs_id_number")
    if source is LookupSource.CARRIER and not recipient.phone_cipher:
        raise ValidationFailed("该受送达人没有登记手机号码，无法查询运营商", code="lookup_needs_phone")
    key = f"address-lookup:{scope.staff_id}"
    room = await limits.peek(key, LOOKUPS_PER_DAY, timedelta(days=1), now=now)
    if not room.allowed:
        raise _limited(room.retry_after)
    service = await Service.get(id=recipient.service_id)
    court = await Court.get(id=service.court_id)
    cipher = pii_cipher(settings)
    purpose = LookupPurpose(reason=reason, staff_id=scope.staff_id or 0, court_code=court.code,
                            request_id=uuid.uuid4().hex)
    event = {"external": source.value, "reason": reason, "request_id": purpose.request_id}
    try:
        # Minimum necessary: the population register gets the ID number, the carrier the phone.
        found = await provider.lookup(
            name=recipient.name, purpose=purpose,
            id_number=cipher.decrypt(recipient.id_number_cipher, context="id_number")
            if source is LookupSource.POPULATION else None,
            phone=cipher.decrypt(recipient.phone_cipher, context="phone") if source is LookupSource.CARRIER else None)
    except LookupFailed as exc:
        if isinstance(exc, LookupRefused):
            await limits.hit(key, LOOKUPS_PER_DAY, timedelta(days=1), now=now)
        await record_event(EventType.ADDRESS_LOOKED_UP, court_id=service.court_id, service_id=service.id,
                           recipient_id=recipient.id, actor=scope.actor, meta=meta,
                           data={**event, "outcome": exc.code, "address_ids": []})
        raise
    # Counted once answered; two lookups racing past the peek may go one over the limit.
    await limits.hit(key, LOOKUPS_PER_DAY, timedelta(days=1), now=now)
    async with in_transaction():
        rows = await record_addresses(cipher, [AddressNote(
            person=_person(settings, recipient), kind=r.kind, source=AddressSource.EXTERNAL_LOOKUP, value=r.value,
            case_id=service.case_id, recipient_id=recipient.id, staff_id=scope.staff_id,
            evidence={"lookup": source.value, "reason": reason, "request_id": purpose.request_id})
            for r in found], court_id=service.court_id, now=now)
        await record_event(EventType.ADDRESS_LOOKED_UP, court_id=service.court_id, service_id=service.id,
                           recipient_id=recipient.id, actor=scope.actor, meta=meta,
                           data={**event, "outcome": "found" if rows else "not_found",
                                 "address_ids": [a.id for a in rows]})
    return rows


def _limited(retry_after: int | None) -> RateLimited:
    return RateLimited(f"今日外部地址查询已达上限（{LOOKUPS_PER_DAY}次），请明日再查", code="lookup_limited",
                       retry_after=retry_after)

"""Extracted addresses under review (提取地址审核): a document's candidates are stored encrypted,
then staff accept one into the person's address book or reject it."""
from __future__ import annotations

import asyncio
from datetime import datetime

from tortoise.transactions import in_transaction

from addresses.book import AddressNote, record_addresses
from addresses.choices import AddressSource, CandidateStatus
from addresses.divisions import divide
from addresses.extraction import extract_from_pdf
from addresses.models import Address, AddressCandidate
from addresses.ocr import Ocr
from addresses.people import PersonKeys, mask_address
from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import Conflict, NotFound, ValidationFailed
from core.sql import insert_rows
from identity.pii import PiiCipher


async def extract_document(cipher: PiiCipher, *, court_id: int, document_id: int, pdf: bytes, now: datetime,
                           ocr: Ocr | None = None) -> list[AddressCandidate]:
    """A document's candidates, once; a document without any address is refused and nothing is written."""
    if await AddressCandidate.filter(document_id=document_id).exists():
        raise Conflict("该文书已提取过地址", code="already_extracted")
    found = await asyncio.to_thread(extract_from_pdf, pdf, ocr)  # PDFium and OCR: off the event loop
    if not found:
        raise ValidationFailed("该文书中未找到地址", code="no_address_found")
    return await insert_rows([
        AddressCandidate(court_id=court_id, document_id=document_id, page=c.page, person_name=c.person[:100],
                         kind=c.kind, value_cipher=cipher.encrypt(c.value, context="address"),
                         value_masked=mask_address(c.value, divide(c.value)), adcode=c.adcode,
                         confidence=c.confidence, created_at=now)
        for c in found])


async def candidate_in_scope(candidate_id: int, court_ids: list[int]) -> AddressCandidate:
    candidate = await AddressCandidate.get_or_none(id=candidate_id, court_id__in=court_ids)
    if candidate is None:
        raise NotFound("候选地址不存在")
    return candidate


async def review_candidate(cipher: PiiCipher, candidate: AddressCandidate, *, accept: bool,
                           person: PersonKeys | None, case_id: int | None, recipient_id: int | None, staff_id: int,
                           now: datetime, actor: Actor, meta: RequestMeta) -> Address | None:
    """采纳 records the address as the person's (source: 诉讼材料提取, unverified); 驳回 keeps nothing."""
    if accept and person is None:
        raise ValidationFailed("请选择该地址所属的受送达人", code="recipient_required")
    status = CandidateStatus.ACCEPTED if accept else CandidateStatus.REJECTED
    async with in_transaction():
        changed = await AddressCandidate.filter(id=candidate.id, status=CandidateStatus.PENDING).update(
            status=status, reviewed_at=now, reviewed_by_id=staff_id)
        if not changed:
            raise Conflict("该候选地址已审核", code="candidate_reviewed")
        address = None
        if accept:
            [address] = await record_addresses(cipher, [AddressNote(
                person=person, kind=candidate.kind, source=AddressSource.DOCUMENT, case_id=case_id, recipient_id=recipient_id,
                value=cipher.decrypt(candidate.value_cipher, context="address"), staff_id=staff_id,
                evidence={"document_id": candidate.document_id, "page": candidate.page, "candidate_id": candidate.id,
                          "confidence": candidate.confidence})], court_id=candidate.court_id, now=now)
            await AddressCandidate.filter(id=candidate.id).update(address_id=address.id)
        await record_event(EventType.ADDRESS_CANDIDATE_REVIEWED, court_id=candidate.court_id,
                           recipient_id=recipient_id, actor=actor, meta=meta,
                           data={"candidate_id": candidate.id, "accepted": accept,
                                 "address_id": address.id if address else None})
    return address

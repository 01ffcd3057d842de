"""addresses/candidates.py: a document's candidates stored, then accepted into the book or rejected."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from addresses.book import reveal
from addresses.candidates import candidate_in_scope, extract_document, review_candidate
from addresses.choices import AddressSource, CandidateStatus
from addresses.models import Address, AddressCandidate
from addresses.people import person_keys
from audit.events import Actor, RequestMeta
from core.errors import Conflict, NotFound, ValidationFailed
from identity.pii_keys import pii_cipher
from tests.addresses.corpus import render_pdf
from tests.factories import make_court, make_document, make_service, make_staff

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
PLEADING = ["民事起诉状\n原告：张三，男，住广西柳州市城中区示范路1号。",
            "被告：王小明，户籍地广西北海市海城区北部湾中路3号。"]


async def test_candidates_are_stored_masked_and_reviewed_once(db):
    court = await make_court()
    cipher = pii_cipher(db)
    service, [recipient], _ = await make_service(court, db)
    pdf = render_pdf(PLEADING)
    document = await make_document(court, db.data_dir, pdf)
    staff, *_ = await make_staff(court, settings=db)
    first, second = await extract_document(cipher, court_id=court.id, document_id=document.id, pdf=pdf, now=NOW)
    assert (first.person_name, first.page, second.person_name, second.page) == ("张三", 1, "王小明", 2)
    assert second.value_masked == "广西壮族自治区北海市海城区****" and "北部湾" not in second.value_cipher
    with pytest.raises(Conflict):
        await extract_document(cipher, court_id=court.id, document_id=document.id, pdf=pdf, now=NOW)

    person = person_keys(cipher, recipient.name, id_number_index=recipient.id_number_index,
                         phone_index=recipient.phone_index)
    common = {"staff_id": staff.id, "now": NOW, "actor": Actor.system(), "meta": RequestMeta.none()}
    with pytest.raises(ValidationFailed):
        await review_candidate(cipher, second, accept=True, person=None, case_id=None, recipient_id=None, **common)
    address = await review_candidate(cipher, second, accept=True, person=person, case_id=service.case_id,
                                     recipient_id=recipient.id, **common)
    assert address.source is AddressSource.DOCUMENT and reveal(cipher, address) == "广西北海市海城区北部湾中路3号"
    assert address.evidence["document_id"] == document.id and address.evidence["page"] == 2
    assert await review_candidate(cipher, first, accept=False, person=None, case_id=None, recipient_id=None,
                                  **common) is None
    with pytest.raises(Conflict):
        await review_candidate(cipher, first, accept=True, person=person, case_id=None, recipient_id=None, **common)
    statuses = [c.status for c in await AddressCandidate.all().order_by("id")]
    assert statuses == [CandidateStatus.REJECTED, CandidateStatus.ACCEPTED]
    with pytest.raises(NotFound):
        await candidate_in_scope(first.id, [court.id + 1])


async def test_a_document_without_an_address_is_refused_and_nothing_is_written(db):
    court = await make_court()
    pdf = render_pdf(["本判决为终审判决。"])
    document = await make_document(court, db.data_dir, pdf)
    with pytest.raises(ValidationFailed) as caught:
        await extract_document(pii_cipher(db), court_id=court.id, document_id=document.id, pdf=pdf, now=NOW)
    assert caught.value.code == "no_address_found"
    assert await AddressCandidate.all().count() == 0 and await Address.filter(source=AddressSource.DOCUMENT).count() == 0

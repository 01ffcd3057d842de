"""addresses/book.py: intake feeds the address book; a person's addresses, confirmed first; a return
invalidates the address in every case."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from addresses.book import AddressNote, addresses_of, check_postal, record_addresses, record_return, reveal
from addresses.choices import AddressKind, AddressSource, AddressStatus
from addresses.models import Address
from addresses.people import person_keys
from core.errors import ValidationFailed
from identity.pii_keys import pii_cipher
from service.models import Recipient
from service.recipient_address import open_address
from tests.factories import make_court, make_service

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def keys_of(cipher, recipient: Recipient):
    return person_keys(cipher, recipient.name, id_number_index=recipient.id_number_index,
                       phone_index=recipient.phone_index)


async def test_intake_records_each_recipients_address_and_phone_encrypted_and_masked(db):
    service, [recipient], _ = await make_service(settings=db)
    cipher = pii_cipher(db)
    rows = await Address.filter(recipient_id=recipient.id).order_by("id")
    assert [(a.kind, a.source, a.status) for a in rows] == [
        (AddressKind.POSTAL, AddressSource.COURT_INTAKE, AddressStatus.UNVERIFIED),
        (AddressKind.PHONE, AddressSource.COURT_INTAKE, AddressStatus.UNVERIFIED)]
    postal, phone = rows
    assert "示范路" not in postal.value_cipher and reveal(cipher, postal) == open_address(cipher, recipient)
    assert postal.value_masked == "广西壮族自治区柳州市城中区****"
    assert (postal.province, postal.city, postal.district, postal.adcode) == ("广西壮族自治区", "柳州市", "城中区",
                                                                              "450202")
    assert phone.value_masked == recipient.phone_masked
    assert postal.case_id == service.case_id and postal.id_number_index == recipient.id_number_index


async def test_a_person_is_found_by_id_number_else_by_name_and_phone(db):
    court = await make_court()
    cipher = pii_cipher(db)
    _, [first], _ = await make_service(court, db)
    _, [second], _ = await make_service(court, db)
    # The same person in another case: same ID number, another phone.
    await Address.filter(recipient_id=second.id).update(id_number_index=first.id_number_index)
    assert {a.recipient_id for a in await addresses_of(keys_of(cipher, first))} == {first.id, second.id}
    # Without an ID number: name + phone.
    no_id = person_keys(cipher, first.name, phone_index=first.phone_index)
    assert {a.recipient_id for a in await addresses_of(no_id)} == {first.id}
    assert await addresses_of(person_keys(cipher, "别人", phone_index=first.phone_index)) == []


async def test_confirmed_first_then_unverified_then_invalid(db):
    court = await make_court()
    cipher = pii_cipher(db)
    person = person_keys(cipher, "王小明", id_number_index="x" * 64)
    notes = [AddressNote(person, AddressKind.REGISTERED, AddressSource.DOCUMENT, "广西柳州市城中区户籍路1号"),
             AddressNote(person, AddressKind.CONFIRMED_SERVICE, AddressSource.PHONE_CALL, "广西柳州市城中区确认路2号",
                         status=AddressStatus.CONFIRMED),
             AddressNote(person, AddressKind.POSTAL, AddressSource.COURT_INTAKE, "广西柳州市城中区旧址路3号",
                         status=AddressStatus.INVALID, invalid_reason="邮件退回")]
    await record_addresses(cipher, notes, court_id=court.id, now=NOW)
    assert [a.status for a in await addresses_of(person)] == [
        AddressStatus.CONFIRMED, AddressStatus.UNVERIFIED, AddressStatus.INVALID]


async def test_a_return_invalidates_the_address_in_every_case_and_is_kept_as_a_row(db):
    court = await make_court()
    cipher = pii_cipher(db)
    person = person_keys(cipher, "王小明", id_number_index="y" * 64)
    value = "广西柳州市城中区示范路9号"
    await record_addresses(cipher, [
        AddressNote(person, AddressKind.POSTAL, AddressSource.COURT_INTAKE, value, case_id=None),
        AddressNote(person, AddressKind.CONFIRMED_SERVICE, AddressSource.PHONE_CALL, " 广西柳州市城中区 示范路9号",
                    status=AddressStatus.CONFIRMED),
        AddressNote(person, AddressKind.WORKPLACE, AddressSource.DOCUMENT, "广西柳州市城中区工厂路1号"),
    ], court_id=court.id, now=NOW)
    later = NOW + timedelta(days=1)
    changed = await record_return(cipher, person, value, reason="邮件退回：查无此人", court_id=court.id, case_id=None,
                                  recipient_id=None, evidence={"mail_item_id": 7}, staff_id=None, now=later)
    assert changed == 2
    rows = await addresses_of(person)
    invalid = [a for a in rows if a.status is AddressStatus.INVALID]
    assert len(invalid) == 3 and all(a.invalidated_at == later for a in invalid)
    assert {a.source for a in invalid} >= {AddressSource.RETURNED_MAIL}
    assert rows[0].kind is AddressKind.WORKPLACE and rows[0].status is AddressStatus.UNVERIFIED


@pytest.mark.parametrize(("value", "code"), [
    ("", "address_invalid"), ("短", "address_invalid"), ("火星省某市某区1号", "address_division_unknown"),
    ("x" * 501, "address_invalid"),
])
def test_bad_postal_addresses_are_refused_in_chinese(value, code):
    with pytest.raises(ValidationFailed) as caught:
        check_postal(value)
    assert caught.value.code == code and caught.value.status == 422


def test_a_good_postal_address_is_cleaned():
    assert check_postal("  广西柳州市城中区  示范路1号 ") == "广西柳州市城中区 示范路1号"


async def test_a_refusal_opens_the_presumption_and_history_from_other_cases_is_offered(db):
    from addresses.book import proposal_for, record_refusal
    from addresses.models import AddressRefusal
    from addresses.presumption import RULE_CONTRACT, RULE_OTHER_CASE
    from audit.events import Actor, RequestMeta
    from tests.factories import make_staff

    court = await make_court()
    cipher = pii_cipher(db)
    earlier, [before], _ = await make_service(court, db)
    service, [recipient], _ = await make_service(court, db)
    await Address.filter(recipient_id=recipient.id).update(id_number_index=before.id_number_index)
    person = keys_of(cipher, before)
    await record_addresses(cipher, [AddressNote(person, AddressKind.CONFIRMED_SERVICE, AddressSource.LITIGANT,
                                                "广西北海市海城区确认路1号", status=AddressStatus.CONFIRMED,
                                                case_id=earlier.case_id)], court_id=court.id, now=NOW)
    rows, proposal = await proposal_for(person, case_id=service.case_id, recipient_id=recipient.id,
                                        organisation=False, now=NOW)
    assert proposal.address_id is None and "尚未确认" in proposal.reason
    assert rows[0].status is AddressStatus.CONFIRMED and len(rows) == 5  # 2 + 2 from intake, 1 confirmed
    staff, *_ = await make_staff(court, settings=db)
    with pytest.raises(ValidationFailed):
        await record_refusal(court_id=court.id, case_id=service.case_id, recipient_id=recipient.id, note=" ",
                             evidence={}, staff_id=staff.id, now=NOW, actor=Actor.system(), meta=RequestMeta.none())
    assert await AddressRefusal.all().count() == 0
    await record_refusal(court_id=court.id, case_id=service.case_id, recipient_id=recipient.id,
                         note="电话中明确拒绝确认", evidence={"call_id": 1}, staff_id=staff.id, now=NOW,
                         actor=Actor.system(), meta=RequestMeta.none())
    _, proposal = await proposal_for(person, case_id=service.case_id, recipient_id=recipient.id,
                                     organisation=False, now=NOW + timedelta(days=30))
    assert (proposal.address_id, proposal.rule) == (rows[0].id, RULE_OTHER_CASE)
    [contract] = await record_addresses(cipher, [AddressNote(person, AddressKind.CONTRACT, AddressSource.DOCUMENT,
                                                             "广西柳州市城中区约定路8号", case_id=service.case_id)],
                                        court_id=court.id, now=NOW)
    _, proposal = await proposal_for(person, case_id=service.case_id, recipient_id=recipient.id,
                                     organisation=False, now=NOW)
    assert (proposal.address_id, proposal.rule) == (contract.id, RULE_CONTRACT)

"""送达地址确认书: the use case (address_confirmation/confirm.py) without a server."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from address_confirmation.access import litigant_in_case, on_file
from address_confirmation.confirm import sign_address_confirmation
from address_confirmation.form import ConfirmationForm
from address_confirmation.verification import check_confirmation_file
from addresses.choices import AddressKind, AddressSource, AddressStatus, ConfirmationChannel
from addresses.models import Address, AddressConfirmation
from audit.choices import EventType
from audit.events import RequestMeta
from audit.models import Event
from core.errors import NotFound, ValidationFailed
from documents.kinds import DocumentKind
from documents.models import Document
from documents.storage import LocalStorage
from identity.codes import CodeWrong, store_code
from identity.models import CodePurpose
from receipts.seal import Sealer
from tests.factories import make_service, signature_png

META = RequestMeta("203.0.113.9", "pytest")
POSTAL = "广西壮族自治区北海市海城区北部湾中路12号"
KEY = "k" * 24


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _litigant(db):
    service, [recipient], _ = await make_service(settings=db)
    return await litigant_in_case(service.case_id, phone_index=recipient.phone_index)


async def _code(db, litigant) -> str:
    return await store_code(CodePurpose.ADDRESS, litigant.code_subject, settings=db, now=now(),
                            ttl=timedelta(minutes=5))


def _kw(db, **overrides):
    return {"signature_png": signature_png(), "submission_key": KEY, "channel": ConfirmationChannel.PORTAL,
            "sealer": Sealer.from_settings(db), "storage": LocalStorage(db.files_dir), "settings": db,
            "now": now(), "meta": META, **overrides}


def _form(**overrides) -> ConfirmationForm:
    return ConfirmationForm(**{"postal": POSTAL, "phone": "13800138000", "email": "wang@example.com",
                               "wechat": "wang_2024", "accepted": True, **overrides})


async def _written() -> tuple[int, int, int, int]:
    return (await AddressConfirmation.all().count(), await Address.filter(source=AddressSource.LITIGANT).count(),
            await Document.filter(kind=DocumentKind.ADDRESS_CONFIRMATION).count(),
            await Event.filter(type=EventType.ADDRESS_CONFIRMATION_SIGNED).count())


async def test_signing_records_confirmed_addresses_a_sealed_document_and_an_event(db):
    litigant = await _litigant(db)
    found = await sign_address_confirmation(litigant, _form(), code=await _code(db, litigant), **_kw(db))
    rows = await Address.filter(id__in=found.address_ids).order_by("id")
    assert [(r.kind, r.source, r.status) for r in rows] == [
        (AddressKind.CONFIRMED_SERVICE, AddressSource.LITIGANT, AddressStatus.CONFIRMED),
        (AddressKind.PHONE, AddressSource.LITIGANT, AddressStatus.CONFIRMED),
        (AddressKind.EMAIL, AddressSource.LITIGANT, AddressStatus.CONFIRMED),
        (AddressKind.WECHAT, AddressSource.LITIGANT, AddressStatus.CONFIRMED)]
    assert rows[0].case_id == litigant.case.id and rows[0].adcode.startswith("4505")
    assert POSTAL not in rows[0].value_masked and found.postal_masked.endswith("****")
    document = await Document.get(id=found.document_id)
    pdf = LocalStorage(db.files_dir).get(document.sha256)
    sealer = Sealer.from_settings(db)  # pyHanko's sync check runs its own loop: off this one, as the page does
    assert (await asyncio.to_thread(check_confirmation_file, found, pdf, sealer)).consistent
    tampered = pdf.replace(b"(2024)", b"(2025)", 1) if b"(2024)" in pdf else pdf[:200] + b"X" + pdf[201:]
    assert not (await asyncio.to_thread(check_confirmation_file, found, tampered, sealer)).consistent
    [event] = await Event.filter(type=EventType.ADDRESS_CONFIRMATION_SIGNED)
    assert event.data["confirmation_no"] == found.confirmation_no and POSTAL not in str(event.data)
    view = await on_file(litigant, db)
    assert [c.id for c in view.confirmations] == [found.id]


async def test_the_same_submission_twice_is_one_confirmation(db):
    litigant = await _litigant(db)
    first = await sign_address_confirmation(litigant, _form(), code=await _code(db, litigant), **_kw(db))
    again = await sign_address_confirmation(litigant, _form(), code="000000", **_kw(db))
    assert again.id == first.id
    assert await _written() == (1, 4, 1, 1)


@pytest.mark.parametrize("postal", ["火星省奥林匹斯市环形山路1号", "某某地方某某路1号"])
async def test_a_province_that_does_not_exist_is_refused_and_nothing_is_written(db, postal):
    litigant = await _litigant(db)
    with pytest.raises(ValidationFailed) as caught:
        await sign_address_confirmation(litigant, _form(postal=postal), code=await _code(db, litigant), **_kw(db))
    assert caught.value.details[0] == {"field": "postal", "message": "地址中没有可识别的省、市、区县，请核对行政区划"}
    assert await _written() == (0, 0, 0, 0)


async def test_a_wrong_code_writes_nothing(db):
    litigant = await _litigant(db)
    code = await _code(db, litigant)
    with pytest.raises(CodeWrong):
        await sign_address_confirmation(litigant, _form(), code=f"{(int(code) + 1) % 1000000:06d}", **_kw(db))
    assert await _written() == (0, 0, 0, 0)


async def test_the_notice_must_be_accepted_and_every_field_is_checked(db):
    litigant = await _litigant(db)
    with pytest.raises(ValidationFailed) as caught:
        await sign_address_confirmation(litigant, _form(phone="123", email="x@", wechat="1a", accepted=False),
                                        code=await _code(db, litigant), **_kw(db))
    assert [d["field"] for d in caught.value.details] == ["phone", "email", "wechat", "accepted"]


async def test_a_case_the_litigant_is_not_in_is_not_found(db):
    mine, [me], _ = await make_service(settings=db)
    other, _, _ = await make_service(settings=db)
    with pytest.raises(NotFound):
        await litigant_in_case(other.case_id, phone_index="nobody")
    with pytest.raises(NotFound):
        await litigant_in_case(other.case_id, recipient_ids=[me.id])
    assert (await litigant_in_case(mine.case_id, recipient_ids=[me.id])).recipient.id == me.id

"""Staff see the litigant's 送达地址确认书 in the address book: who, when, how, the masked
addresses and the sealed PDF; a confirmation in the first-instance case serves the appeal."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from address_confirmation.access import litigant_in_case
from address_confirmation.confirm import sign_address_confirmation
from address_confirmation.form import ConfirmationForm
from addresses.choices import ConfirmationChannel
from addresses.presumption import RULE_CONFIRMED
from audit.events import Actor, RequestMeta
from documents.storage import LocalStorage
from identity.codes import store_code
from identity.models import CodePurpose
from receipts.seal import Sealer
from service.choices import CourtSystem
from service.drafts import ServiceDraft
from service.intake import create_service
from service.models import Recipient
from tests.court.console.helpers import logged_in
from tests.factories import make_court, make_document, make_staff, phone, recipient_body, resident_id, service_body
from tests.factories import signature_png as png

POSTAL = "广西壮族自治区北海市海城区北部湾中路12号"


async def _serve(db, court, number, person, origin=None):
    doc = await make_document(court, db.data_dir)
    body = service_body([doc.id], [recipient_body(**person)], case_number=number)
    if origin:
        body["case"]["origin_case_number"] = origin
    service = await create_service(court=court, draft=ServiceDraft.model_validate(body),
                                   source_system=CourtSystem.TRIAL, source_client_id=None, actor=Actor.system(),
                                   meta=RequestMeta.none(), now=datetime.now(timezone.utc), valid_days=30, settings=db)
    return service, await Recipient.get(service_id=service.id)


async def test_a_first_instance_confirmation_is_shown_and_proposed_in_the_appeal(db, http):
    court = await make_court()
    other_court = await make_court("桂0102", "示范市青秀区人民法院")
    person = {"phone": phone(), "id_number": resident_id(), "name": "王小明"}
    first, first_recipient = await _serve(db, court, "(2024)桂1202民初300号", person)
    _, appeal_recipient = await _serve(db, court, "(2025)桂1202民终30号", person, origin="(2024)桂1202民初300号")
    now = datetime.now(timezone.utc)
    litigant = await litigant_in_case(first.case_id, phone_index=first_recipient.phone_index)
    code = await store_code(CodePurpose.ADDRESS, litigant.code_subject, settings=db, now=now, ttl=timedelta(minutes=5))
    found = await sign_address_confirmation(
        litigant, ConfirmationForm(POSTAL, phone="13800138000", accepted=True), signature_png=png(), code=code,
        submission_key="s" * 20, channel=ConfirmationChannel.PORTAL, sealer=Sealer.from_settings(db),
        storage=LocalStorage(db.files_dir), settings=db, now=now, meta=RequestMeta.none())

    account, password, secret = await make_staff(court, "clerk", settings=db)
    await logged_in(http, account, password, secret)
    page = await http.get(f"/console/addresses/recipients/{appeal_recipient.id}")
    assert page.status_code == 200
    section = page.text[page.text.index('id="confirmations"'):page.text.index("全部地址")]
    assert found.confirmation_no in section and "(2024)桂1202民初300号" in section and "关联案件" in section
    assert "广西壮族自治区北海市海城区****" in section and "北部湾中路12号" not in page.text
    assert "138****8000" in section and "诉讼服务网" in section
    assert f'id="proposal-rule">{RULE_CONFIRMED}<' in page.text
    pdf = await http.get(f"/console/addresses/recipients/{appeal_recipient.id}/confirmations/"
                         f"{found.confirmation_no}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert (await http.get(f"/console/addresses/recipients/{appeal_recipient.id}/confirmations/"
                           "DZ20260101AAAAAAAAAA.pdf")).status_code == 404

    # Another court's clerk: the recipient does not exist for them, nor the PDF.
    http.cookies.clear()
    account, password, secret = await make_staff(other_court, "clerk", login="other", settings=db)
    await logged_in(http, account, password, secret)
    assert (await http.get(f"/console/addresses/recipients/{appeal_recipient.id}/confirmations/"
                           f"{found.confirmation_no}.pdf")).status_code == 404

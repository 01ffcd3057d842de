"""The litigant's use cases: ask for the SMS code, and sign the 送达地址确认书.

``sign_address_confirmation`` checks everything first (the form, the signature, the code), then
renders and seals the PDF, then writes in one transaction: the confirmed address rows (source
当事人确认, status 已确认), the PDF as a document of the case, the confirmation and its event.
A failure before the transaction writes nothing (a stored blob nobody references is swept); the
same ``submission_key`` again returns the first confirmation (a double tap, a retried request).
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from address_confirmation.access import Litigant, person_of
from address_confirmation.document import ConfirmationSheet, sealed_sheet
from address_confirmation.form import ConfirmationForm, check_form
from addresses.book import AddressNote, record_addresses
from addresses.choices import AddressKind, AddressSource, AddressStatus, ConfirmationChannel
from addresses.divisions import divide
from addresses.models import AddressConfirmation
from addresses.people import mask_address, mask_electronic
from audit.choices import ActorKind, EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import ValidationFailed
from core.settings import Settings
from documents.kinds import DocumentKind
from documents.models import Document
from documents.storage import Storage
from identity.code_requests import request_code
from identity.codes import CodeUsed, verify_code
from identity.limits import LimitBackend
from identity.models import CodePurpose
from identity.pii_keys import pii_cipher
from identity.sms.gateway import SmsGateway
from receipts.seal import Sealer
from service.models import Recipient
from service.signing import check_signature_png, new_receipt_number

_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ELECTRONIC_LABELS = {AddressKind.PHONE: "手机号码", AddressKind.EMAIL: "电子邮箱", AddressKind.WECHAT: "微信号"}
CHANNEL_VIA = {ConfirmationChannel.PORTAL: "诉讼服务网", ConfirmationChannel.MINIPROGRAM: "微信小程序"}


async def request_confirmation_code(litigant: Litigant, *, client_ip: str, gateway: SmsGateway,
                                    limits: LimitBackend, settings: Settings, now: datetime) -> None:
    """Text a code to the phone the court has on file for the litigant (identity's limits apply)."""
    phone = pii_cipher(settings).decrypt(litigant.recipient.phone_cipher, context="phone")
    await request_code(purpose=CodePurpose.ADDRESS, subject=litigant.code_subject, phone=phone, client_ip=client_ip,
                       gateway=gateway, limits=limits, settings=settings, now=now)


def check_submission_key(value: str) -> str:
    value = (value or "").strip()
    if not _SUBMISSION_KEY.fullmatch(value):
        raise ValidationFailed("页面已过期，请刷新后重新填写", code="submission_key_invalid",
                               details=[{"field": "submission_key", "message": "16–64位字母、数字、下划线或减号"}])
    return value


async def _earlier(litigant: Litigant, key: str) -> AddressConfirmation | None:
    return await AddressConfirmation.get_or_none(recipient_id=litigant.recipient.id, submission_key=key)


async def sign_address_confirmation(
    litigant: Litigant, form: ConfirmationForm, *, signature_png: bytes, code: str, submission_key: str,
    channel: ConfirmationChannel, sealer: Sealer, storage: Storage, settings: Settings, now: datetime,
    meta: RequestMeta,
) -> AddressConfirmation:
    key = check_submission_key(submission_key)
    if (earlier := await _earlier(litigant, key)) is not None:
        return earlier
    checked = check_form(form)
    check_signature_png(signature_png)
    try:
        await verify_code(CodePurpose.ADDRESS, litigant.code_subject, code, settings=settings, now=now)
    except CodeUsed:
        # Two submits of one form at once: the first used the code; answer with its confirmation.
        if (earlier := await _earlier(litigant, key)) is not None:
            return earlier
        raise
    recipient = litigant.recipient
    number = new_receipt_number(now).replace("SD", "DZ", 1)
    proof = {"method": "sms_code", "via": channel.value, "phone_masked": recipient.phone_masked,
             "at": now.isoformat(timespec="seconds")}
    sheet = ConfirmationSheet(
        confirmation_no=number, court_name=litigant.court.name, case_number=litigant.case.case_number,
        recipient_name=recipient.name, id_number_masked=recipient.id_number_masked or "", postal=checked.postal,
        electronic=tuple((_ELECTRONIC_LABELS[kind], value) for kind, value in checked.electronic),
        signature_png=signature_png, signed_at=now,
        identity_line=f"短信验证码（{recipient.phone_masked}），经{CHANNEL_VIA[channel]}签署",
        verify_url=f"{settings.public_base_url.rstrip('/')}/verify/confirmation/{number}",
        test_certificate=sealer.is_test)
    pdf, pages = await asyncio.to_thread(sealed_sheet, sheet, sealer)
    pdf_key, _ = storage.put(pdf)
    signature_key, _ = storage.put(signature_png)
    cipher = pii_cipher(settings)
    person = person_of(litigant, settings)
    evidence = {"confirmation_no": number}
    notes = [AddressNote(person=person, kind=AddressKind.CONFIRMED_SERVICE, source=AddressSource.LITIGANT,
                         value=checked.postal, status=AddressStatus.CONFIRMED, case_id=litigant.case.id,
                         recipient_id=recipient.id, evidence=evidence)]
    notes += [AddressNote(person=person, kind=kind, source=AddressSource.LITIGANT, value=value,
                          status=AddressStatus.CONFIRMED, case_id=litigant.case.id, recipient_id=recipient.id,
                          evidence=evidence) for kind, value in checked.electronic]
    try:
        async with in_transaction():
            await Recipient.select_for_update().get(id=recipient.id)  # two submits at once: one at a time
            if (earlier := await _earlier(litigant, key)) is not None:
                return earlier
            document = await Document.create(
                court_id=litigant.court.id, kind=DocumentKind.ADDRESS_CONFIRMATION,
                title=f"送达地址确认书（{recipient.name}）"[:200], original_filename=f"{number}.pdf",
                sha256=pdf_key, size=len(pdf), page_count=pages)
            rows = await record_addresses(cipher, notes, court_id=litigant.court.id, now=now)
            confirmation = await AddressConfirmation.create(
                confirmation_no=number, court_id=litigant.court.id, case_id=litigant.case.id, recipient_id=recipient.id,
                person_name=person.name[:100], id_number_index=person.id_number_index,
                name_phone_index=person.name_phone_index, channel=channel, submission_key=key,
                postal_masked=mask_address(checked.postal, divide(checked.postal)),
                electronic_masked=[{"kind": kind.value, "label": kind.label, "masked": mask_electronic(value)}
                                   for kind, value in checked.electronic],
                address_ids=[r.id for r in rows], identity_proof=proof, signature_sha256=signature_key,
                pdf_sha256=pdf_key, document_id=document.id, created_at=now)
            await record_event(EventType.ADDRESS_CONFIRMATION_SIGNED, court_id=litigant.court.id,
                               service_id=recipient.service_id, recipient_id=recipient.id,
                               actor=Actor(ActorKind.RECIPIENT, str(recipient.id)), meta=meta,
                               data={"confirmation_no": number, "case_id": litigant.case.id,
                                     "channel": channel.value, "address_ids": confirmation.address_ids,
                                     "document_id": document.id, "pdf_sha256": pdf_key})
    except IntegrityError:
        if (earlier := await _earlier(litigant, key)) is not None:
            return earlier
        raise
    return confirmation

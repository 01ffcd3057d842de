"""拨打: a process server calls a litigant from a phone task without seeing the number.

The platform asks the provider to ring the staff member's own phone, then the litigant's; the
number is decrypted only to hand it to the provider. Each call is a ``Call`` row on the attempt;
its end becomes a contact on the task (``attempt_contact``) with an event, and its recording the
task's evidence (phone/recordings.py). A refused call is recorded as such and changes nothing
else, so the attempt is never left half-way.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from addresses.book import AddressNote, check_postal, record_addresses
from addresses.choices import AddressKind, AddressSource, AddressStatus
from addresses.people import person_keys
from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.models import Contact
from centre.scope import Scope
from centre.tasks import not_open, record_task_event, task_in_scope
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import Settings
from core.sql import fetch
from identity.pii_keys import pii_cipher
from phone.choices import CallOutcome, CallState, RecordingState
from phone.models import Call
from phone.staff_phones import staff_phone
from phone.telephony import (
    CallDetail,
    Telephony,
    TelephonyError,
    TelephonyRejected,
    TelephonyUnavailable,
    mask_number,
    normalize_number,
)
from service.choices import Channel, ContactKind, TaskStatus
from service.models import Attempt, Recipient, Service
from service.recipient_address import seal_address

log = logging.getLogger(__name__)
MAX_NOTE = 500
MAX_ADDRESS = 500
OPEN = (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS)


def _own(scope: Scope) -> None:
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以拨打电话", code="not_assignee")


async def call_in_scope(scope: Scope, call_id: int) -> Call:
    if not 0 < call_id < 2**31:
        raise NotFound("通话记录不存在")
    call = await Call.filter(id=call_id, **scope.attempt_filter("attempt__")).first()
    if call is None:
        raise NotFound("通话记录不存在")
    return call


async def calls_of(scope: Scope, attempt_id: int) -> list[Call]:
    attempt = await task_in_scope(scope, attempt_id)
    return await Call.filter(attempt_id=attempt.id).order_by("-id")


async def place_call(scope: Scope, attempt_id: int, *, telephony: Telephony, settings: Settings, now: datetime,
                     meta: RequestMeta) -> Call:
    """拨打: ring the staff member, then the task's recipient. Refusals are recorded and raised."""
    _own(scope)
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.channel is not Channel.PHONE:
        raise ValidationFailed("只有电话联系任务可以拨打电话", code="not_a_phone_task")
    if attempt.status not in OPEN:
        raise Conflict(f"任务当前状态为{attempt.status.label}，不能拨打", code="task_not_open")
    if await Call.filter(attempt_id=attempt.id, state=CallState.PLACED).exists():
        raise Conflict("上一通电话尚未结束，请稍后刷新通话状态", code="call_in_progress")
    own_phone = await staff_phone(scope.staff_id, settings)
    if own_phone is None:
        raise ValidationFailed("您尚未登记本人电话：平台须先呼叫您的电话再接通当事人，请先登记", code="staff_phone_missing")
    recipient = await Recipient.get(id=attempt.recipient_id)
    callee = normalize_number(pii_cipher(settings).decrypt(recipient.phone_cipher, context="phone"))
    call = Call(attempt_id=attempt.id, staff_id=scope.staff_id, provider=telephony.provider,
                callee_masked=mask_number(callee), state=CallState.PLACED, placed_at=now, created_at=now,
                updated_at=now)
    try:
        placed = await telephony.place_call(staff_phone=own_phone, callee=callee, out_id=f"attempt-{attempt.id}")
    except TelephonyError as exc:
        call.state, call.error_code = CallState.FAILED, (exc.provider_code or exc.code)[:64]
        async with in_transaction():
            await call.save()
            await record_task_event(EventType.CALL_FAILED, attempt, scope, meta, {
                "call_id": call.id, "error_code": call.error_code, "message": exc.message})
        log.warning("call %s on attempt %s refused: %s", call.id, attempt.id, call.error_code)
        raise
    call.provider_call_id = placed.call_id
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "status" = \'in_progress\', "started_at" = COALESCE("started_at", $1), '
            '"updated_at" = $1 WHERE "id" = $2 AND "status" IN (\'assigned\', \'in_progress\') RETURNING "id"'),
            now, attempt.id)
        await call.save()
        await record_task_event(EventType.CALL_PLACED, attempt, scope, meta, {
            "call_id": call.id, "provider": telephony.provider, "callee": call.callee_masked})
        if not rows:  # closed or handed back while the provider answered: the call is still recorded
            log.warning("call %s placed on attempt %s which is no longer open", call.id, attempt.id)
    return call


async def refresh_call(call: Call, *, telephony: Telephony, settings: Settings, now: datetime) -> Call:
    """Ask the provider about a call still ringing; record its end. A call the provider never
    reports is closed as 结果未知 after ``call_report_minutes``."""
    if call.state is not CallState.PLACED:
        return call
    try:
        detail = await telephony.call_detail(call.provider_call_id or "", placed_at=call.placed_at)
    except (TelephonyUnavailable, TelephonyRejected) as exc:
        log.info("call %s: detail not available (%s)", call.id, exc.provider_code or exc.code)
        detail = CallDetail(ended=False)
    if not detail.ended:
        if now - call.placed_at < timedelta(minutes=settings.call_report_minutes):
            return call
        detail = CallDetail(ended=True, outcome=CallOutcome.UNKNOWN)
        state = CallState.UNREPORTED
    else:
        state = CallState.ENDED
    return await _record_end(call, detail, state, now=now)


async def _record_end(call: Call, detail: CallDetail, state: CallState, *, now: datetime) -> Call:
    outcome = detail.outcome or CallOutcome.UNKNOWN
    recording = RecordingState.PENDING if detail.recorded else RecordingState.NONE
    async with in_transaction():
        updated = await Call.filter(id=call.id, state=CallState.PLACED).update(
            state=state, outcome=outcome, started_at=detail.started_at, ended_at=detail.ended_at or now,
            duration=detail.duration, recording_state=recording,
            recording_next_at=now if detail.recorded else None, updated_at=now)
        if not updated:
            return await Call.get(id=call.id)
        attempt = await Attempt.get(id=call.attempt_id)
        result = f"电话{outcome.label}" + (f"，通话{detail.duration}秒" if detail.duration else "")
        if state is CallState.UNREPORTED:
            result = "电话未收到通话回执，结果未知"
        contact = await Contact.create(attempt_id=attempt.id, staff_id=call.staff_id, kind=ContactKind.CALL,
                                       contacted_at=call.placed_at, result=result, created_at=now)
        await record_event(EventType.CALL_ENDED, court_id=attempt.court_id, service_id=attempt.service_id,
                           recipient_id=attempt.recipient_id, actor=Actor.system(), meta=RequestMeta.none(),
                           data={"attempt_id": attempt.id, "call_id": call.id, "outcome": outcome.value,
                                 "duration": detail.duration, "contact_id": contact.id, "state": state.value})
    return await Call.get(id=call.id)


async def refresh_open_calls(*, telephony: Telephony, settings: Settings, now: datetime, limit: int = 50) -> int:
    """The jobs loop's step: every call still ringing is asked about once."""
    calls = await Call.filter(state=CallState.PLACED).order_by("placed_at").limit(limit)
    ended = 0
    for call in calls:
        if (await refresh_call(call, telephony=telephony, settings=settings, now=now)).state is not CallState.PLACED:
            ended += 1
    return ended


async def note_call(scope: Scope, call_id: int, note: str, *, now: datetime, meta: RequestMeta) -> Call:
    """A short note on a call (what was said), by the staff member handling the task."""
    _own(scope)
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise ValidationFailed(f"请填写通话备注（不超过{MAX_NOTE}字）", code="call_note_invalid")
    call = await call_in_scope(scope, call_id)
    attempt = await Attempt.get(id=call.attempt_id)
    async with in_transaction():
        await Call.filter(id=call.id).update(note=note, updated_at=now)
        await record_task_event(EventType.TASK_NOTE_CHANGED, attempt, scope, meta, {"call_id": call.id, "notes": note})
    return await Call.get(id=call.id)


async def confirm_address(scope: Scope, call_id: int, address: str, *, settings: Settings, now: datetime,
                          meta: RequestMeta) -> Call:
    """电话确认地址: the litigant confirmed a service address on an answered call; the call's
    recording is the evidence. Kept on the call, as a contact and in the address book (地址库) as
    a confirmed service address of the recipient."""
    _own(scope)
    address = " ".join((address or "").split())
    if not 5 <= len(address) <= MAX_ADDRESS:
        raise ValidationFailed(f"请填写当事人确认的地址（5–{MAX_ADDRESS}字）", code="address_invalid")
    address = check_postal(address)  # a province, city or district that exists
    call = await call_in_scope(scope, call_id)
    if call.outcome is not CallOutcome.ANSWERED:
        raise Conflict("只有接通的电话才能记录当事人确认的地址", code="call_not_answered")
    attempt = await Attempt.get(id=call.attempt_id)
    if attempt.status not in OPEN:
        raise await not_open(scope, attempt.id)
    cipher = pii_cipher(settings)
    # At rest and in the audit chain only encrypted or masked (the event chain is never rewritten).
    sealed, masked = seal_address(cipher, address)
    async with in_transaction():
        await Call.filter(id=call.id).update(confirmed_address_cipher=sealed, confirmed_address_masked=masked,
                                             address_confirmed_at=now, updated_at=now)
        contact = await Contact.create(attempt_id=attempt.id, staff_id=scope.staff_id, kind=ContactKind.CALL,
                                       contacted_at=call.placed_at, result=f"当事人电话确认送达地址：{masked}"[:500],
                                       created_at=now)
        recipient = await Recipient.get(id=attempt.recipient_id)
        service = await Service.get(id=attempt.service_id)
        [book_row] = await record_addresses(cipher, [AddressNote(
            person=person_keys(cipher, recipient.name, id_number_index=recipient.id_number_index,
                               phone_index=recipient.phone_index),
            kind=AddressKind.CONFIRMED_SERVICE, source=AddressSource.PHONE_CALL, value=address,
            status=AddressStatus.CONFIRMED, case_id=service.case_id, recipient_id=recipient.id,
            evidence={"call_id": call.id, "recording_evidence_id": call.recording_id}, staff_id=scope.staff_id,
        )], court_id=attempt.court_id, now=now)
        await record_task_event(EventType.ADDRESS_CONFIRMED, attempt, scope, meta, {
            "call_id": call.id, "address": masked, "contact_id": contact.id, "address_id": book_row.id,
            "recording_evidence_id": call.recording_id, "recording_state": call.recording_state.value})
    return await Call.get(id=call.id)

"""拨打 from a phone task: outcomes, provider errors, calls that never report, recordings fetched
with backoff and stored encrypted, playback audited, retention, address confirmation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.choices import EventType
from audit.models import Event
from centre.models import Contact, Evidence
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from documents.storage import LocalStorage
from identity.pii_keys import pii_cipher
from phone.calls import confirm_address, place_call, refresh_call, refresh_open_calls
from phone.choices import CallOutcome, CallState, RecordingState
from phone.dev import DevTelephony, dev_recording
from phone.models import Call
from phone.recordings import delete_expired_recordings, fetch_due_recordings, play_recording
from phone.telephony import InvalidNumber, TelephonyRejected
from service.choices import TaskStatus
from service.models import Attempt
from tests.conftest import make_settings
from tests.fakes.aliyun_voice import FakeDyvmsapi, telephony_for
from tests.phone.helpers import META, phone_task

NOW = datetime.now(timezone.utc)


def storage(db) -> LocalStorage:
    return LocalStorage(db.files_dir)


async def events(type: EventType) -> list[Event]:
    return await Event.filter(type=type).order_by("id")


async def test_answered_call_lands_on_the_attempt_and_its_recording_is_stored_encrypted(db):
    task, server, other, clerk, _ = await phone_task(db, number="13812345670")
    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    assert call.state is CallState.PLACED and call.callee_masked == "138****5670"
    assert (await Attempt.get(id=task.id)).status is TaskStatus.IN_PROGRESS
    assert [e.data["call_id"] for e in await events(EventType.CALL_PLACED)] == [call.id]
    with pytest.raises(Conflict):  # one call at a time
        await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)

    assert await refresh_open_calls(telephony=telephony, settings=db, now=NOW) == 1
    call = await Call.get(id=call.id)
    assert (call.state, call.outcome, call.duration) == (CallState.ENDED, CallOutcome.ANSWERED, 3)
    assert call.recording_state is RecordingState.PENDING
    contact = await Contact.get(attempt_id=task.id)
    assert contact.result == "电话接通，通话3秒"

    assert await fetch_due_recordings(telephony=telephony, storage=storage(db), settings=db, now=NOW) == 1
    call = await Call.get(id=call.id)
    assert call.recording_state is RecordingState.STORED
    evidence = await Evidence.get(id=call.recording_id)
    assert evidence.encrypted and evidence.size == len(dev_recording()) and evidence.attempt_id == task.id
    stored = storage(db).get(evidence.sha256)
    assert dev_recording() not in stored and stored[:3] != b"ID3" and stored[:2] != b"\xff\xfb"

    for scope in (server, clerk):
        playback = await play_recording(scope, call.id, storage=storage(db), settings=db, audit=True, now=NOW,
                                        meta=META)
        assert playback.data == dev_recording() and playback.content_type == "audio/mpeg"
    await play_recording(server, call.id, storage=storage(db), settings=db, audit=False, now=NOW, meta=META)
    assert len(await events(EventType.RECORDING_PLAYED)) == 2
    with pytest.raises(NotFound):
        await play_recording(other, call.id, storage=storage(db), settings=db, audit=True, now=NOW, meta=META)


@pytest.mark.parametrize(("digit", "outcome"), [
    ("4", CallOutcome.NO_ANSWER), ("6", CallOutcome.BUSY), ("7", CallOutcome.EMPTY_NUMBER), ("8", CallOutcome.REJECTED),
])
async def test_unanswered_outcomes(db, digit, outcome):
    task, server, *_ = await phone_task(db, number=f"1381234567{digit}")
    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    call = await refresh_call(call, telephony=telephony, settings=db, now=NOW)
    assert (call.state, call.outcome, call.recording_state) == (CallState.ENDED, outcome, RecordingState.NONE)
    assert (await Contact.get(attempt_id=task.id)).result == f"电话{outcome.label}"
    with pytest.raises(Conflict):
        await confirm_address(server, call.id, "广西柳州市城中区示范路2号", settings=db, now=NOW, meta=META)


async def test_provider_refusal_with_http_200_is_recorded_and_leaves_the_task_as_it_was(db):
    task, server, *_ = await phone_task(db, number="13812345670")
    with FakeDyvmsapi() as fake:
        fake.refuse("13812345670", "isv.BUSINESS_LIMIT_CONTROL")
        with pytest.raises(TelephonyRejected) as caught:
            await place_call(server, task.id, telephony=telephony_for(fake), settings=db, now=NOW, meta=META)
    assert caught.value.status == 429 and "频繁" in caught.value.message
    call = await Call.get(attempt_id=task.id)
    assert (call.state, call.error_code) == (CallState.FAILED, "isv.BUSINESS_LIMIT_CONTROL")
    assert (await Attempt.get(id=task.id)).status is TaskStatus.ASSIGNED
    assert len(await events(EventType.CALL_FAILED)) == 1 and not await events(EventType.CALL_PLACED)


async def test_a_call_that_never_reports_ends_as_unknown(db):
    task, server, *_ = await phone_task(db)
    with FakeDyvmsapi() as fake:
        telephony = telephony_for(fake)
        call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
        assert fake.calls[0].caller == "13900000001" and fake.calls[0].record
        call = await refresh_call(call, telephony=telephony, settings=db, now=NOW + timedelta(minutes=5))
        assert call.state is CallState.PLACED
        call = await refresh_call(call, telephony=telephony, settings=db,
                                  now=NOW + timedelta(minutes=db.call_report_minutes))
    assert (call.state, call.outcome) == (CallState.UNREPORTED, CallOutcome.UNKNOWN)
    assert "结果未知" in (await Contact.get(attempt_id=task.id)).result
    # The task is free for the next call.
    assert not await Call.filter(attempt_id=task.id, state=CallState.PLACED).exists()


async def test_recording_fetch_retries_with_backoff_then_is_marked_missing(db):
    task, server, *_ = await phone_task(db)
    with FakeDyvmsapi(recording_failures=1000) as fake:
        telephony = telephony_for(fake)
        call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
        fake.settle(call.provider_call_id, CallOutcome.ANSWERED, duration=3, recording=dev_recording())
        call = await refresh_call(call, telephony=telephony, settings=db, now=NOW)
        assert call.recording_state is RecordingState.PENDING

        async def tick(at: datetime) -> Call:
            await fetch_due_recordings(telephony=telephony, storage=storage(db), settings=db, now=at)
            return await Call.get(id=call.id)

        call = await tick(NOW)
        assert call.recording_tries == 1 and call.recording_next_at == NOW + timedelta(seconds=30)
        assert (await tick(NOW + timedelta(seconds=10))).recording_tries == 1   # not due yet
        call = await tick(NOW + timedelta(seconds=30))
        assert call.recording_tries == 2 and call.recording_next_at == NOW + timedelta(seconds=90)
        call = await tick(call.ended_at + timedelta(hours=db.recording_fetch_hours))
    assert call.recording_state is RecordingState.MISSING and call.recording_next_at is None
    assert len(await events(EventType.RECORDING_MISSING)) == 1
    assert not await Evidence.filter(attempt_id=task.id).exists()


async def test_recording_fetched_on_a_later_try(db):
    task, server, *_ = await phone_task(db)
    with FakeDyvmsapi(recording_failures=1) as fake:
        telephony = telephony_for(fake)
        call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
        fake.settle(call.provider_call_id, CallOutcome.ANSWERED, duration=3, recording=dev_recording())
        await refresh_call(call, telephony=telephony, settings=db, now=NOW)
        await fetch_due_recordings(telephony=telephony, storage=storage(db), settings=db, now=NOW)
        assert await fetch_due_recordings(telephony=telephony, storage=storage(db), settings=db,
                                          now=NOW + timedelta(minutes=1)) == 1
    assert (await Call.get(id=call.id)).recording_state is RecordingState.STORED


@pytest.mark.parametrize("number", ["12345", "4008123456", "23812345670"])
async def test_bad_numbers_are_refused_before_any_call(db, number):
    task, server, *_ = await phone_task(db, number=number)
    with pytest.raises(InvalidNumber) as caught:
        await place_call(server, task.id, telephony=DevTelephony(), settings=db, now=NOW, meta=META)
    assert caught.value.status == 422 and "无法拨打" in caught.value.message
    assert not await Call.filter(attempt_id=task.id).exists()
    assert (await Attempt.get(id=task.id)).status is TaskStatus.ASSIGNED


async def test_staff_without_a_phone_on_file_cannot_call(db):
    task, server, *_ = await phone_task(db, staff_phone=None)
    with pytest.raises(ValidationFailed) as caught:
        await place_call(server, task.id, telephony=DevTelephony(), settings=db, now=NOW, meta=META)
    assert caught.value.code == "staff_phone_missing" and "登记" in caught.value.message
    assert not await Call.filter(attempt_id=task.id).exists()


async def test_only_the_assignee_calls(db):
    task, server, other, clerk, dispatcher = await phone_task(db)
    with pytest.raises(NotFound):
        await place_call(other, task.id, telephony=DevTelephony(), settings=db, now=NOW, meta=META)
    for scope in (clerk, dispatcher):
        with pytest.raises(Forbidden):
            await place_call(scope, task.id, telephony=DevTelephony(), settings=db, now=NOW, meta=META)


async def test_address_confirmed_on_an_answered_call(db):
    task, server, *_ = await phone_task(db)
    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    await refresh_call(call, telephony=telephony, settings=db, now=NOW)
    with pytest.raises(ValidationFailed):
        await confirm_address(server, call.id, "短", settings=db, now=NOW, meta=META)
    with pytest.raises(ValidationFailed) as caught:
        await confirm_address(server, call.id, "火星省某市某区示范路2号", settings=db, now=NOW, meta=META)
    assert caught.value.code == "address_division_unknown" and "行政区划" in caught.value.message
    call = await confirm_address(server, call.id, " 广西柳州市城中区 示范路2号 ", settings=db, now=NOW, meta=META)
    assert call.confirmed_address_masked == "广西壮族自治区柳州市城中区****" and call.address_confirmed_at is not None
    assert pii_cipher(db).decrypt(call.confirmed_address_cipher, context="address") == "广西柳州市城中区 示范路2号"
    [event] = await events(EventType.ADDRESS_CONFIRMED)
    assert event.data["call_id"] == call.id and event.data["address"] == call.confirmed_address_masked
    # …and the address book holds it as a confirmed service address, the call as its evidence.
    from addresses.choices import AddressKind, AddressSource, AddressStatus
    from addresses.models import Address
    book = await Address.get(id=event.data["address_id"])
    assert (book.kind, book.source, book.status) == (
        AddressKind.CONFIRMED_SERVICE, AddressSource.PHONE_CALL, AddressStatus.CONFIRMED)
    assert book.evidence["call_id"] == call.id and book.adcode == "450202"


async def test_recordings_are_deleted_after_the_retention_period_with_an_event(db, tmp_path):
    task, server, *_ = await phone_task(db)
    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    await refresh_call(call, telephony=telephony, settings=db, now=NOW)
    await fetch_due_recordings(telephony=telephony, storage=storage(db), settings=db, now=NOW)
    evidence = await Evidence.get(attempt_id=task.id)
    assert await delete_expired_recordings(storage=storage(db), settings=db, now=NOW + timedelta(days=3650)) == 0
    kept = make_settings(db.data_dir, database_url=db.database_url, recording_retention_days=30)
    assert await delete_expired_recordings(storage=storage(db), settings=kept, now=NOW + timedelta(days=29)) == 0
    assert await delete_expired_recordings(storage=storage(db), settings=kept, now=NOW + timedelta(days=31)) == 1
    assert not storage(db).exists(evidence.sha256)
    call = await Call.get(id=call.id)
    assert call.recording_state is RecordingState.DELETED
    [event] = await events(EventType.RECORDING_DELETED)
    assert event.data["evidence_id"] == evidence.id and event.data["retention_days"] == 30
    with pytest.raises(NotFound):
        await play_recording(server, call.id, storage=storage(db), settings=db, audit=True, now=NOW, meta=META)


async def test_the_jobs_loop_ends_calls_and_stores_recordings(db):
    from types import SimpleNamespace

    from app.packages import job_registry
    from jobs.registry import JobContext

    task, server, *_ = await phone_task(db)
    telephony = DevTelephony()
    call = await place_call(server, task.id, telephony=telephony, settings=db, now=NOW, meta=META)
    periodic = job_registry().periodic
    assert {"phone.calls", "phone.recording_retention"} <= periodic.keys()
    ctx = JobContext(providers=SimpleNamespace(telephony=telephony, storage=storage(db)), settings=db,
                     worker_id="test", now=NOW)
    await periodic["phone.calls"].run(ctx)
    call = await Call.get(id=call.id)
    assert call.state is CallState.ENDED and call.recording_state is RecordingState.STORED
    await periodic["phone.recording_retention"].run(ctx)   # retention 0: kept
    assert (await Call.get(id=call.id)).recording_state is RecordingState.STORED

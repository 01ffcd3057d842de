"""Call recordings (通话录音): fetched from the provider, stored as the task's evidence, played.

A voice is personal data, so a recording is sealed with the PII keys (AES-256-GCM, the active
key of ``identity.pii_keys``; ``centre.evidence.seal_evidence``) before it reaches storage, and
opened on every read (``centre.evidence.evidence_bytes``, which any evidence reader must use). The stored blob is still content-addressed (``Evidence.sha256`` is the sealed
blob's hash, checked by ``storage.get``); ``Call.recording_sha256`` is the plain MP3's, for proof.
Key rotation works as for PII columns: an old key stays configured until its blobs are re-sealed.

Fetching runs in the jobs loop with capped exponential backoff; after ``recording_fetch_hours``
the recording is marked missing (with an event). Every playback is an event; recordings older
than ``recording_retention_days`` (when set) are deleted with an event.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.models import Evidence
from centre.scope import Scope
from centre.tasks import record_task_event
from core.errors import NotFound
from core.settings import Settings
from documents.storage import Storage
from phone.calls import call_in_scope
from phone.choices import RecordingState
from phone.models import Call
from phone.telephony import Telephony, TelephonyError
from service.choices import EvidenceKind
from service.models import Attempt

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)


def backoff(tries: int) -> timedelta:
    return min(MAX_RETRY, FIRST_RETRY * (2 ** max(0, tries - 1)))


async def fetch_recording(call: Call, *, telephony: Telephony, storage: Storage, settings: Settings,
                          now: datetime) -> Call:
    """One try at fetching and storing a pending recording; schedules the next or gives up."""
    if call.recording_state is not RecordingState.PENDING:
        return call
    # Imported here: centre.evidence loads PDFium, Pillow and mutagen, which a web worker's
    # start-up (and its replacement after a crash) should not wait for.
    from centre.evidence import EvidenceRejected, identify, seal_evidence

    try:
        data = await telephony.fetch_recording(call.provider_call_id or "", placed_at=call.placed_at)
        found = identify(data, "recording.mp3", max_bytes=settings.max_evidence_bytes)
    except (TelephonyError, EvidenceRejected) as exc:
        return await _retry_later(call, getattr(exc, "provider_code", "") or exc.code, exc.message,
                                  settings=settings, now=now)
    key, _ = storage.put(seal_evidence(data, settings))
    attempt = await Attempt.get(id=call.attempt_id)
    try:
        await _store(call, attempt, data, key, found.content_type, now=now)
    except _AlreadyStored:
        pass  # another worker stored it first; this try's rows went with its transaction
    return await Call.get(id=call.id)


async def _store(call: Call, attempt: Attempt, data: bytes, key: str, content_type: str, *, now: datetime) -> None:
    async with in_transaction():
        evidence = await Evidence.create(
            attempt_id=attempt.id, court_id=attempt.court_id, kind=EvidenceKind.AUDIO, content_type=content_type,
            sha256=key, size=len(data), filename=f"通话录音-{call.id}.mp3", description="通话录音（平台自动保存）",
            uploaded_by_id=None, created_at=now, encrypted=True,
            plain_sha256=hashlib.sha256(data).hexdigest())
        updated = await Call.filter(id=call.id, recording_state=RecordingState.PENDING).update(
            recording_state=RecordingState.STORED, recording_id=evidence.id,
            recording_sha256=hashlib.sha256(data).hexdigest(), recording_tries=call.recording_tries + 1,
            recording_next_at=None, recording_error="", updated_at=now)
        if not updated:
            raise _AlreadyStored()
        await record_event(EventType.RECORDING_STORED, court_id=attempt.court_id, service_id=attempt.service_id,
                           recipient_id=attempt.recipient_id, actor=Actor.system(), meta=RequestMeta.none(),
                           data={"attempt_id": attempt.id, "call_id": call.id, "evidence_id": evidence.id,
                                 "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})


class _AlreadyStored(Exception):
    pass


async def _retry_later(call: Call, code: str, message: str, *, settings: Settings, now: datetime) -> Call:
    tries = call.recording_tries + 1
    since = call.ended_at or call.placed_at
    if now - since >= timedelta(hours=settings.recording_fetch_hours):
        attempt = await Attempt.get(id=call.attempt_id)
        async with in_transaction():
            updated = await Call.filter(id=call.id, recording_state=RecordingState.PENDING).update(
                recording_state=RecordingState.MISSING, recording_tries=tries, recording_next_at=None,
                recording_error=f"{code}: {message}"[:200], updated_at=now)
            if updated:
                await record_event(EventType.RECORDING_MISSING, court_id=attempt.court_id,
                                   service_id=attempt.service_id, recipient_id=attempt.recipient_id,
                                   actor=Actor.system(), meta=RequestMeta.none(),
                                   data={"attempt_id": attempt.id, "call_id": call.id, "tries": tries,
                                         "error_code": code})
        log.warning("call %s: recording missing after %d tries (%s)", call.id, tries, code)
    else:
        await Call.filter(id=call.id, recording_state=RecordingState.PENDING).update(
            recording_tries=tries, recording_next_at=now + backoff(tries), recording_error=f"{code}: {message}"[:200],
            updated_at=now)
        log.info("call %s: recording not fetched (%s), try %d", call.id, code, tries)
    return await Call.get(id=call.id)


async def fetch_due_recordings(*, telephony: Telephony, storage: Storage, settings: Settings, now: datetime,
                               limit: int = 20) -> int:
    """The jobs loop's step: every pending recording whose time has come gets one try."""
    calls = await Call.filter(recording_state=RecordingState.PENDING, recording_next_at__lte=now) \
        .order_by("recording_next_at").limit(limit)
    stored = 0
    for call in calls:
        done = await fetch_recording(call, telephony=telephony, storage=storage, settings=settings, now=now)
        stored += done.recording_state is RecordingState.STORED
    return stored


@dataclass(frozen=True)
class Playback:
    data: bytes
    content_type: str
    filename: str


async def play_recording(scope: Scope, call_id: int, *, storage: Storage, settings: Settings, audit: bool,
                         now: datetime, meta: RequestMeta) -> Playback:
    """The plain recording for someone who may see the task (its staff, the court's clerk and
    judge). ``audit``: this request starts a playback (not a seek within one) and is recorded."""
    call = await call_in_scope(scope, call_id)
    if call.recording_state is not RecordingState.STORED or call.recording_id is None:
        raise NotFound(f"该通话{call.recording_state.label}，无法播放", code="recording_unavailable")
    from centre.evidence import evidence_bytes  # see fetch_recording

    evidence = await Evidence.get(id=call.recording_id)
    data = evidence_bytes(evidence, storage, settings)
    if audit:
        attempt = await Attempt.get(id=call.attempt_id)
        async with in_transaction():
            await record_task_event(EventType.RECORDING_PLAYED, attempt, scope, meta, {
                "call_id": call.id, "evidence_id": evidence.id, "at": now.isoformat()})
    return Playback(data, evidence.content_type, evidence.filename)


async def delete_expired_recordings(*, storage: Storage, settings: Settings, now: datetime, limit: int = 100) -> int:
    """Retention: recordings of calls older than ``recording_retention_days`` are deleted, each
    with an event; 0 keeps them as long as the case file (the archive decides)."""
    if not settings.recording_retention_days:
        return 0
    cutoff = now - timedelta(days=settings.recording_retention_days)
    calls = await Call.filter(recording_state=RecordingState.STORED, placed_at__lt=cutoff).limit(limit)
    deleted = 0
    for call in calls:
        evidence = await Evidence.get(id=call.recording_id)
        attempt = await Attempt.get(id=call.attempt_id)
        async with in_transaction():
            updated = await Call.filter(id=call.id, recording_state=RecordingState.STORED).update(
                recording_state=RecordingState.DELETED, recording_deleted_at=now, updated_at=now)
            if not updated:
                continue
            await Evidence.filter(id=evidence.id).update(description="通话录音（已按保存期限删除）")
            await record_event(EventType.RECORDING_DELETED, court_id=attempt.court_id, service_id=attempt.service_id,
                               recipient_id=attempt.recipient_id, actor=Actor.system(), meta=RequestMeta.none(),
                               data={"attempt_id": attempt.id, "call_id": call.id, "evidence_id": evidence.id,
                                     "sha256": call.recording_sha256, "retention_days": settings.recording_retention_days})
        storage.delete(evidence.sha256)  # after the commit: a failed event keeps the file
        deleted += 1
    return deleted


__all__ = ["Playback", "delete_expired_recordings", "fetch_due_recordings", "fetch_recording",
           "play_recording"]

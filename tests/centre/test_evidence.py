"""Evidence is what its name says, stored content-addressed, and only seen within scope."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks
from centre.evidence import attach_evidence, evidence_in_scope, identify
from core.errors import NotFound, PayloadTooLarge, ValidationFailed
from documents.storage import LocalStorage
from service.choices import EvidenceKind
from tests.centre.helpers import centre_people, service_with_tasks
from tests.centre.media import jpeg, mp3, wav
from tests.paths import PDFS

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()
LIMIT = 5 * 1024 * 1024


@pytest.mark.parametrize("make, name, kind, content_type", [
    (mp3, "通话录音.mp3", EvidenceKind.AUDIO, "audio/mpeg"),
    (wav, "录音.WAV", EvidenceKind.AUDIO, "audio/wav"),
    (jpeg, "面单.jpg", EvidenceKind.IMAGE, "image/jpeg"),
    (lambda: (PDFS / "summons.pdf").read_bytes(), "回执.pdf", EvidenceKind.PDF, "application/pdf"),
])
def test_real_files_are_identified_by_their_bytes(make, name, kind, content_type):
    found = identify(make(), name, max_bytes=LIMIT)
    assert (found.kind, found.content_type) == (kind, content_type)


@pytest.mark.parametrize("data, name, code", [
    (b"", "a.mp3", "evidence_empty"),
    (b"not audio at all" * 10, "录音.mp3", "evidence_type_mismatch"),
    (None, "照片.mp3", "evidence_type_mismatch"),        # a JPEG named .mp3
    (b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", "evidence_type_unsupported"),
    (b"%PDF-1.4 broken", "回执.pdf", "evidence_type_mismatch"),
])
def test_files_that_are_not_what_they_say_are_refused(data, name, code):
    with pytest.raises(ValidationFailed) as refused:
        identify(jpeg() if data is None else data, name, max_bytes=LIMIT)
    assert refused.value.code == code and refused.value.status == 422


def test_oversized_evidence_is_413():
    with pytest.raises(PayloadTooLarge):
        identify(mp3(), "a.mp3", max_bytes=100)


async def test_attach_stores_and_scopes(db):
    dispatcher, server, other, clerk = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    storage = LocalStorage(db.data_dir / "files")
    data = mp3()
    evidence = await attach_evidence(server, tasks[0].id, data=data, filename="C:\\录音\\call.mp3",
                                     description="第一次通话", storage=storage, max_bytes=LIMIT, now=NOW, meta=META)
    assert (evidence.filename, evidence.kind, evidence.size) == ("call.mp3", EvidenceKind.AUDIO, len(data))
    assert storage.get(evidence.sha256) == data
    assert await Event.filter(type="task.evidence_added").count() == 1
    # The clerk of the court and the dispatcher see it; another process server does not.
    for scope in (clerk, dispatcher, server):
        assert (await evidence_in_scope(scope, evidence.id)).id == evidence.id
    with pytest.raises(NotFound):
        await evidence_in_scope(other, evidence.id)
    with pytest.raises(NotFound):
        await attach_evidence(other, tasks[0].id, data=data, filename="call.mp3", description="", storage=storage,
                              max_bytes=LIMIT, now=NOW, meta=META)


async def test_a_sealed_recording_opens_plain_and_each_playback_is_audited(db):
    from centre.evidence import open_evidence, seal_evidence
    from centre.models import Evidence

    dispatcher, server, _, clerk = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    storage = LocalStorage(db.data_dir / "files")
    voice = mp3()
    key, _ = storage.put(seal_evidence(voice, db))
    evidence = await Evidence.create(attempt_id=tasks[0].id, court_id=tasks[0].court_id, kind=EvidenceKind.AUDIO,
                                     content_type="audio/mpeg", sha256=key, size=len(voice), filename="call.mp3",
                                     encrypted=True, created_at=NOW)
    assert storage.get(key) != voice  # a voice is personal data: never stored in the clear
    for starts in (True, False, True):  # play, seek, play again
        _, data = await open_evidence(clerk, evidence.id, storage=storage, settings=db, starts_playback=starts,
                                      now=NOW, meta=META)
        assert data == voice
    played = await Event.filter(type="recording.played").order_by("id")
    assert [e.actor_id for e in played] == [str(clerk.staff_id)] * 2

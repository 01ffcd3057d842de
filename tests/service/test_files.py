"""The orphan-file sweep: blobs no row references are removed a day after they were written."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from documents.storage import LocalStorage
from service.files import remove_orphan_files
from tests.factories import make_court, make_document


def _age(storage: LocalStorage, key: str, days: float) -> None:
    path = storage._path(key)
    when = (datetime.now(timezone.utc) - timedelta(days=days)).timestamp()
    os.utime(path, (when, when))


async def test_only_old_unreferenced_blobs_are_removed(db):
    storage = LocalStorage(db.data_dir / "files")
    document = await make_document(await make_court(), db.data_dir)
    orphan_old, _ = storage.put(b"left by a dropped upload")
    orphan_new, _ = storage.put(b"a write whose row may still commit")
    _age(storage, document.sha256, 3)
    _age(storage, orphan_old, 3)
    now = datetime.now(timezone.utc)
    assert await remove_orphan_files(storage, now=now) == 1
    assert not storage.exists(orphan_old)
    assert storage.exists(orphan_new) and storage.exists(document.sha256)


async def test_storing_the_same_bytes_again_saves_an_old_blob(db):
    storage = LocalStorage(db.data_dir / "files")
    key, _ = storage.put(b"uploaded, dropped, uploaded again a day later")
    _age(storage, key, 3)
    assert storage.put(b"uploaded, dropped, uploaded again a day later") == (key, False)
    assert await remove_orphan_files(storage, now=datetime.now(timezone.utc)) == 0
    assert storage.exists(key)


async def test_the_background_loop_sweeps_unreferenced_files(db):
    from types import SimpleNamespace

    from app.packages import job_registry
    from jobs.registry import JobContext

    storage = LocalStorage(db.data_dir / "files")
    key, _ = storage.put(b"left by a dropped upload")
    _age(storage, key, 3)
    task = job_registry().periodic["files.unreferenced"]
    await task.run(JobContext(providers=SimpleNamespace(storage=storage), settings=db, worker_id="w",
                              now=datetime.now(timezone.utc)))
    assert not storage.exists(key)

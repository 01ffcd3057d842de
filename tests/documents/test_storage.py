"""LocalStorage: content-addressed, idempotent puts, strict keys, no half-written files."""
from __future__ import annotations

import hashlib
import os

import pytest

from documents.storage import LocalStorage, Storage, StorageFull

DATA = b"%PDF-1.7 sample bytes"
KEY = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def _leftovers(root) -> list:
    return [p for p in root.rglob(".upload-*")] if root.exists() else []


def test_put_returns_sha256_and_created(storage):
    key, created = storage.put(DATA)
    assert key == KEY and created is True
    assert (storage.root / KEY[:2] / KEY[2:4] / KEY).read_bytes() == DATA
    assert storage.exists(KEY)


def test_second_put_of_same_bytes_is_not_created(storage):
    assert storage.put(DATA) == (KEY, True)
    assert storage.put(DATA) == (KEY, False)
    assert storage.get(KEY) == DATA
    assert len([p for p in storage.root.rglob("*") if p.is_file()]) == 1


def test_get_round_trips(storage):
    blobs = [b"", b"\x00\xff" * 1000, "送达回证".encode()]
    keys = [storage.put(blob)[0] for blob in blobs]
    assert [storage.get(key) for key in keys] == blobs
    assert len(set(keys)) == 3


def test_get_missing_key_raises(storage):
    with pytest.raises(FileNotFoundError):
        storage.get("0" * 64)


def test_delete(storage):
    storage.put(DATA)
    storage.delete(KEY)
    assert not storage.exists(KEY)
    storage.delete(KEY)  # deleting twice is fine
    assert storage.put(DATA) == (KEY, True)


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "../" * 21 + "a",       # 64 characters, still a traversal
    "/" + "a" * 63,
    "g" * 64,                # not hex
    KEY.upper(),             # keys are lowercase
    KEY[:-1],                # too short
    KEY + "0",               # too long
    "",
])
@pytest.mark.parametrize("operation", ["get", "exists", "delete"])
def test_bad_keys_raise_value_error(storage, key, operation):
    with pytest.raises(ValueError):
        getattr(storage, operation)(key)


@pytest.mark.parametrize(("errno_", "raised"), [(28, StorageFull), (122, StorageFull), (5, OSError)],
                         ids=["ENOSPC", "EDQUOT", "EIO"])
def test_failed_write_leaves_no_temp_file(storage, monkeypatch, errno_, raised):
    def broken_fsync(fd):
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(raised) as caught:  # a full disk or quota: storage_full; anything else as is
        storage.put(DATA)
    assert raised is StorageFull or not isinstance(caught.value, StorageFull)
    assert _leftovers(storage.root) == []
    assert not (storage.root / KEY[:2] / KEY[2:4] / KEY).exists()
    assert not storage.exists(KEY)

    monkeypatch.undo()
    assert storage.put(DATA) == (KEY, True)
    assert _leftovers(storage.root) == []


def test_successful_put_leaves_no_temp_file(storage):
    storage.put(DATA)
    assert _leftovers(storage.root) == []


def test_local_storage_satisfies_the_protocol(storage):
    def takes(s: Storage) -> Storage:
        return s

    assert all(callable(getattr(takes(storage), name)) for name in ("put", "get", "exists", "delete"))


def test_a_tampered_file_is_refused_and_alarmed(tmp_path, caplog):
    from documents.storage import TamperedFile

    storage = LocalStorage(tmp_path)
    key, _ = storage.put(b"%PDF-1.7 original")
    path = tmp_path / key[:2] / key[2:4] / key
    path.write_bytes(b"%PDF-1.7 forged!!")
    with pytest.raises(TamperedFile):
        storage.get(key)
    assert any(r.levelname == "CRITICAL" and key in r.getMessage() for r in caplog.records)

"""File storage behind one interface. Local content-addressed files are the default; an object
store can implement the same protocol later."""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Protocol

from core.errors import AppError

log = logging.getLogger(__name__)


class TamperedFile(AppError):
    """A stored file no longer hashes to its name: never serve it."""

    status = 500
    code = "stored_file_tampered"


class StorageFull(AppError):
    """The disk (or the service account's quota) is full: nothing was stored; try again later."""

    status = 507
    code = "storage_full"


_FULL = {errno.ENOSPC, errno.EDQUOT}


class Storage(Protocol):
    def put(self, data: bytes) -> tuple[str, bool]:
        """Store bytes; return (sha256 key, whether this call created the blob). Storing bytes
        that are already there marks them as just written, so the orphan sweep leaves them."""

    def get(self, key: str) -> bytes:
        """The bytes, re-checked against their SHA-256; raises TamperedFile on a mismatch."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def written_before(self, cutoff: datetime) -> list[str]:
        """Keys of the blobs last written before ``cutoff`` (the orphan sweep's candidates)."""

    def delete_if_written_before(self, key: str, cutoff: datetime) -> bool:
        """Delete the blob unless it was written (or stored again) since ``cutoff``."""


class LocalStorage:
    """Files under ``root/ab/cd/<sha256>``, written to a temp file and renamed into place so a
    crash never leaves a half-written blob under its final name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("storage keys are sha256 hex digests")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> tuple[str, bool]:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            # A write of bytes we already hold: it is about to be referenced, so it is no
            # orphan (the sweep only takes blobs untouched for a day).
            os.utime(path)
            return key, False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            log.error("storage full (%s) under %s: a %d-byte file was not stored", errno.errorcode[exc.errno],
                      self.root, len(data))
            raise StorageFull("文书存储空间已满，本次未保存任何内容，请稍后重试或联系系统管理员") from exc
        return key, True

    def get(self, key: str) -> bytes:
        data = self._path(key).read_bytes()
        if hashlib.sha256(data).hexdigest() != key:
            # An alarm, not a warning: someone or something changed evidence on disk.
            log.critical("stored file %s does not match its SHA-256: refusing to serve it", key)
            raise TamperedFile("存档文件校验失败，已停止提供并告警，请联系法院")
        return data

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def written_before(self, cutoff: datetime) -> list[str]:
        limit = cutoff.timestamp()
        return [path.name for path in self.root.glob("??/??/*")
                if not path.name.startswith(".") and path.stat().st_mtime < limit]

    def delete_if_written_before(self, key: str, cutoff: datetime) -> bool:
        path = self._path(key)
        try:
            if path.stat().st_mtime >= cutoff.timestamp():
                return False
        except FileNotFoundError:
            return False
        path.unlink(missing_ok=True)
        return True

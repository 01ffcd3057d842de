"""The disk full, for real: the storage root is a 4 MB tmpfs, filled up. A court's upload answers
507 ``storage_full`` with a Chinese message and stores nothing (not even a temp file); with space
again, the same upload goes through, and nothing signed earlier was lost.

Mounting needs root: the test command runs as root on its own machine (CI does), and a failed
mount fails the test rather than passing untested."""
from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess

import pytest
from reportlab.pdfgen import canvas

from audit.models import Event
from documents.models import Document
from tests.factories import make_client, make_signed_delivery
from tests.faults.invariants import assert_nothing_lost

URL = "/court/api/v1/documents"


@pytest.fixture
def small_storage_root(db):
    root = db.files_dir
    root.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(root)],
                             capture_output=True, text=True)
    # The suite runs as root on its own machine (./dev test, .ci/run): a mount that fails is a
    # broken environment, not a reason to pass without testing the full disk.
    assert mounted.returncode == 0, f"cannot mount a size-limited tmpfs here: {mounted.stderr.strip()}"
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def fill(root) -> os.PathLike:
    """Write until the filesystem says ENOSPC."""
    filler = root / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(os.urandom(64 * 1024))
            handle.flush()
    with pytest.raises(OSError) as full:
        (root / "probe").write_bytes(b"x" * 8192)
    assert full.value.errno == errno.ENOSPC
    (root / "probe").unlink(missing_ok=True)
    return filler


def stored(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def fresh_pdf() -> bytes:
    """Bytes no blob holds yet (identical bytes would be one blob, and nothing to write)."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.drawString(100, 700, f"disk full {os.urandom(8).hex()}")
    c.showPage()
    c.save()
    return buffer.getvalue()


async def test_a_full_disk_answers_507_stores_nothing_and_recovers(http, db, small_storage_root):
    pdf_bytes = fresh_pdf()
    await make_signed_delivery(db, documents=1)
    await assert_nothing_lost(db, signatures=1)  # sealed onto the small disk while it had room
    _, _, auth = await make_client()
    documents_before = await Document.all().count()
    filler = fill(small_storage_root)
    before = stored(small_storage_root)

    response = await http.post(URL, headers=auth, files={"file": ("传票.pdf", pdf_bytes, "application/pdf")})
    assert response.status_code == 507, response.text
    error = response.json()["error"]
    assert error["code"] == "storage_full" and "存储空间已满" in error["message"]
    assert await Document.all().count() == documents_before
    assert await Event.filter(type="document.uploaded").count() == documents_before
    assert stored(small_storage_root) == before  # not even the temp file

    filler.unlink()
    again = await http.post(URL, headers=auth, files={"file": ("传票.pdf", pdf_bytes, "application/pdf")})
    assert again.status_code == 201, again.text
    await assert_nothing_lost(db, signatures=1)

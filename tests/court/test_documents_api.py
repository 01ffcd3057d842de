"""POST /court/api/v1/documents: what is accepted, what is refused, and that refusals store nothing."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from audit.models import Event
from documents.models import Document
from tests.documents.raw_pdf import deflated_blanks, raw_pdf, stream
from tests.factories import make_client
from tests.paths import PDFS

URL = "/court/api/v1/documents"


def _pdf(encrypt=None, pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, encrypt=encrypt)
    for n in range(pages):
        c.drawString(100, 700, f"page {n + 1}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def _files(data: bytes, name: str = "传票.pdf", **fields) -> dict:
    return {"files": {"file": (name, data, "application/pdf")}, "data": fields}


def _stored_files(data_dir: Path) -> list[Path]:
    root = data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_upload_returns_id_hash_and_pages(http, db):
    _, _, auth = await make_client()
    data = (PDFS / "judgment.pdf").read_bytes()
    response = await http.post(URL, headers=auth, **_files(data, "判决书.pdf", kind="judgment"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["pages"] == 4
    assert body["kind"] == "judgment"
    assert body["title"] == "判决书"
    import hashlib
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(_stored_files(db.data_dir)) == 1
    assert await Event.filter(type="document.uploaded").count() == 1


async def test_same_pdf_twice_shares_one_stored_file(http, db, pdf_bytes):
    _, _, auth = await make_client()
    for _ in range(2):
        assert (await http.post(URL, headers=auth, **_files(pdf_bytes))).status_code == 201
    assert await Document.all().count() == 2
    assert len(_stored_files(db.data_dir)) == 1


@pytest.mark.parametrize(("data", "code"), [
    (b"", "document_empty"),
    (b"MZ\x90\x00 this is an exe renamed to .pdf" * 10, "document_not_pdf"),
    (b"%PDF-1.7\n" + b"\x00garbage" * 100, "document_unreadable"),
    (_pdf(encrypt=StandardEncryption("user-pw", "owner-pw")), "document_encrypted"),
    (_pdf(encrypt=StandardEncryption("", "owner-pw", canPrint=0)), "document_encrypted"),
    (raw_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "pdf_active_content"),
    (raw_pdf(content=stream(b"/Filter /FlateDecode", deflated_blanks(80 * 1024 * 1024))), "document_too_dense"),
])
async def test_bad_pdfs_are_refused_and_nothing_is_stored(http, db, data, code):
    _, _, auth = await make_client()
    response = await http.post(URL, headers=auth, **_files(data))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert await Document.all().count() == 0
    assert _stored_files(db.data_dir) == []


async def test_over_the_page_limit_is_refused(http, db):
    _, _, auth = await make_client()
    http._transport.app.ctx.settings = db.model_copy(update={"max_document_pages": 3})
    response = await http.post(URL, headers=auth, **_files(_pdf(pages=4)))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "document_too_many_pages"
    assert "4" in response.json()["error"]["message"]


async def test_over_the_size_limit_is_refused(http, db):
    _, _, auth = await make_client()
    http._transport.app.ctx.settings = db.model_copy(update={"max_document_bytes": 2048})
    response = await http.post(URL, headers=auth, **_files(_pdf(pages=20)))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "document_too_large"
    assert await Document.all().count() == 0


async def test_missing_file_and_wrong_content_type(http, db):
    _, _, auth = await make_client()
    response = await http.post(URL, headers=auth, data={"kind": "summons"}, files={"other": ("x", b"y")})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "file"
    response = await http.post(URL, headers=auth, json={"file": "JVBERi0="})
    assert response.status_code == 422


async def test_unknown_kind_and_unknown_form_field(http, db, pdf_bytes):
    _, _, auth = await make_client()
    response = await http.post(URL, headers=auth, **_files(pdf_bytes, kind="poem"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "kind"
    response = await http.post(URL, headers=auth, **_files(pdf_bytes, colour="red"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "colour"


async def test_dossier_system_may_not_upload(http, db, pdf_bytes):
    from service.choices import CourtSystem

    _, _, auth = await make_client(system=CourtSystem.DOSSIER)
    response = await http.post(URL, headers=auth, **_files(pdf_bytes))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize("error", ["EDQUOT"])  # a really full disk (ENOSPC): tests/faults/test_disk_full.py
async def test_an_exhausted_quota_answers_storage_full_and_stores_nothing(http, db, pdf_bytes, monkeypatch, error):
    import errno
    import os

    import documents.storage

    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc_info) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            raise OSError(getattr(errno, error), os.strerror(getattr(errno, error)))

    monkeypatch.setattr(documents.storage.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    _, _, auth = await make_client()
    response = await http.post(URL, headers=auth, **_files(pdf_bytes))
    assert response.status_code == 507, response.text
    assert response.json()["error"]["code"] == "storage_full"
    assert "存储空间已满" in response.json()["error"]["message"]
    assert await Document.all().count() == 0
    assert await Event.filter(type="document.uploaded").count() == 0
    assert _stored_files(db.data_dir) == []  # not even the temp file

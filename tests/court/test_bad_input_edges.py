"""NUL and other control characters, over-long filters and out-of-range integers are 422 at the
edge (Hardening 2), never asyncpg's 500."""
from __future__ import annotations

import pytest

from tests.factories import make_client, make_document, recipient_body, service_body

URL = "/court/api/v1/services"


def _error(response, code="validation_failed"):
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] in (code, "invalid_characters") and body["message"]
    return body


@pytest.mark.parametrize("field", ["name", "address"])
async def test_nul_in_a_recipient_field(http, db, field):
    client, _, auth = await make_client()
    document = await make_document(client.court, db.data_dir)
    body = service_body([document.id], recipients=[recipient_body(**{field: "张\x00三"})])
    _error(await http.post(URL, headers=auth, json=body))


@pytest.mark.parametrize(("where", "value"), [("cause", "合同\x00纠纷"), ("external_id", "x\x00"),
                                              ("external_id", "x\x1b[31m")])
async def test_nul_in_service_fields(http, db, where, value):
    client, _, auth = await make_client()
    document = await make_document(client.court, db.data_dir)
    body = service_body([document.id])
    if where == "cause":
        body["case"]["cause"] = value
    else:
        body[where] = value
    _error(await http.post(URL, headers=auth, json=body))


@pytest.mark.parametrize("params", [
    {"external_id": "a\x00b"}, {"external_id": "x" * 5000}, {"case_number": "\x00"},
    {"before": str(10**30)}, {"before": "2147483648"}, {"limit": "9" * 40},
])
async def test_list_filters(http, db, params):
    _, _, auth = await make_client()
    _error(await http.get(URL, headers=auth, params=params))


async def test_revoke_reason_with_nul(http, db):
    client, _, auth = await make_client()
    document = await make_document(client.court, db.data_dir)
    created = (await http.post(URL, headers=auth, json=service_body([document.id]))).json()
    _error(await http.post(f"{URL}/{created['id']}/revoke", headers=auth, json={"reason": "撤\x00诉"}))


async def test_document_title_with_nul(http, db):
    from tests.paths import PDFS

    _, _, auth = await make_client()
    response = await http.post("/court/api/v1/documents", headers=auth, data={"kind": "summons", "title": "传\x00票"},
                               files={"file": ("a.pdf", (PDFS / "summons.pdf").read_bytes(), "application/pdf")})
    _error(response)


async def test_feedback_after_beyond_int8(http, db):
    _, _, auth = await make_client()
    response = await http.get("/court/api/v1/webhook-attempts", headers=auth, params={"after": str(10**30)})
    assert response.status_code in (404, 422)


@pytest.mark.parametrize("document_id", [2**31, 10**30, 0, -1])
async def test_document_ids_outside_the_row_id_range(http, db, document_id):
    """Found by tests/hardening: a document id past int4 reached asyncpg and answered 500."""
    client, _, auth = await make_client()
    document = await make_document(client.court, db.data_dir)
    body = _error(await http.post(URL, headers=auth, json=service_body([document.id, document_id])))
    assert body["details"][0]["field"].startswith("document_ids")

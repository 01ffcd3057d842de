"""Idempotency-Key on POST /services, with Stripe's rules, on both databases."""
from __future__ import annotations

import asyncio

from court.models import IdempotencyRecord
from service.models import Recipient, Service
from tests.factories import make_client, make_document, service_body

URL = "/court/api/v1/services"


async def _setup(db):
    client, _, auth = await make_client()
    doc = await make_document(client.court, db.data_dir)
    return auth, [doc.id]


async def test_same_key_same_body_replays_first_response(http, db):
    auth, doc_ids = await _setup(db)
    headers = {**auth, "Idempotency-Key": "trial-2024-0001"}
    body = service_body(doc_ids)
    first = await http.post(URL, headers=headers, json=body)
    second = await http.post(URL, headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert await Service.all().count() == 1


async def test_same_key_different_body_is_422(http, db):
    auth, doc_ids = await _setup(db)
    headers = {**auth, "Idempotency-Key": "k-1"}
    assert (await http.post(URL, headers=headers, json=service_body(doc_ids))).status_code == 201
    response = await http.post(URL, headers=headers, json=service_body(doc_ids, external_id="other"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert await Service.all().count() == 1


async def test_keys_are_per_client(http, db):
    client, _, auth = await make_client()
    doc = await make_document(client.court, db.data_dir)
    _, _, auth2 = await make_client(client.court)
    for headers in (auth, auth2):
        response = await http.post(URL, headers={**headers, "Idempotency-Key": "shared"},
                                   json=service_body([doc.id]))
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert await Service.all().count() == 2


async def test_validation_failure_saves_nothing_and_a_corrected_retry_proceeds(http, db):
    auth, doc_ids = await _setup(db)
    headers = {**auth, "Idempotency-Key": "retry-me"}
    bad = service_body(doc_ids)
    bad["recipients"][0]["phone"] = "123"
    assert (await http.post(URL, headers=headers, json=bad)).status_code == 422
    assert await IdempotencyRecord.all().count() == 0
    good = service_body(doc_ids)
    assert (await http.post(URL, headers=headers, json=good)).status_code == 201


async def test_bad_key_is_rejected(http, db):
    auth, doc_ids = await _setup(db)
    response = await http.post(URL, headers={**auth, "Idempotency-Key": "x" * 256}, json=service_body(doc_ids))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "Idempotency-Key"


async def test_twenty_concurrent_requests_with_one_key_create_one_service(http, db):
    auth, doc_ids = await _setup(db)
    headers = {**auth, "Idempotency-Key": "burst"}
    body = service_body(doc_ids)
    responses = await asyncio.gather(*(http.post(URL, headers=headers, json=body) for _ in range(20)))
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Service.all().count() == 1
    assert await Recipient.all().count() == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19

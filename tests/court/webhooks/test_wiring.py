"""The assembled app enqueues webhooks for every recorded event, in the event's transaction."""
from __future__ import annotations

from audit.models import Event
from court.webhooks.subscriptions import set_webhook
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from tests.factories import make_client, make_document, service_body


async def test_a_service_created_through_the_api_enqueues_a_webhook(http, db):
    client, _, auth = await make_client()
    await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    document = await make_document(client.court, db.data_dir)
    response = await http.post("/court/api/v1/services", headers=auth, json=service_body([document.id]))
    assert response.status_code == 201
    event = await Event.get(type="service.created")
    job = await OutboxJob.get(kind=JobKind.WEBHOOK, event_id=event.id)
    assert job.dedupe_key == f"webhook:{event.id}:{client.id}" and job.payload["type"] == "service.created"


async def test_a_rolled_back_service_leaves_no_webhook(http, db):
    client, _, auth = await make_client()
    await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    body = service_body([999999])
    assert (await http.post("/court/api/v1/services", headers=auth, json=body)).status_code == 422
    assert not await OutboxJob.filter(kind=JobKind.WEBHOOK).exists()

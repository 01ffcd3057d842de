"""The calling client's view of its webhook: state, delivery log, re-enable and resend."""
from __future__ import annotations

from datetime import timedelta

from audit.choices import EventType
from court.webhooks.relay import deliver_webhooks
from court.webhooks.subscriptions import set_webhook
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from tests.court.webhooks.test_relay import drain, explicit_enqueueing_only, real_now, signed_event  # noqa: F401 (an autouse fixture)
from tests.factories import make_client, make_court, make_service

URL = "/court/api/v1/webhook"


async def subscribed_client(receiver, db, court=None):
    client, _, auth = await make_client(court)
    receiver.secret = await set_webhook(client, receiver.url, settings=db, allow_private=True)
    return client, auth


async def send(db, http_client, now) -> int:
    return await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True)


async def test_state_log_enable_and_resend(http, db, receiver, http_client):
    now = real_now()
    court = await make_court()
    client, auth = await subscribed_client(receiver, db, court)
    _, _, stranger_auth = await make_client(await make_court("京0105", "北京市朝阳区人民法院"))
    state = (await http.get(URL, headers=auth)).json()
    assert state["url"] == receiver.url and state["disabled"] is False and state["last_attempt"] is None
    assert "secret" not in state and "secret" not in str(state)

    service, people, _ = await make_service(court, db)
    first = await signed_event(service, people, now)
    for _ in range(3):
        await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    receiver.script = [500]
    await send(db, http_client, now)                          # 1 × 500, 3 × 204

    page = (await http.get(f"{URL}/deliveries", headers=auth, params={"limit": 3})).json()
    assert len(page["items"]) == 3 and page["next_after"] == page["items"][-1]["id"]
    rest = (await http.get(f"{URL}/deliveries", headers=auth, params={"after": page["next_after"]})).json()
    assert len(rest["items"]) == 1 and rest["next_after"] is None
    ids = [i["id"] for i in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    [failed] = (await http.get(f"{URL}/deliveries", headers=auth, params={"status": "retry"})).json()["items"]
    assert failed["http_status"] == 500 and failed["outcome"] == "retry" and failed["event_id"] == first.id
    assert failed["webhook_id"] == f"webhook:{first.id}:{client.id}" and failed["attempt"] == 1
    for bad in ({"status": "nope"}, {"limit": "0"}, {"limit": "x"}, {"after": "-1"}):
        response = await http.get(f"{URL}/deliveries", headers=auth, params=bad)
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation_failed"
    # Scoped to the caller: the other court's client sees nothing of this.
    assert (await http.get(f"{URL}/deliveries", headers=stranger_auth)).json()["items"] == []
    assert (await http.get(f"{URL}/deliveries")).status_code == 401

    # Resend a delivered job: same webhook-id, verified by the receiver's standardwebhooks check.
    delivered = [i for i in page["items"] if i["outcome"] == "delivered"][0]
    response = await http.post(f"{URL}/deliveries/{delivered['job_id']}/resend", headers=auth)
    assert response.status_code == 202 and response.json()["webhook_id"] == delivered["webhook_id"]
    receiver.log.clear()
    assert await drain(db, http_client, real_now()) == 1
    [again] = receiver.log
    assert again.verified and again.webhook_id == delivered["webhook_id"]

    # Another client's job, an unknown one, a non-webhook id: 404 alike.
    other = await http.post(f"{URL}/deliveries/{delivered['job_id']}/resend", headers=stranger_auth)
    assert other.status_code == 404 and other.json()["error"]["code"] == "webhook_job_not_found"
    assert (await http.post(f"{URL}/deliveries/999999999/resend", headers=auth)).status_code == 404

    # Give up after 3 days → disabled, shown, refused for resend, then re-enabled.
    job = await OutboxJob.get(dedupe_key=f"webhook:{first.id}:{client.id}")
    receiver.script = [503]
    await send(db, http_client, job.available_at + timedelta(days=3))
    state = (await http.get(URL, headers=auth)).json()
    assert state["disabled"] is True and state["url"] == receiver.url and "HTTP 503" in state["disabled_reason"]
    assert state["last_attempt"]["outcome"] == "gave_up"
    refused = await http.post(f"{URL}/deliveries/{job.id}/resend", headers=auth)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_disabled"
    enabled = await http.post(f"{URL}/enable", headers=auth)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert (await http.post(f"{URL}/deliveries/{job.id}/resend", headers=auth)).status_code == 202
    assert await OutboxJob.filter(kind=JobKind.WEBHOOK, done_at__isnull=True).count() == 1


async def test_enable_without_subscription_is_a_conflict(http, db):
    _, _, auth = await make_client()
    response = await http.post(f"{URL}/enable", headers=auth)
    assert response.status_code == 409 and response.json()["error"]["code"] == "webhook_not_subscribed"
    state = (await http.get(URL, headers=auth)).json()
    assert state["subscribed"] is False and state["url"] is None


async def test_openapi_lists_the_webhook_log_routes(http, db):
    from openapi_spec_validator import validate

    spec = (await http.get("/court/api/v1/openapi.json")).json()
    validate(spec)
    assert {"/webhook", "/webhook/enable", "/webhook/deliveries", "/webhook/deliveries/{job_id}/resend"} \
        <= set(spec["paths"])
    assert set(spec["paths"]["/webhook"]) == {"put", "delete", "get"}

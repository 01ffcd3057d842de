"""The per-attempt log, the disabled state and resending, through the real relay and a receiver
that verifies every delivery with the standardwebhooks library."""
from __future__ import annotations

from datetime import timedelta

import pytest

from audit.choices import EventType
from core.errors import Conflict, NotFound, ValidationFailed
from court.models import ApiClient, AttemptOutcome, WebhookAttempt
from court.webhooks.log import enable_webhook, endpoint_states, list_attempts, resend
from court.webhooks.relay import deliver_webhooks
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from tests.court.webhooks.test_relay import drain, explicit_enqueueing_only, real_now, signed_event, subscribed  # noqa: F401 (an autouse fixture)
from tests.factories import make_client, make_court, make_service


async def send(db, http_client, now, **kw) -> int:
    return await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True, **kw)


async def outcomes(client_id=None) -> list[tuple]:
    query = WebhookAttempt.all() if client_id is None else WebhookAttempt.filter(api_client_id=client_id)
    return [(a.attempt, a.outcome, a.http_status, a.error) for a in await query.order_by("id")]


async def test_500_then_success_is_logged_per_attempt(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(client.court, db)
    event = await signed_event(service, people, now)
    receiver.script = [500]
    await send(db, http_client, now)
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert await send(db, http_client, job.available_at) == 1
    assert await outcomes() == [(1, AttemptOutcome.RETRY, 500, "HTTP 500"), (2, AttemptOutcome.DELIVERED, 204, "")]
    first, second = await WebhookAttempt.all().order_by("id")
    assert {first.job_id, second.job_id} == {job.id} and first.webhook_id == job.dedupe_key
    assert first.event_id == event.id and first.event_type == "delivery.signed"
    assert first.court_id == client.court_id and first.api_client_id == client.id
    assert first.started_at == now and second.started_at == job.available_at and first.duration_ms >= 0


async def test_timeout_and_refused_url_are_logged(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(client.court, db)
    await signed_event(service, people, now)
    receiver.script, receiver.hang_seconds = ["hang"], 2
    await send(db, http_client, now)
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    # Without allow_private the URL policy refuses the loopback address: no request, logged as refused.
    await deliver_webhooks(settings=db, worker_id="w", now=job.available_at, http_client=http_client)
    got = await outcomes()
    assert got[0] == (1, AttemptOutcome.RETRY, None, "timeout")
    assert got[1][:3] == (2, AttemptOutcome.REFUSED, None) and got[1][3].startswith("url refused")
    assert len(receiver.log) == 1


async def test_410_is_logged_and_unsubscribes(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(client.court, db)
    await signed_event(service, people, now)
    await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    receiver.script = [410]
    await send(db, http_client, now, limit=1)
    await send(db, http_client, now)
    assert await outcomes() == [(1, AttemptOutcome.GONE, 410, "410 gone: subscription removed"),
                                (1, AttemptOutcome.GAVE_UP, None, "subscription removed")]
    assert (await ApiClient.get(id=client.id)).webhook_url is None


async def test_give_up_disables_then_enable_and_resend(db, receiver, http_client):
    now = real_now()
    court = await make_court()
    client = await subscribed(receiver, db, court)
    other, _, _ = await make_client(court)         # same court, no webhook
    service, people, _ = await make_service(court, db)
    first = await signed_event(service, people, now)
    receiver.script = [503, 503]
    await send(db, http_client, now)
    late = now + timedelta(days=3, minutes=1)
    await send(db, http_client, late)
    assert [o[1] for o in await outcomes(client.id)] == [AttemptOutcome.RETRY, AttemptOutcome.GAVE_UP]
    row = await ApiClient.get(id=client.id)
    assert row.webhook_url == receiver.url and row.webhook_disabled_at == late

    # Disabled: no new jobs, and the console sees it.
    await signed_event(service, people, late, EventType.DELIVERY_VIEWED)
    assert await OutboxJob.filter(kind=JobKind.WEBHOOK).count() == 1
    states = {s.client_id: s for s in await endpoint_states(court.id, now=late)}
    assert states[client.id].disabled and states[client.id].url == receiver.url
    assert states[client.id].last_attempt.outcome is AttemptOutcome.GAVE_UP
    assert states[client.id].failures_24h == 1      # the first failure is 3 days old
    with pytest.raises(Conflict):
        await resend((await OutboxJob.get(dedupe_key=f"webhook:{first.id}:{client.id}")).id,
                     court_id=court.id, now=late)

    # Re-enable: events are queued again; resend the given-up job with the same webhook-id.
    with pytest.raises(NotFound):
        await enable_webhook(client.id, court_id=(await make_court("京0105", "北京市朝阳区人民法院")).id)
    assert await enable_webhook(client.id, court_id=court.id) is True
    assert await enable_webhook(client.id, court_id=court.id) is False
    third = await signed_event(service, people, late, EventType.DELIVERY_EXPIRED)
    assert await OutboxJob.filter(dedupe_key=f"webhook:{third.id}:{client.id}").exists()
    old = await OutboxJob.get(dedupe_key=f"webhook:{first.id}:{client.id}")
    # Receivers accept signatures within 5 minutes of their clock: resend on the real clock.
    now = real_now()
    job = await resend(old.id, court_id=court.id, client_id=client.id, now=now)
    assert job.done_at is None and job.available_at == now and job.dedupe_key == old.dedupe_key
    receiver.log.clear()
    assert await drain(db, http_client, now) == 1
    [resent] = receiver.log
    assert resent.verified and resent.webhook_id == old.dedupe_key and resent.body["data"]["event_id"] == first.id
    assert (await outcomes(client.id))[-1] == (3, AttemptOutcome.DELIVERED, 204, "")

    # A job a relay holds right now cannot be resent under it.
    await OutboxJob.filter(id=old.id).update(locked_until=now + timedelta(seconds=30), done_at=None)
    with pytest.raises(Conflict):
        await resend(old.id, client_id=client.id, now=now)

    # Another client's job, or another court's, is not found.
    with pytest.raises(NotFound):
        await resend(old.id, client_id=other.id, now=late)
    with pytest.raises(NotFound):
        await resend(old.id, court_id=court.id + 1000, now=late)
    with pytest.raises(NotFound):
        await resend(10**9, now=late)


async def test_list_attempts_filters_and_pages(db, receiver, http_client):
    now = real_now()
    court = await make_court()
    client = await subscribed(receiver, db, court)
    service, people, _ = await make_service(court, db)
    for _ in range(5):
        await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    receiver.script = [500, 500]
    await send(db, http_client, now)
    assert len(await list_attempts(court_id=court.id)) == 5
    failed = await list_attempts(court_id=court.id, client_id=client.id, status="retry")
    assert len(failed) == 2 and all(a.http_status == 500 for a in failed)
    page1 = await list_attempts(court_id=court.id, limit=3)
    page2 = await list_attempts(court_id=court.id, limit=3, before_id=page1[-1].id)
    page2b = await list_attempts(court_id=court.id, limit=3, offset=3)
    ids = [a.id for a in page1 + page2]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5 and page2 == page2b
    assert await list_attempts(court_id=court.id + 1000) == []
    with pytest.raises(ValidationFailed):
        await list_attempts(court_id=court.id, status="nope")
    (other, _, _) = await make_client(await make_court("京0105", "北京市朝阳区人民法院"))
    assert await list_attempts(court_id=other.court_id) == []


async def test_subscribing_again_clears_the_disabled_state(db, receiver):
    from court.webhooks.subscriptions import disable_webhook, set_webhook

    now = real_now()
    client = await subscribed(receiver, db)
    assert await disable_webhook(client.id, url=receiver.url, reason="test", now=now)
    assert not await disable_webhook(client.id, url=receiver.url, reason="again", now=now)  # first reason kept
    service, people, _ = await make_service(client.court, db)
    await signed_event(service, people, now)
    assert not await OutboxJob.filter(kind=JobKind.WEBHOOK).exists()
    await set_webhook(await ApiClient.get(id=client.id), receiver.url, settings=db, allow_private=True)
    row = await ApiClient.get(id=client.id)
    assert row.webhook_disabled_at is None and row.webhook_disabled_reason == ""
    event = await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    assert await OutboxJob.filter(dedupe_key=f"webhook:{event.id}:{client.id}").exists()

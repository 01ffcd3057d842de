"""Events → outbox jobs → signed POSTs, checked by the standardwebhooks library at the far end."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from bench.outbox import claim_set_based
from core.errors import ValidationFailed
from court.models import ApiClient
from court.webhooks.relay import AiohttpTransport, deliver_webhooks, webhook_http_client
from court.webhooks.subscriptions import enqueue_webhooks, set_webhook, webhook_secret
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import claim
from service.choices import CourtSystem
from tests.court.webhooks.receiver import Receiver
from tests.factories import make_client, make_court, make_service


@pytest.fixture(autouse=True)
def explicit_enqueueing_only(monkeypatch):
    """These tests enqueue by hand to control exactly which jobs exist; the app's automatic
    enqueueing on every event is tested in test_wiring.py."""
    monkeypatch.setattr("audit.events._listeners", {})


def real_now() -> datetime:
    # Signatures carry the attempt's time and receivers allow ±5 minutes, so tests move the
    # clock forward from now by seconds, not from a fixed date.
    return datetime.now(timezone.utc)


async def subscribed(receiver: Receiver, db, court=None, system=CourtSystem.TRIAL) -> ApiClient:
    client, _, _ = await make_client(court, system)
    receiver.secret = await set_webhook(client, receiver.url, settings=db, allow_private=True)
    return client


async def signed_event(service, people, now, type=EventType.DELIVERY_SIGNED):
    async with in_transaction():
        event = await record_event(type, court_id=service.court_id, service_id=service.id,
                                   recipient_id=people[0].id, delivery_id=None, actor=Actor.system(),
                                   meta=RequestMeta.none(), data={"receipt_no": "SD2026000001", "pdf_sha256": "x"})
        await enqueue_webhooks(event, now=now)
    return event


async def drain(db, http_client, now, worker_id="w1", claimer=claim, limit=50) -> int:
    total = 0
    while await OutboxJob.filter(kind=JobKind.WEBHOOK, done_at__isnull=True, available_at__lte=now).exists():
        total += await deliver_webhooks(settings=db, worker_id=worker_id, now=now, http_client=http_client, allow_private=True,
                                        claim_jobs=claimer, limit=limit)
    return total


async def test_set_webhook_stores_only_ciphertext_and_refuses_private_urls(db):
    client, _, _ = await make_client()
    secret = await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    row = await ApiClient.get(id=client.id)
    assert row.webhook_url == "http://127.0.0.1:9/hook"
    assert secret not in row.webhook_secret_cipher and webhook_secret(row, db) == secret
    with pytest.raises(ValidationFailed):
        await set_webhook(client, "http://127.0.0.1:9/hook", settings=db)  # default: private refused
    with pytest.raises(ValidationFailed):
        await set_webhook(client, "http://169.254.169.254/", settings=db)
    assert (await ApiClient.get(id=client.id)).webhook_url == "http://127.0.0.1:9/hook"


async def test_events_become_jobs_and_verified_deliveries(db, receiver, http_client):
    now = real_now()
    court = await make_court()
    trial = await subscribed(receiver, db, court)
    dossier, _, _ = await make_client(court, CourtSystem.DOSSIER)
    dossier_secret = await set_webhook(dossier, receiver.url, settings=db, allow_private=True)
    await make_client(court)                                          # no webhook: no job
    inactive = await subscribed(receiver, db, court)
    await ApiClient.filter(id=inactive.id).update(active=False)       # inactive: no job
    await subscribed(receiver, db, await make_court("京0105", "北京市朝阳区人民法院"))  # other court
    service, people, _ = await make_service(court, db)

    event = await signed_event(service, people, now)
    opened = await signed_event(service, people, now, EventType.DELIVERY_OPENED)
    await enqueue_webhooks(event, now=now)                            # a second call is a no-op
    jobs = await OutboxJob.filter(kind=JobKind.WEBHOOK).order_by("id")
    assert [j.dedupe_key for j in jobs] == [f"webhook:{event.id}:{trial.id}", f"webhook:{event.id}:{dossier.id}"]
    assert not await OutboxJob.filter(event_id=opened.id).exists()

    secrets = {trial.id: webhook_secret(await ApiClient.get(id=trial.id), db), dossier.id: dossier_secret}
    verified = []

    async def check(request):
        from standardwebhooks.webhooks import Webhook
        client_id = int(request.headers["webhook-id"].rsplit(":", 1)[1])
        verified.append(Webhook(secrets[client_id]).verify(request.content, dict(request.headers)))
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(check)) as mock:
        assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=mock, allow_private=True) == 2
    assert verified[0] == {
        "type": "delivery.signed", "timestamp": event.created_at.isoformat(),
        "data": {"event_id": event.id, "service_id": service.id, "recipient_id": people[0].id,
                 "status": "signed", "receipt_no": "SD2026000001"}}
    assert all(j.done_at and j.attempts == 1 for j in await OutboxJob.filter(kind=JobKind.WEBHOOK))


async def test_delivered_over_http_and_verified(db, receiver, http_client):
    now = real_now()
    await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    event = await signed_event(service, people, now)
    assert await drain(db, http_client, now) == 1
    [got] = receiver.log
    assert got.verified and got.body["type"] == "delivery.signed" and got.body["data"]["event_id"] == event.id
    assert "client_id" not in got.body and "pdf_sha256" not in got.body["data"]


async def test_500_then_success_on_retry_with_same_id(db, receiver, http_client):
    now = real_now()
    await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    receiver.script = [500]
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True) == 0
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert job.done_at is None and job.last_error == "HTTP 500" and job.available_at >= now + timedelta(seconds=5)
    assert await deliver_webhooks(settings=db, worker_id="w", now=now + timedelta(seconds=1), http_client=http_client,
                                  allow_private=True) == 0
    assert len(receiver.log) == 1                                     # not yet due
    assert await deliver_webhooks(settings=db, worker_id="w", now=job.available_at, http_client=http_client,
                                  allow_private=True) == 1
    first, second = receiver.log
    assert first.verified and second.verified and first.webhook_id == second.webhook_id == job.dedupe_key
    job = await OutboxJob.get(id=job.id)
    assert job.done_at and job.attempts == 2 and job.last_error == ""


async def test_timeout_is_retried(db, receiver, http_client):
    now = real_now()
    await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    receiver.script, receiver.hang_seconds = ["hang"], 2
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True) == 0
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert job.last_error == "timeout" and job.done_at is None
    assert await drain(db, http_client, job.available_at) == 1
    assert [r.webhook_id for r in receiver.log] == [job.dedupe_key] * 2


async def test_410_completes_and_removes_the_subscription(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    receiver.script = [410]
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True, limit=1) == 0
    row = await ApiClient.get(id=client.id)
    assert row.webhook_url is None and row.webhook_secret_cipher is None
    # The job queued before the 410 is closed without a request.
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True) == 0
    assert len(receiver.log) == 1
    errors = [j.last_error for j in await OutboxJob.filter(kind=JobKind.WEBHOOK).order_by("id")]
    assert errors == ["410 gone: subscription removed", "subscription removed"]
    assert not await OutboxJob.filter(done_at__isnull=True).filter(kind=JobKind.WEBHOOK).exists()
    # Later events queue nothing for the unsubscribed client.
    await signed_event(service, people, now, EventType.DELIVERY_EXPIRED)
    assert await OutboxJob.filter(kind=JobKind.WEBHOOK).count() == 2


async def test_gives_up_after_three_days_and_disables_the_webhook(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    receiver.script = [503, 503]
    await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True)
    late = now + timedelta(days=3, minutes=1)
    await deliver_webhooks(settings=db, worker_id="w", now=late, http_client=http_client, allow_private=True)
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert job.done_at is not None and job.last_error.startswith("gave up after 2 attempts: HTTP 503")
    # Disabled, not deleted: the URL and secret stay for re-enabling (court/webhooks/log.py).
    row = await ApiClient.get(id=client.id)
    assert row.webhook_url == receiver.url and row.webhook_secret_cipher
    assert row.webhook_disabled_at == late and row.webhook_disabled_reason.endswith("HTTP 503")


async def test_backoff_grows_to_the_cap(db, receiver, http_client, monkeypatch):
    # Full jitter draws uniformly below a doubling ceiling; take the ceiling to see the curve.
    monkeypatch.setattr("jobs.outbox.random.uniform", lambda low, high: high)
    now = real_now()
    await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    receiver.script = [500] * 20
    at, gaps = now, []
    for _ in range(14):
        await deliver_webhooks(settings=db, worker_id="w", now=at, http_client=http_client, allow_private=True)
        job = await OutboxJob.get(kind=JobKind.WEBHOOK)
        gaps.append(job.available_at - at)
        at = job.available_at
    assert gaps[:4] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]
    assert all(later >= earlier for earlier, later in zip(gaps, gaps[1:]))
    assert gaps[-1] == timedelta(hours=6)


async def test_url_checked_again_at_send_time(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    # Without allow_private, the relay refuses the loopback address it would have sent to.
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client) == 0
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert job.done_at is None and job.last_error.startswith("url refused")
    assert receiver.log == [] and (await ApiClient.get(id=client.id)).webhook_url == receiver.url


async def test_connection_refused_is_retried(db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    await ApiClient.filter(id=client.id).update(webhook_url="http://127.0.0.1:9/hook")  # discard port
    service, people, _ = await make_service(settings=db)
    await signed_event(service, people, now)
    assert await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True) == 0
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    assert job.done_at is None and job.last_error == "ConnectError"


@pytest.mark.parametrize("claimer", [claim, claim_set_based], ids=["outbox.claim", "set_based"])
async def test_two_relays_never_send_the_same_job(db, receiver, claimer):
    now = real_now()
    await subscribed(receiver, db)
    receiver.delay = 0.005
    service, people, _ = await make_service(settings=db)
    for _ in range(120):
        await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    async with webhook_http_client() as a, webhook_http_client() as b:
        await asyncio.gather(drain(db, a, now, "relay-a", claimer, 10), drain(db, b, now, "relay-b", claimer, 10))
    ids = receiver.ids()
    assert len(ids) == 120 and len(set(ids)) == 120
    jobs = await OutboxJob.filter(kind=JobKind.WEBHOOK)
    assert all(j.done_at and j.attempts == 1 for j in jobs)
    assert {j.locked_by for j in jobs} == {"relay-a", "relay-b"}


@pytest.mark.parametrize("claimer", [claim, claim_set_based], ids=["outbox.claim", "set_based"])
async def test_a_claim_takes_at_most_its_limit(db, receiver, claimer):
    now = real_now()
    await subscribed(receiver, db)
    service, people, _ = await make_service(settings=db)
    for _ in range(25):
        await signed_event(service, people, now, EventType.DELIVERY_VIEWED)
    lease = timedelta(seconds=60)
    first = await claimer(JobKind.WEBHOOK, worker_id="a", now=now, lease=lease, limit=10)
    second = await claimer(JobKind.WEBHOOK, worker_id="b", now=now, lease=lease, limit=10)
    assert len(first) == len(second) == 10 and not {j.id for j in first} & {j.id for j in second}
    assert await claimer(JobKind.WEBHOOK, worker_id="c", now=now, lease=lease, limit=10) != []
    assert await claimer(JobKind.WEBHOOK, worker_id="d", now=now, lease=lease, limit=10) == []


async def test_connections_never_reach_internal_addresses_through_dns(receiver):
    """A name that resolves to loopback when the relay connects (DNS rebinding after the URL
    check) is refused by the connection itself; the same transport allowed private ranges gets
    through. ``localhost`` stands in for a rebound public name."""
    from court.webhooks.signing import new_secret

    receiver.secret = new_secret()
    url = receiver.url.replace("127.0.0.1", "localhost")
    pinned = httpx.AsyncClient(transport=AiohttpTransport(allow_private=False), timeout=2)
    opened = httpx.AsyncClient(transport=AiohttpTransport(allow_private=True), timeout=2)
    async with pinned, opened:
        with pytest.raises(httpx.ConnectError) as refused:
            await pinned.post(url, content=b"{}")
        assert "internal addresses" in str(refused.value.__cause__.os_error)
        assert not receiver.log
        await opened.post(url, content=b"{}")
        assert len(receiver.log) == 1 and not receiver.log[0].verified  # reached it (unsigned)

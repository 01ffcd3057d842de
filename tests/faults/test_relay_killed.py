"""A relay SIGKILLed in the middle of a POST loses nothing: the job's lease runs out, another
relay sends it again, with the same webhook-id."""
from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from court.webhooks.relay import LEASE, deliver_webhooks
from court.webhooks.subscriptions import enqueue_webhooks, set_webhook
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from tests.court.webhooks.receiver import Receiver, start_receiver
from tests.factories import make_client, make_service
from tests.faults.invariants import assert_nothing_lost

SCRIPT = Path(__file__).with_name("relay_process.py")


@pytest.fixture(autouse=True)
def explicit_enqueueing_only(monkeypatch):
    """These tests enqueue by hand to control exactly which jobs exist; the app's automatic
    enqueueing on every event is tested in test_wiring.py."""
    monkeypatch.setattr("audit.events._listeners", {})


async def test_sigkilled_relay_loses_nothing(db):
    receiver = Receiver(hang_seconds=60)
    runner = await start_receiver(receiver)
    proc = None
    try:
        client, _, _ = await make_client()
        receiver.secret = await set_webhook(client, receiver.url, settings=db, allow_private=True)
        service, people, _ = await make_service(settings=db)
        now = datetime.now(timezone.utc)
        async with in_transaction():
            for _ in range(30):
                event = await record_event(EventType.DELIVERY_VIEWED, court_id=service.court_id,
                                           service_id=service.id, recipient_id=people[0].id,
                                           actor=Actor.system(), meta=RequestMeta.none())
                await enqueue_webhooks(event, now=now)
        expected = {j.dedupe_key for j in await OutboxJob.filter(kind=JobKind.WEBHOOK)}
        # The 13th request hangs: the relay is killed while it waits for the answer.
        receiver.script = [204] * 12 + ["hang"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), db.database_url, str(db.data_dir),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        await asyncio.wait_for(receiver.hanging.wait(), timeout=30)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL
        in_flight = receiver.log[-1].webhook_id
        assert (await OutboxJob.get(dedupe_key=in_flight)).done_at is None

        # Before the lease runs out nobody may take the in-flight job; after it, a new relay does.
        later = datetime.now(timezone.utc) + LEASE + timedelta(seconds=1)
        async with httpx.AsyncClient(timeout=5) as http_client:
            while await OutboxJob.filter(kind=JobKind.WEBHOOK, done_at__isnull=True).exists():
                await deliver_webhooks(settings=db, worker_id="restarted", now=later, http_client=http_client,
                                       allow_private=True)
        seen = Counter(r.webhook_id for r in receiver.log)
        assert set(seen) == expected                                  # every event arrived
        assert all(r.verified for r in receiver.log)
        assert seen[in_flight] == 2                                   # the duplicate, same id
        bodies = {}
        for r in receiver.log:
            assert bodies.setdefault(r.webhook_id, r.body) == r.body  # and the same body
        assert all(j.done_at for j in await OutboxJob.filter(kind=JobKind.WEBHOOK))
    finally:
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await runner.cleanup()
    await assert_nothing_lost(db, signatures=0)

"""One slow court receiver holds up neither receipt sealing nor another court's callbacks: the
consumer runs each job type in its own lane, and the relay gives an endpoint at most
``ENDPOINT_SLOTS`` requests in flight and a batch at most ``PATIENCE``."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from types import SimpleNamespace

from app.providers import providers
from court.webhooks import relay
from jobs.consumer import consume
from service.choices import ReceiptStatus
from service.models import Receipt
from tests.court.webhooks.receiver import Receiver, start_receiver
from tests.court.webhooks.test_relay import signed_event, subscribed
from tests.factories import make_court, make_service, make_signed_delivery
from tests.faults.invariants import assert_nothing_lost

SLOW = 5.0  # seconds the slow court's receiver takes to answer


async def _until(check, since: float, timeout: float) -> float:
    """Seconds from ``since`` until ``check()`` holds."""
    while not await check():
        assert time.monotonic() - since < timeout
        await asyncio.sleep(0.02)
    return time.monotonic() - since


async def test_a_slow_receiver_delays_neither_sealing_nor_another_courts_callbacks(app, db, receiver):
    settings = db.model_copy(update={"webhook_allow_private": True})
    ctx = SimpleNamespace(**providers(settings))
    fast = Receiver()
    fast_runner = await start_receiver(fast)
    receiver.delay = SLOW
    slow_court, fast_court = await make_court(), await make_court("桂1203", "示范市鱼峰区人民法院")
    await subscribed(receiver, db, slow_court)
    await subscribed(fast, db, fast_court)
    slow_service, slow_people, _ = await make_service(slow_court, db)
    now = datetime.now(timezone.utc)
    for _ in range(relay.ENDPOINT_SLOTS + 30):  # more than its slots, more than one batch
        await signed_event(slow_service, slow_people, now)
    consumer = asyncio.create_task(consume(app.ctx.jobs, providers=ctx, settings=settings, worker_id="t"))
    try:
        await _until(lambda: _true(len(receiver.log) >= 1), time.monotonic(), 5)  # the slow court's batch is in flight
        fast_service, fast_people, _ = await make_service(fast_court, db)
        _, _, _, receipt = await make_signed_delivery(db, documents=1, court=fast_court)
        fast_event = await signed_event(fast_service, fast_people, datetime.now(timezone.utc))
        signed = time.monotonic()

        async def sealed():
            return (await Receipt.get(id=receipt.id)).status is ReceiptStatus.SEALED

        async def called_back():
            return any(r.body["data"].get("event_id") == fast_event.id for r in fast.log)

        sealed_after, called_back_after = await asyncio.gather(_until(sealed, signed, 10),
                                                               _until(called_back, signed, 10))
        print(f"sealed after {sealed_after:.2f} s, the other court called back after {called_back_after:.2f} s")
        # Before the lanes both waited for the slow court's batch (SLOW seconds and more).
        assert sealed_after < 2.0 and called_back_after < 2.0
        assert not any(r.body["data"].get("event_id") == fast_event.id for r in receiver.log)
        # The slow endpoint never had more than its slots in flight at once.
        assert len(receiver.log) <= relay.ENDPOINT_SLOTS
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        for task in list(relay._finishing):
            task.cancel()
        await asyncio.gather(*relay._finishing, return_exceptions=True)
        await ctx.webhook_http.aclose()
        await fast_runner.cleanup()
    await assert_nothing_lost(db, signatures=1)


async def _true(value: bool) -> bool:
    return value

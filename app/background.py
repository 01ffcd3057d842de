"""Work each server process does between requests: link audit events, seal receipts, re-queue
stuck ones, collect SMS delivery reports. Every step claims its rows, so any number of processes
on any number of hosts may run this loop at once."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timezone

from sanic import Sanic

from court.webhooks.relay import deliver_webhooks
from audit.chain import chain_pending, checkpoint_path, write_checkpoint
from service.expiry import expire_due_services
from service.notices import send_pending_notices
from receipts.worker import seal_pending_receipts, sweep_stuck_receipts
from service.sms_reports import sync_sms_reports
from miniprogram_api.subscribe import send_pending_subscribe_messages

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0
SWEEP_EVERY = 30
REPORTS_EVERY = 60
NOTICE_BATCH = 20
NOTICE_BUDGET_SECONDS = 0.5
SEAL_BUDGET_SECONDS = 0.5
BUSY_TICK_SECONDS = 0.05


async def run_once(app: Sanic, tick: int, worker_id: str) -> bool:
    """One pass over the background work; True when receipts were sealed (more may be waiting)."""
    ctx = app.ctx
    now = datetime.now(timezone.utc)
    # Notices come in bursts (one per SMS recipient of every new service): drain them in
    # batches for up to half a second per tick rather than 20 a second.
    deadline = asyncio.get_running_loop().time() + NOTICE_BUDGET_SECONDS
    while (await send_pending_notices(gateway=ctx.sms_gateway, settings=ctx.settings, worker_id=worker_id,
                                      now=now, limit=NOTICE_BATCH) == NOTICE_BATCH
           and asyncio.get_running_loop().time() < deadline):
        pass
    await deliver_webhooks(worker_id=worker_id, now=now, http_client=ctx.webhook_http,
                           allow_private=ctx.settings.webhook_allow_private, settings=ctx.settings)
    await send_pending_subscribe_messages(api=ctx.wechat_api, settings=ctx.settings, worker_id=worker_id, now=now)
    await chain_pending()
    # A litigant waits on the signed page for the receipt: seal what is pending now, for up to
    # half a second, and come back sooner when there was more (see background_loop).
    deadline = asyncio.get_running_loop().time() + SEAL_BUDGET_SECONDS
    busy = False
    while await seal_pending_receipts(sealer=ctx.sealer, storage=ctx.storage, settings=ctx.settings,
                                      worker_id=worker_id, now=datetime.now(timezone.utc)):
        busy = True
        if asyncio.get_running_loop().time() >= deadline:
            break
    if tick % SWEEP_EVERY == 0:
        await sweep_stuck_receipts(now=now)
        await expire_due_services(now=now)
    if tick % REPORTS_EVERY == 0:
        await sync_sms_reports(ctx.sms_gateway, settings=ctx.settings, now=now)
        directory = ctx.settings.data_dir / "audit-checkpoints"
        if not checkpoint_path(directory, now).exists():  # the daily signed export of the chain head
            await write_checkpoint(directory, ctx.sealer, now=now)
    return busy


async def background_loop(app: Sanic) -> None:
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    tick = 0
    while True:
        busy = False
        try:
            busy = await run_once(app, tick, worker_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must survive a bad row or a provider outage
            log.exception("background step failed")
        tick += 1
        await asyncio.sleep(BUSY_TICK_SECONDS if busy else TICK_SECONDS)


async def run_standalone(settings) -> None:
    """``python -m app worker``: the same loop, for hosts that serve no HTTP."""
    from types import SimpleNamespace

    from app.factory import providers

    app = SimpleNamespace(ctx=SimpleNamespace(settings=settings, **providers(settings)))
    log.info("worker started")
    try:
        await background_loop(app)
    finally:
        await app.ctx.webhook_http.aclose()

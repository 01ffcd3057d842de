"""Fixtures of the court's webhook tests: a receiving endpoint and the relay's HTTP clients."""
from __future__ import annotations

import httpx
import pytest

from court.webhooks.relay import AiohttpTransport
from tests.court.webhooks.receiver import Receiver, start_receiver


@pytest.fixture
async def receiver():
    rx = Receiver()
    runner = await start_receiver(rx)
    yield rx
    await runner.cleanup()


@pytest.fixture(params=["aiohttp", "httpx"])
async def http_client(request):
    """The relay's production transport (httpx over aiohttp) and httpx's own must behave alike."""
    transport = AiohttpTransport() if request.param == "aiohttp" else None
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5), transport=transport) as client:
        yield client

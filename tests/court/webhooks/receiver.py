"""A loopback webhook receiver that checks every delivery with the ``standardwebhooks``
library — an implementation we did not write — and answers what the test scripts."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    verified: bool
    body: dict
    status: int | str


@dataclass
class Receiver:
    secret: str = ""
    # Answers to the next requests, in order: an HTTP status, or "hang" (never answers in time).
    script: list[int | str] = field(default_factory=list)
    log: list[Received] = field(default_factory=list)
    hang_seconds: float = 30.0
    hanging: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    delay: float = 0.0  # seconds before each answer, so concurrent relays overlap

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
            verified = True
        except WebhookVerificationError:
            verified = False
        action = self.script.pop(0) if self.script else 204
        self.log.append(Received(request.headers.get("webhook-id", ""), verified, json.loads(body), action))
        if self.delay:
            await asyncio.sleep(self.delay)
        if action == "hang":
            self.hanging.set()
            try:
                await asyncio.wait_for(self.released.wait(), self.hang_seconds)
            except TimeoutError:
                pass
            action = 204
        return web.Response(status=int(action))

    def ids(self, verified_only: bool = True) -> list[str]:
        return [r.webhook_id for r in self.log if r.verified or not verified_only]


class ReceiverRunner(web.AppRunner):
    """Releases hanging handlers on cleanup, so a test never waits out a hang."""

    def __init__(self, app: web.Application, receiver: Receiver) -> None:
        super().__init__(app, handle_signals=False)
        self.receiver = receiver

    async def cleanup(self) -> None:
        self.receiver.released.set()
        await super().cleanup()


async def start_receiver(receiver: Receiver) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = ReceiverRunner(app, receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    return runner

"""A relay in its own process, for the crash test: ``python relay_process.py <database_url> <data_dir>``.
Sends in small batches, forever, with the real clock."""
from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx  # noqa: E402

from app.database import init_database  # noqa: E402
from core.settings import Settings  # noqa: E402
from court.webhooks.relay import deliver_webhooks  # noqa: E402


async def main(database_url: str, data_dir: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, data_dir=Path(data_dir))
    await init_database(settings)
    async with httpx.AsyncClient(timeout=60) as client:
        print("ready", flush=True)
        while True:
            await deliver_webhooks(worker_id="doomed", now=datetime.now(timezone.utc), http_client=client,
                                   limit=5, allow_private=True, settings=settings)
            await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Processes SIGKILLed in the middle of signing or sealing: a signature is whole or absent, and
a receipt whose sealing process died is sealed once after the restart."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

from audit.models import Event
from documents.storage import LocalStorage
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts, sweep_stuck_receipts
from service.choices import ReceiptStatus
from service.models import Receipt
from tests.factories import make_signed_delivery
from tests.faults.invariants import assert_nothing_lost

ROOT = Path(__file__).resolve().parents[2]


async def _seal(db, now=None):
    return await seal_pending_receipts(sealer=Sealer.from_settings(db), storage=LocalStorage(db.files_dir),
                                       settings=db, worker_id="test", now=now or datetime.now(timezone.utc))


SCRIPT = textwrap.dedent("""
    import asyncio, os, signal, sys
    from datetime import datetime, timezone
    from app.database import close_database, init_database
    from core.settings import Settings
    from receipts import worker
    from receipts.seal import Sealer
    from documents.storage import LocalStorage

    async def main():
        settings = Settings(_env_file=None, data_dir=sys.argv[1], database_url=sys.argv[2])
        await init_database(settings)
        step = sys.argv[3]
        if step == "after-seal-before-mark":
            # Die after the PDF is rendered, sealed and stored, before the receipt is marked.
            def killed(*args, **kwargs):
                os.kill(os.getpid(), signal.SIGKILL)
            worker.in_transaction = killed
        try:
            await worker.seal_pending_receipts(sealer=Sealer.from_settings(settings),
                storage=LocalStorage(settings.files_dir), settings=settings, worker_id="doomed",
                now=datetime.now(timezone.utc))
        finally:
            await close_database()
    asyncio.run(main())
""")


async def test_a_worker_killed_mid_seal_leaves_a_receipt_that_gets_sealed_after_restart(db):
    _, _, _, receipt = await make_signed_delivery(db, documents=1)
    url = db.database_url
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(db.data_dir), url, "after-seal-before-mark"],
                            cwd=ROOT, capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert (await Receipt.get(id=receipt.id)).status is ReceiptStatus.PENDING
    # After restart: the lease has run out (or the sweep re-queued it) and a worker seals it once.
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    await sweep_stuck_receipts(now=later)
    assert await _seal(db, later) == 1
    assert (await Receipt.get(id=receipt.id)).status is ReceiptStatus.SEALED
    assert await Event.filter(type="receipt.ready").count() == 1
    await assert_nothing_lost(db, signatures=1)


SIGN_SCRIPT = textwrap.dedent("""
    import asyncio, os, signal, sys
    from datetime import datetime, timezone
    from app.database import close_database, init_database
    from core.settings import Settings
    from service import signing
    from audit.choices import ActorKind
    from audit.events import Actor, RequestMeta
    from documents.storage import LocalStorage
    from tests.factories import signature_png

    async def main():
        settings = Settings(_env_file=None, data_dir=sys.argv[1], database_url=sys.argv[2])
        await init_database(settings)
        async def killed(*args, **kwargs):  # inside the transaction, after every write
            os.kill(os.getpid(), signal.SIGKILL)
        signing.announce = killed
        try:
            await signing.sign_delivery(int(sys.argv[3]), signature_png(), identity_proof={},
                actor=Actor(ActorKind.RECIPIENT, "x"), meta=RequestMeta(), now=datetime.now(timezone.utc),
                storage=LocalStorage(settings.files_dir))
        finally:
            await close_database()
    asyncio.run(main())
""")


async def test_a_process_killed_mid_signing_leaves_no_signature(db):
    from audit.choices import ActorKind
    from audit.events import Actor, RequestMeta
    from service.access import advance, record_document_access
    from service.choices import DeliveryState
    from service.models import Delivery, Signature
    from tests.factories import make_service

    _, people, docs = await make_service(settings=db)
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    now, actor = datetime.now(timezone.utc), Actor(ActorKind.RECIPIENT, "x")
    await advance(delivery.id, DeliveryState.VERIFIED, actor=actor, meta=RequestMeta(), now=now)
    await record_document_access(delivery.id, docs[0].id, download=False, actor=actor, meta=RequestMeta(), now=now)
    result = subprocess.run([sys.executable, "-c", SIGN_SCRIPT, str(db.data_dir), db.database_url,
                             str(delivery.id)], cwd=ROOT, capture_output=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert await Signature.all().count() == 0 and await Receipt.all().count() == 0
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED
    await assert_nothing_lost(db, signatures=0)
